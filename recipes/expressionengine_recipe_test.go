package recipes_test

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/cluster"
	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/recipes"
	"github.com/shoal-sh/shoal/steps"
)

// eeCluster is fixtures/expressionengine/cluster.hcl, read from the
// fixture so the two never drift apart.
func eeCluster(t *testing.T) string {
	t.Helper()
	return readFile(t, filepath.Join("..", "fixtures", "expressionengine", "cluster.hcl"))
}

// compileEE loads src as the configuration and compiles it; it returns
// the entries, or the diagnostics as the CLI prints them.
func compileEE(t *testing.T, src string) ([]steps.Entry, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "cluster.hcl")
	writeFile(t, file, src, 0o644)
	l := hcl.NewLoader(steps.BlockKinds())
	cfg, diags := l.Load(hcl.LoadOptions{Files: []string{file}})
	var out bytes.Buffer
	if diags.HasErrors() {
		_ = l.WriteDiagnostics(&out, diags, false)
		return nil, out.String()
	}
	compiled, diags := cluster.Compile(cfg, nil)
	if diags.HasErrors() {
		_ = l.WriteDiagnostics(&out, diags, false)
		return nil, out.String()
	}
	return compiled.Entries, ""
}

// TestExpressionEngineCompiles: the fixture's site compiles to the jobs
// and trust issue 9 names, on the nodes it names, with no secret outside
// the option file.
func TestExpressionEngineCompiles(t *testing.T) {
	entries, diags := compileEE(t, eeCluster(t))
	if diags != "" {
		t.Fatal(diags)
	}
	byNode := map[string][]string{}
	files := map[string]*steps.File{}
	var dns *steps.DNS
	for _, e := range entries {
		if kind, _, _ := strings.Cut(e.Block, "."); e.Block == "" || !steps.KindOf(kind).IsStep {
			continue
		}
		byNode[e.Step.Node()] = append(byNode[e.Step.Node()], e.Block)
		switch s := e.Step.(type) {
		case *steps.File:
			files[s.NodeName+":"+s.Path] = s
		case *steps.DNS:
			dns = s
		}
	}
	for n := range byNode {
		sort.Strings(byNode[n])
	}
	mirror := []string{"cron.import", "cron.sync", "exec.database", "exec.import_now", "exec.sync_now",
		"file.client_cnf", "file.mirror_conf", "file.mirror_jobs", "ssh_trust.pull"}
	want := map[string][]string{
		"web1": {"cron.dump", "exec.dump_now", "file.client_cnf", "file.mirror_conf", "file.mirror_jobs"},
		"web2": mirror, "web3": mirror, "web4": mirror,
		"dns": {"dns.site"},
	}
	if d := cmp.Diff(want, byNode); d != "" {
		t.Errorf("declared steps per node (-want +got):\n%s", d)
	}

	const password = `Dump'n"Import #1`
	for key, f := range files {
		switch {
		case strings.HasSuffix(key, "/client.cnf"):
			if f.Mode != "0600" || f.Owner != "root" || !f.Hidden || !strings.Contains(f.Content, `password="Dump'n\"Import #1"`) {
				t.Errorf("%s: mode %s owner %s hidden %v:\n%s", key, f.Mode, f.Owner, f.Hidden, f.Content)
			}
		case strings.HasPrefix(f.Path, "/etc/cron.d/"):
			if strings.Contains(f.Content, password) || !strings.Contains(f.Content, "flock -n /run/lock/shoal-ee-") {
				t.Errorf("%s:\n%s", key, f.Content)
			}
		default:
			if strings.Contains(f.Content, password) {
				t.Errorf("%s holds the password", key)
			}
		}
	}
	script, err := recipes.FS.ReadFile("expressionengine/mirror.sh")
	if err != nil {
		t.Fatal(err)
	}
	if got := files["web2:/usr/local/lib/shoal/ee/mirror"]; got == nil || got.Content != string(script) || got.Mode != "0755" {
		t.Error("the jobs installed are not mirror.sh as it is (templatefile must leave it alone: no ${ or %{ in it)")
	}
	// the mirrors' imports start import_spread (60 s) apart over the three
	for node, delay := range map[string]string{"web2": "0", "web3": "20", "web4": "40"} {
		if cron := files[node+":/etc/cron.d/shoal-ee-import"]; cron == nil || !strings.Contains(cron.Content, "/etc/shoal/ee/mirror.conf import "+delay+"\n") {
			t.Errorf("%s: the import job does not wait %s s:\n%v", node, delay, cron)
		}
	}
	conf := files["web3:/etc/shoal/ee/mirror.conf"].Content
	for _, line := range []string{"root=/var/www/ee\n", "master=root@10.77.0.11\n", "db=ee\n", "sync=images/uploads\n",
		"sync=system/user/templates\n", "sync=assets/css\n", "rsh=ssh -i /root/.ssh/shoal-ee-pull -o BatchMode=yes"} {
		if !strings.Contains(conf, line) {
			t.Errorf("mirror.conf lacks %q:\n%s", line, conf)
		}
	}

	if dns == nil {
		t.Fatal("no dns step")
	}
	if dns.Zone != "site.example" || dns.TTL != 60 || dns.Mode != "round_robin" ||
		len(dns.Nameservers) != 1 || dns.Nameservers[0].Address != "10.77.0.220" {
		t.Errorf("dns: zone %s ttl %d mode %s ns %+v", dns.Zone, dns.TTL, dns.Mode, dns.Nameservers)
	}
}

