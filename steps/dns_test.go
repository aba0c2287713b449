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

// nodeVal is a node as site.nodes holds it.
func nodeVal(name, address string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(name), "address": cty.StringVal(address)})
}

// eeRecords are the records the expressionengine recipe declares: every
// web node for the site's name, the master alone for the editors'.
func eeRecords() cty.Value {
	nodes := cty.ListVal([]cty.Value{nodeVal("web1", "10.0.0.11"), nodeVal("web2", "10.0.0.12"), nodeVal("web3", "10.0.0.13")})
	return cty.ObjectVal(map[string]cty.Value{"@": nodes, "admin": cty.TupleVal([]cty.Value{nodeVal("web1", "10.0.0.11")})})
}

func testDNS(t *testing.T, dir string) *DNS {
	t.Helper()
	names, problem := dnsNames(eeRecords())
	if problem != "" {
		t.Fatal(problem)
	}
	return &DNS{
		NodeName: "dns", Site: "ee", Block: "dns.www", Zone: "site.example", Mode: dnsRoundRobin, TTL: 60,
		Names:       names,
		Nameservers: []dnsNameserver{{Name: "ns", Address: "10.0.0.53"}},
		ZoneFile:    filepath.Join(dir, "shoal", "db.site.example"),
		ConfFile:    filepath.Join(dir, "shoal", "site.example.conf"),
		IncludeIn:   filepath.Join(dir, "named.conf.local"),
		NamedConf:   filepath.Join(dir, "named.conf"),
		Now:         func() time.Time { return time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC) },
	}
}

func TestDNSZoneFile(t *testing.T) {
	s := testDNS(t, "/etc/bind")
	want := `; Managed by shoal (site ee, dns.www); changes here are overwritten.
$ORIGIN site.example.
$TTL 60
@	IN	SOA	ns.site.example. hostmaster.site.example. (
	2026120100	; serial
	3600	; refresh
	600	; retry
	1209600	; expire
	60	; negative answers
)
@	IN	NS	ns.site.example.
ns	IN	A	10.0.0.53
@	IN	A	10.0.0.11
@	IN	A	10.0.0.12
@	IN	A	10.0.0.13
admin	IN	A	10.0.0.11
`
	if d := cmp.Diff(want, s.zoneContent(2026120100, roundRobin(s))); d != "" {
		t.Errorf("zone file (-want +got):\n%s", d)
	}
	if got := zoneSerial(want); got != 2026120100 {
		t.Errorf("serial read back as %d", got)
	}
	if got := s.confContent(); !strings.Contains(got, "zone \"site.example\" {\n\ttype master;\n\tfile \"/etc/bind/shoal/db.site.example\";\n};\n") {
		t.Errorf("named.conf fragment:\n%s", got)
	}
}

func TestDNSNextSerial(t *testing.T) {
	day := time.Date(2026, 3, 4, 23, 59, 0, 0, time.UTC)
	for _, tt := range []struct{ old, want uint32 }{
		{0, 2026030400},          // a new zone
		{2025010107, 2026030400}, // an older day
		{2026030400, 2026030401}, // the same day
		{2026030499, 2026030500}, // a busy day rolls into the next
		{2099010100, 2099010101}, // a serial ahead of the clock still grows
	} {
		if got := nextSerial(tt.old, day); got != tt.want {
			t.Errorf("nextSerial(%d) = %d, want %d", tt.old, got, tt.want)
		}
	}
}

