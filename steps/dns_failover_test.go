package steps

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

// failoverDNS is a failover zone: the site's name at the master, then
// its slaves, checked from two dns nodes.
func failoverDNS(t *testing.T) *DNS {
	t.Helper()
	s := testDNS(t, "/etc/bind")
	names, problem := dnsNames(cty.ObjectVal(map[string]cty.Value{
		"@": cty.TupleVal([]cty.Value{nodeVal("master", "10.0.0.11"), nodeVal("slave1", "10.0.0.12"), nodeVal("slave2", "10.0.0.13")}),
	}))
	if problem != "" {
		t.Fatal(problem)
	}
	s.Mode, s.Names = dnsFailover, names
	s.Health = &dnsHealth{URL: "http://blog.example/", Host: "blog.example", Port: "80", Status: 200, Timeout: 3 * time.Second, Checkers: []string{"dns", "dns2"}}
	return s
}

func TestDNSFailoverRefusesBadInput(t *testing.T) {
	good := map[string]cty.Value{"zone": cty.StringVal("blog.example"), "records": eeRecords(),
		"mode": cty.StringVal("failover"), "health_url": cty.StringVal("https://blog.example:8443/health")}
	with := func(k string, v cty.Value) map[string]cty.Value {
		m := map[string]cty.Value{}
		for a, b := range good {
			m[a] = b
		}
		if v == cty.NilVal {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for _, tt := range []struct {
		name   string
		values map[string]cty.Value
		want   string
	}{
		{"no health_url", with("health_url", cty.NilVal), `mode = "failover" needs health_url`},
		{"not http", with("health_url", cty.StringVal("ftp://blog.example/")), `health_url "ftp://blog.example/" is not an http:// or https:// URL`},
		{"no host", with("health_url", cty.StringVal("http:///health")), "needs a host"},
		{"a user", with("health_url", cty.StringVal("http://admin@blog.example/")), "needs a host"},
		{"a quote", with("health_url", cty.StringVal("http://blog.example/'")), "is not a URL"},
		{"status", with("health_status", cty.NumberIntVal(700)), "Invalid health_status"},
		{"timeout", with("health_timeout", cty.StringVal("forever")), "Invalid health_timeout"},
		{"round robin", with("mode", cty.StringVal("round_robin")), "Health check without failover"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := diagText(KindOf("dns").Check(testDecl("dns", "www", tt.values)))
			if !strings.Contains(got, tt.want) {
				t.Errorf("diagnostics %q, want %q", got, tt.want)
			}
		})
	}
	if diags := KindOf("dns").Check(testDecl("dns", "www", good)); len(diags) > 0 {
		t.Errorf("a good failover block: %s", diagText(diags))
	}
}

// failoverFacts: the dns node's facts with a zone now pointing at zoneAt
// (none: no zone yet), and each checker's health lines; a checker
// without lines could not be reached.
func failoverFacts(t *testing.T, s *DNS, zoneAt string, checks map[string]string) fixedFacts {
	t.Helper()
	zone := ""
	if zoneAt != "" {
		zone = s.zoneContent(2026120100, []dnsRecord{{"@", zoneAt}})
	}
	f := dnsFacts(s, zone, s.confContent(), s.includeLine()+"\n", "serial 2026120100")
	fact := s.Health.fact(s.Names).Key()
	for node, out := range checks {
		if f[node] == nil {
			f[node] = map[string]facts.Section{}
		}
		f[node][fact] = facts.Section{Output: out}
	}
	for _, n := range []string{"master", "slave1", "slave2"} {
		if f[n] == nil {
			f[n] = map[string]facts.Section{"answers": {Output: "yes"}}
		}
	}
	return f
}

// TestDNSFailover: the name points at the first healthy host; the plan
// says why it is not the first; a host is healthy when any dns node saw
// it so; with none healthy the record stays.
func TestDNSFailover(t *testing.T) {
	s := failoverDNS(t)
	allUp := "10.0.0.11 0 200\n10.0.0.12 0 200\n10.0.0.13 0 200\n"
	masterDown := "10.0.0.11 7 000\n10.0.0.12 0 200\n10.0.0.13 0 200\n"
	for _, tt := range []struct {
		name, zoneAt string
		checks       map[string]string
		action       plan.Action
		at           string
		says         string
	}{
		{"all healthy", "10.0.0.11", map[string]string{"dns": allUp, "dns2": allUp}, plan.NoOp, "10.0.0.11", "(@ → master)"},
		{"the master down", "10.0.0.11", map[string]string{"dns": masterDown, "dns2": masterDown}, plan.Update, "10.0.0.12",
			"@ → slave1 (10.0.0.12): master (10.0.0.11) fails its health check (http://blog.example/ at 10.0.0.11 from dns: connection refused)"},
		{"the master answers 503", "10.0.0.11", map[string]string{"dns": "10.0.0.11 0 503\n10.0.0.12 0 200\n10.0.0.13 0 200\n"}, plan.Update, "10.0.0.12",
			"master (10.0.0.11) fails its health check (http://blog.example/ at 10.0.0.11 from dns: HTTP 503, not 200)"},
		{"back up", "10.0.0.12", map[string]string{"dns": allUp, "dns2": allUp}, plan.Update, "10.0.0.11", "rewrite zone site.example (serial 2026120100 → 2026120101: @ → master)"},
		{"one dns node sees it", "10.0.0.11", map[string]string{"dns": masterDown, "dns2": allUp}, plan.NoOp, "10.0.0.11", "(@ → master)"},
		{"the other dns node down", "10.0.0.11", map[string]string{"dns": masterDown}, plan.Update, "10.0.0.12", "@ → slave1"},
		{"none healthy", "10.0.0.12", map[string]string{"dns": "10.0.0.11 7 000\n10.0.0.12 28 000\n10.0.0.13 7 000\n"}, plan.NoOp, "10.0.0.12",
			"@ stays on 10.0.0.12: no host is healthy (master (10.0.0.11) fails its health check (http://blog.example/ at 10.0.0.11 from dns: connection refused); slave1 (10.0.0.12) fails its health check (http://blog.example/ at 10.0.0.12 from dns: no answer within 3s)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.Diff(context.Background(), failoverFacts(t, s, tt.zoneAt, tt.checks))
			if err != nil {
				t.Fatal(err)
			}
			text := c.Summary + "\n" + c.Reason + "\n" + strings.Join(c.Details, "\n")
			if c.Action != tt.action || !strings.Contains(text, tt.says) {
				t.Fatalf("%c, want %c saying %q:\n%s", c.Action, tt.action, tt.says, text)
			}
			if c.Action == plan.NoOp {
				return
			}
			p, err := plan.DecodePayload[dnsPayload](c)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff([]dnsRecord{{"@", tt.at}}, p.Records); d != "" {
				t.Errorf("records (-want +got):\n%s", d)
			}
			if !strings.Contains(s.ApplyScript(c), "@\tIN\tA\t"+tt.at+"\n") {
				t.Errorf("the script does not write the record the plan decided")
			}
		})
	}

	if _, err := s.Diff(context.Background(), failoverFacts(t, s, "10.0.0.11", map[string]string{"dns": "nocurl\n"})); err == nil || !strings.Contains(err.Error(), "has no curl") {
		t.Errorf("a dns node without curl: %v", err)
	}
	if _, err := s.Diff(context.Background(), failoverFacts(t, s, "10.0.0.11", map[string]string{"dns2": allUp})); err == nil {
		t.Error("this dns node's own check is missing, yet the plan went on")
	}
}