// TestExpressionEngineRefusesBadInput: the mistakes issue 9 names are
// diagnostics naming the file, line and column, before anything connects.
func TestExpressionEngineRefusesBadInput(t *testing.T) {
	good := eeCluster(t)
	for _, tt := range []struct {
		name string
		src  string
		want []string
	}{
		{"a mirror that is the master",
			strings.Replace(good, `address = "10.77.0.14"`, `address = "10.77.0.11"`, 1),
			[]string{"recipes/expressionengine.hcl:", "Assertion failed: mirror_is_master", "web4 has the master's address, 10.77.0.11, so it is the master"}},
		{"an import_spread that is no whole number of seconds",
			strings.Replace(good, `db_user     = "ee"`, `db_user     = "ee"`+"\n    import_spread = 1.5", 1),
			[]string{"recipes/expressionengine.hcl:", "Assertion failed: import_spread", "whole seconds, 0 to 3600"}},
		{"a db_name too long for the import's helper databases",
			strings.Replace(good, `db_name     = "ee"`, `db_name     = "`+strings.Repeat("e", 55)+`"`, 1),
			[]string{"Assertion failed: db_names", "at most 54"}},
		{"a missing required param",
			strings.Replace(good, "    db_password = var.ee_db_password\n", "", 1),
			[]string{"cluster.hcl:", "Missing param", `needs param "db_password"`}},
		{"a dns node that is not in the config",
			strings.Replace(good, `domain      = "site.example"`, `domain      = "site.example"`+"\n    dns         = \"ns9\"", 1),
			[]string{"recipes/expressionengine.hcl:", "No node to run on", `dns "site" runs on "ns9"`}},
		{"no dns node at all",
			strings.Replace(strings.Replace(good, `roles   = ["dns"]`, `roles   = ["resolver"]`, 1), `node "dns"`, `node "ns1"`, 1),
			[]string{"No node to run on", `runs on "dns"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.src == good {
				t.Fatal("the case changed nothing in the fixture")
			}
			_, diags := compileEE(t, tt.src)
			flat := strings.Join(strings.Fields(diags), " ") // the writer wraps lines
			for _, w := range tt.want {
				if !strings.Contains(flat, w) {
					t.Errorf("diagnostics lack %q:\n%s", w, diags)
				}
			}
		})
	}
	// dns = "" leaves DNS alone: then no dns node is needed
	src := strings.Replace(strings.Replace(strings.Replace(good, `roles   = ["dns"]`, `roles   = ["resolver"]`, 1), `node "dns"`, `node "ns1"`, 1),
		`domain      = "site.example"`, `domain      = "site.example"`+"\n    dns         = \"\"", 1)
	if _, diags := compileEE(t, src); diags != "" {
		t.Errorf("dns = \"\": %s", diags)
	}
}

func TestExpressionEngineFixtureIsFormatted(t *testing.T) {
	for _, f := range []string{"../fixtures/expressionengine/cluster.hcl", "expressionengine.hcl"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := hcl.FormatFile(src); !bytes.Equal(got, src) {
			t.Errorf("%s is not formatted as shoal fmt writes it", f)
		}
	}
}