// TestDNSRecordSetRoundRobin: every host of a name gets a record, each
// address once per name.
func TestDNSRecordSetRoundRobin(t *testing.T) {
	names, problem := dnsNames(cty.ObjectVal(map[string]cty.Value{
		"@":   cty.TupleVal([]cty.Value{nodeVal("web1", "10.0.0.11"), cty.StringVal("192.0.2.7"), nodeVal("web1", "10.0.0.11")}),
		"www": cty.ListVal([]cty.Value{cty.StringVal("192.0.2.8")}),
	}))
	if problem != "" {
		t.Fatal(problem)
	}
	want := []dnsRecord{{"@", "10.0.0.11"}, {"@", "192.0.2.7"}, {"www", "192.0.2.8"}}
	got, why := recordSet(dnsRoundRobin, names, nil, nil)
	if d := cmp.Diff(want, got); d != "" || why != nil {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestDNSRefusesBadInput(t *testing.T) {
	good := map[string]cty.Value{"zone": cty.StringVal("site.example"), "records": eeRecords()}
	with := func(k string, v cty.Value) map[string]cty.Value {
		m := map[string]cty.Value{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	records := func(name string, hosts ...cty.Value) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{name: cty.TupleVal(hosts)})
	}
	for _, tt := range []struct {
		name   string
		values map[string]cty.Value
		want   string
	}{
		{"zone", with("zone", cty.StringVal("site example")), "is not a domain name"},
		{"mode", with("mode", cty.StringVal("active")), `mode "active" is not one of: round_robin, failover`},
		{"ttl zero", with("ttl", cty.NumberIntVal(0)), "Invalid ttl"},
		{"ttl fraction", with("ttl", cty.NumberFloatVal(1.5)), "Invalid ttl"},
		{"node by name", with("records", records("@", nodeVal("web1", "web1"))), `node web1's address "web1" is not an IPv4 address`},
		{"ipv6", with("records", records("@", cty.StringVal("2001:db8::1"))), "is not an IPv4 address"},
		{"bad name", with("records", records("a b", cty.StringVal("10.0.0.1"))), "is not a name in the zone"},
		{"no host", with("records", records("@")), "lists no host"},
		{"not a list", with("records", cty.ObjectVal(map[string]cty.Value{"@": cty.StringVal("10.0.0.1")})), "is a list of nodes"},
		{"ns glue", with("nameservers", cty.MapVal(map[string]cty.Value{"ns": cty.StringVal("ns.example.net")})), "needs an IPv4 address"},
		{"dir", with("dir", cty.StringVal("/etc/bind/\"x")), "Invalid dir"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := diagText(KindOf("dns").Check(testDecl("dns", "www", tt.values)))
			if !strings.Contains(got, tt.want) {
				t.Errorf("diagnostics %q, want %q", got, tt.want)
			}
		})
	}
	if diags := KindOf("dns").Check(testDecl("dns", "www", good)); len(diags) > 0 {
		t.Errorf("a good dns block: %s", diagText(diags))
	}
}

// dnsFacts are a dns node's facts as the step reads them, with web3 down.
func dnsFacts(s *DNS, zone, conf, include, served string) fixedFacts {
	file := func(content string) facts.Section {
		if content == "" {
			return facts.Section{Output: "absent"}
		}
		return fileSection(content)
	}
	return fixedFacts{
		"dns": {
			"file:" + s.ZoneFile: file(zone), "file:" + s.ConfFile: file(conf), "file:" + s.IncludeIn: file(include),
			"dns-served:site.example": {Output: served},
		},
		"web2": {"answers": {Output: "yes"}},
	}
}

func TestDNSDiff(t *testing.T) {
	s := testDNS(t, "/etc/bind")
	today := s.zoneContent(2026120100, roundRobin(s))
	inc := "// local zones\n" + s.includeLine() + "\n"
	moved := testDNS(t, "/etc/bind")
	moved.Names[0].Targets[2].Address = "10.0.0.23"
	for _, tt := range []struct {
		name                        string
		step                        *DNS
		zone, conf, include, served string
		action                      plan.Action
		summary                     string
		payload                     dnsPayload
		detailsHave, detailsHaveNot string
	}{
		{name: "new zone", step: s, include: "// local zones\n", served: "error no matching zone 'site.example' in any view",
			action:      plan.Create,
			summary:     "create zone site.example (serial 2026120100: @ → 3 A, admin → 1 A), declare it in /etc/bind/shoal/site.example.conf, include that from /etc/bind/named.conf.local, reconfigure named",
			payload:     dnsPayload{Serial: 2026120100, WriteZone: true, WriteConf: true, AddInclude: true, Reconfig: true},
			detailsHave: "+@\tIN\tA\t10.0.0.13"},
		{name: "as declared", step: s, zone: today, conf: s.confContent(), include: inc, served: "serial 2026120100", action: plan.NoOp},
		{name: "a node moved", step: moved, zone: today, conf: s.confContent(), include: inc, served: "serial 2026120100",
			action:      plan.Update,
			summary:     "rewrite zone site.example (serial 2026120100 → 2026120101: @ → 3 A, admin → 1 A), reload the zone",
			payload:     dnsPayload{Serial: 2026120101, WriteZone: true, ZoneWas: sha256Hex(today)},
			detailsHave: "+@\tIN\tA\t10.0.0.23", detailsHaveNot: "+admin"},
		{name: "not reloaded", step: s, zone: today, conf: s.confContent(), include: inc, served: "serial 2026113005",
			action:  plan.Update,
			summary: "reload the zone (named serves serial 2026113005, the file has 2026120100)",
			payload: dnsPayload{Serial: 2026120100}},
		{name: "named down", step: s, zone: today, conf: s.confContent(), include: inc, served: "error rndc: connect failed: 127.0.0.1#953: connection refused",
			action:  plan.Update,
			summary: "reconfigure named (it does not serve the zone: rndc: connect failed: 127.0.0.1#953: connection refused)",
			payload: dnsPayload{Serial: 2026120100, Reconfig: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.step.Diff(context.Background(), dnsFacts(tt.step, tt.zone, tt.conf, tt.include, tt.served))
			if err != nil {
				t.Fatal(err)
			}
			if got.Action != tt.action || got.Summary != tt.summary {
				t.Fatalf("got %s %q, want %s %q (reason %q)", got.Action, got.Summary, tt.action, tt.summary, got.Reason)
			}
			details := strings.Join(got.Details, "\n")
			if !strings.Contains(details, "web3 can't be reached") && tt.action != plan.NoOp {
				t.Errorf("the plan does not say web3's records are kept:\n%s", details)
			}
			if tt.detailsHave != "" && !strings.Contains(details, tt.detailsHave) || tt.detailsHaveNot != "" && strings.Contains(details, tt.detailsHaveNot) {
				t.Errorf("details:\n%s", details)
			}
			if tt.action == plan.NoOp {
				want := "zone site.example as declared, served at serial 2026120100 (@ → 3 A, admin → 1 A); web1 can't be reached"
				if !strings.HasPrefix(got.Reason, want) || !strings.Contains(got.Reason, "web3 can't be reached") {
					t.Errorf("reason %q", got.Reason)
				}
				return
			}
			p, err := plan.DecodePayload[dnsPayload](got)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.payload
			want.Records = roundRobin(tt.step)
			if d := cmp.Diff(want, p); d != "" {
				t.Errorf("payload (-want +got):\n%s", d)
			}
		})
	}
}

func TestDNSScriptsGolden(t *testing.T) {
	s := testDNS(t, "/etc/bind")
	for _, tt := range []struct {
		state string
		p     dnsPayload
	}{
		{"create", dnsPayload{Serial: 2026120100, WriteZone: true, WriteConf: true, AddInclude: true, Reconfig: true, Records: roundRobin(s)}},
		{"rewrite", dnsPayload{Serial: 2026120101, WriteZone: true, ZoneWas: sha256Hex(s.zoneContent(2026120100, roundRobin(s))), Records: roundRobin(s)}},
		{"reload", dnsPayload{Serial: 2026120100, Records: roundRobin(s)}},
	} {
		c := &plan.Change{ID: s.ID()}
		plan.SetPayload(c, tt.p)
		goldenScript(t, "dns", tt.state, s.ApplyScript(c))
	}
}

// fakeRndc stands in for rndc (no named runs in unit tests): named
// "serves" the serial of the zone file as of the last reload or reconfig,
// and every call is logged.
const fakeRndc = `#!/bin/sh
state=$FAKE_NAMED
echo "$*" >> "$state/calls"
case $1 in
zonestatus)
	if [ -f "$state/served" ]; then
		echo "name: $2"
		echo "serial: $(cat "$state/served")"
	else
		echo "rndc: 'zonestatus' failed: not found" >&2
		echo "no matching zone '$2' in any view" >&2
		exit 1
	fi ;;
reconfig | reload)
	sed -n 's/^[[:space:]]*\([0-9][0-9]*\)[[:space:]]*; serial$/\1/p' "$FAKE_ZONE_FILE" > "$state/served" ;;
esac
`

// TestDNSConvergesOnAHost writes a zone with the real named-checkzone and
// named-checkconf and a stand-in rndc: apply, plan again → nothing to do;
// the serial moves only when the records change; a zone that
// named-checkzone refuses changes nothing.
func TestDNSConvergesOnAHost(t *testing.T) {
	for _, tool := range []string{"named-checkzone", "named-checkconf"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not installed: scripts/test.sh installs bind9", tool)
			}
			t.Skipf("%s not installed (scripts/test.sh installs bind9)", tool)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	failOn(t, os.MkdirAll(bin, 0o755))
	failOn(t, os.WriteFile(filepath.Join(bin, "rndc"), []byte(fakeRndc), 0o755))
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	t.Setenv("FAKE_NAMED", dir)
	s := testDNS(t, dir)
	t.Setenv("FAKE_ZONE_FILE", s.ZoneFile)
	failOn(t, os.WriteFile(s.NamedConf, []byte("include \""+s.IncludeIn+"\";\n"), 0o644))
	failOn(t, os.WriteFile(s.IncludeIn, []byte("// local zones, no newline at the end"), 0o644))
	h := &transport.Local{NodeName: "dns"}
	src := func() facts.Source { // web1 and web3 can't be reached
		return facts.NewSet(map[string]transport.Host{"dns": h, "web2": &transport.Local{NodeName: "web2"}})
	}
	replan := func() *plan.Change {
		c, err := s.Diff(context.Background(), src())
		failOn(t, err)
		return c
	}
	apply := func(c *plan.Change) {
		t.Helper()
		failOn(t, h.Run(context.Background(), transport.Command{Script: s.ApplyScript(c)}))
	}

	c := replan()
	if c.Action != plan.Create {
		t.Fatalf("first plan: %s %s", c.Action, c.Summary)
	}
	apply(c)
	if again := replan(); again.Action != plan.NoOp {
		t.Fatalf("after the first apply: %s %s", again.Action, again.Summary)
	}
	inc, _ := os.ReadFile(s.IncludeIn)
	if string(inc) != "// local zones, no newline at the end\n"+s.includeLine()+"\n" {
		t.Errorf("named.conf.local:\n%s", inc)
	}
	zone, _ := os.ReadFile(s.ZoneFile)
	if zoneSerial(string(zone)) != 2026120100 {
		t.Errorf("serial of the new zone: %d", zoneSerial(string(zone)))
	}

	// the same records on a later day: nothing to do, the serial stays
	s.Now = func() time.Time { return time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC) }
	if again := replan(); again.Action != plan.NoOp {
		t.Fatalf("same records, later day: %s %s", again.Action, again.Summary)
	}

	s.Names[0].Targets = s.Names[0].Targets[:2] // web3 leaves the site
	c = replan()
	if c.Action != plan.Update || !strings.Contains(c.Summary, "serial 2026120100 → 2026122400") {
		t.Fatalf("records changed: %s %s", c.Action, c.Summary)
	}
	apply(c)
	if again := replan(); again.Action != plan.NoOp {
		t.Fatalf("after the change: %s %s", again.Action, again.Summary)
	}
	calls, _ := os.ReadFile(filepath.Join(dir, "calls"))
	if n := strings.Count(string(calls), "reload site.example"); n != 2 {
		t.Errorf("named reloaded the zone %d times, want 2 (once per change):\n%s", n, calls)
	}

	// a zone named-checkzone refuses (an owner name check-names fails)
	// leaves everything as it was
	before, _ := os.ReadFile(s.ZoneFile)
	s.Names = append(s.Names, dnsName{Name: "bad_name", Targets: []dnsTarget{{Address: "10.0.0.55"}}})
	c = replan()
	err := h.Run(context.Background(), transport.Command{Script: s.ApplyScript(c)})
	if err == nil || !strings.Contains(err.Error(), "named-checkzone refused") {
		t.Fatalf("a zone named-checkzone refuses: %v", err)
	}
	if after, _ := os.ReadFile(s.ZoneFile); string(after) != string(before) {
		t.Errorf("a refused zone replaced the served one")
	}
	if matches, _ := filepath.Glob(s.ZoneFile + ".shoal-tmp.*"); len(matches) > 0 {
		t.Errorf("left behind: %v", matches)
	}
}

// roundRobin is the records a round_robin step's zone gets.
func roundRobin(s *DNS) []dnsRecord {
	records, _ := recordSet(dnsRoundRobin, s.Names, nil, nil)
	return records
}