// TestDNSHealthChecksOnAHost runs the check's script with a real curl
// against a local HTTP server: a healthy address, one answering another
// status, one where nothing listens.
func TestDNSHealthChecksOnAHost(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("curl is not installed: scripts/test.sh installs it")
		}
		t.Skip("curl is not installed")
	}
	bin := t.TempDir()
	// python's http.server answers 200 for / and 404 for what is missing
	failOn(t, os.WriteFile(filepath.Join(bin, "index.html"), []byte("ok"), 0o644))
	server := exec.Command("python3", "-m", "http.server", "--bind", "127.0.0.1", "18431", "--directory", bin)
	failOn(t, server.Start())
	t.Cleanup(func() { _ = server.Process.Kill(); _ = server.Wait() })
	h := &transport.Local{NodeName: "dns"}
	check := func(path string, addrs ...string) string {
		var out strings.Builder
		x := healthChecks{URL: "http://blog.example:18431" + path, Host: "blog.example", Port: "18431", Timeout: 2 * time.Second, Addresses: addrs}
		failOn(t, h.Run(context.Background(), transport.Command{Script: x.Command(), Stdout: &out}))
		return out.String()
	}
	var got string
	for range 50 { // the server takes a moment to listen
		if got = check("/", "127.0.0.1"); got == "127.0.0.1 0 200\n" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got != "127.0.0.1 0 200\n" {
		t.Fatalf("a healthy host: %q", got)
	}
	if got := check("/missing", "127.0.0.1", "127.0.0.2"); got != "127.0.0.1 0 404\n127.0.0.2 7 000\n" {
		t.Errorf("a 404 and nothing listening: %q", got)
	}
	goldenScript(t, "dns", "health", healthChecks{URL: "http://blog.example/", Host: "blog.example", Port: "80", Timeout: 5 * time.Second, Addresses: []string{"10.0.0.11", "10.0.0.12"}}.Command())
}
