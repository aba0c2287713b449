package steps

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// dns: `dns "www" { zone = "site.example", records = { "@" = site.nodes,
// admin = [site.primary] } }` serves a zone from BIND on the nodes its
// `on` names (default: role "dns"). shoal owns the zone whole: its file
// (SOA, NS, the A records) and a named.conf fragment declaring it, which
// the node's named.conf.local includes. The serial is bumped only when
// the zone's content changes; the new file passes named-checkzone before
// it replaces the old one; named reloads the zone only when something
// changed, and until it serves the file's serial.
//
// records maps names in the zone to the hosts their A records point at:
// nodes (objects with name and address, as site.nodes holds them) or
// IPv4 addresses. Which of a name's hosts get a record is the mode's
// business, decided in recordSet alone: round_robin gives each one;
// failover the first healthy one (dns_failover.go).
// The nodes are read (optionally) only to say in the plan which can't be
// reached: their records are kept.
var _ = register(&Kind{
	Type:      "dns",
	LabelKind: block.LabelName,
	Arguments: []Argument{
		{Name: "zone", Type: cty.String, Required: true},
		{Name: "records", Type: cty.DynamicPseudoType, Required: true},
		{Name: "mode", Type: cty.String},
		{Name: "ttl", Type: cty.Number},
		{Name: "nameservers", Type: cty.Map(cty.String)},
		{Name: "dir", Type: cty.String},
		{Name: "include_in", Type: cty.String},
		{Name: "named_conf", Type: cty.String},
		{Name: "health_url", Type: cty.String},
		{Name: "health_status", Type: cty.Number},
		{Name: "health_timeout", Type: cty.String},
	},
	IsStep:     true,
	DefaultOn:  "dns",
	Validate:   validateDNS,
	DefaultsOf: dnsDefaults,
	Compile: func(u *Unit) ([]Entry, hashicl.Diagnostics) {
		return u.Each(func(node string, d *block.Decl) (Step, hashicl.Diagnostics) {
			return newDNS(u, node, d)
		})
	},
})

// The modes of a dns block. A mode decides which of a name's hosts get
// its records (recordSet).
const (
	dnsRoundRobin = "round_robin"
	dnsFailover   = "failover"
)

var dnsModes = []string{dnsRoundRobin, dnsFailover}

// Defaults of a dns block's arguments.
const (
	dnsDefaultTTL       = 60
	dnsDefaultDir       = "/etc/bind/shoal"
	dnsDefaultIncludeIn = "/etc/bind/named.conf.local"
	dnsDefaultNamedConf = "/etc/bind/named.conf"
)

func dnsDefaults(d *block.Decl) map[string]cty.Value {
	return map[string]cty.Value{
		"mode":       cty.StringVal(dnsRoundRobin),
		"ttl":        cty.NumberIntVal(dnsDefaultTTL),
		"dir":        cty.StringVal(dnsDefaultDir),
		"include_in": cty.StringVal(dnsDefaultIncludeIn),
		"named_conf": cty.StringVal(dnsDefaultNamedConf),
	}
}

var (
	dnsLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	// dnsFilePath: paths shoal writes into named.conf, between quotes.
	dnsFilePath = regexp.MustCompile(`^/[A-Za-z0-9._/-]+$`)
)

// dnsDomain reports whether s is a domain name: dot-separated labels,
// 253 bytes at most, written without the final dot.
func dnsDomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if !dnsLabel.MatchString(l) {
			return false
		}
	}
	return true
}

// dnsRelative reports whether s names something in a zone: "@" (the zone
// itself) or labels relative to it.
func dnsRelative(s string) bool {
	return s == "@" || dnsDomain(s)
}

func validateDNS(d *block.Decl) hashicl.Diagnostics {
	var diags hashicl.Diagnostics
	bad := func(arg, summary, format string, args ...any) {
		diags = append(diags, d.Error(arg, summary, "%s: %s: "+format, append([]any{d.Owner, d.Describe()}, args...)...))
	}
	if d.Known("zone") && !dnsDomain(strings.TrimSuffix(d.String("zone"), ".")) {
		bad("zone", "Invalid zone", "%q is not a domain name like \"site.example\".", d.String("zone"))
	}
	if d.Known("mode") && !slices.Contains(dnsModes, d.String("mode")) {
		bad("mode", "Invalid mode", "mode %q is not one of: %s.", d.String("mode"), strings.Join(dnsModes, ", "))
	}
	if d.Known("ttl") {
		ttl := d.Values["ttl"]
		if v, _ := ttl.Unmark(); v.Type() == cty.Number {
			if f := v.AsBigFloat(); !f.IsInt() || d.Int("ttl") < 1 || d.Int("ttl") > 2147483647 {
				bad("ttl", "Invalid ttl", "ttl is a whole number of seconds between 1 and 2147483647.")
			}
		}
	}
	if d.Known("records") {
		if _, problem := dnsNames(d.Values["records"]); problem != "" {
			bad("records", "Invalid records", "%s.", problem)
		}
	}
	if d.Known("nameservers") {
		if _, problem := dnsNameservers(d.StringMap("nameservers")); problem != "" {
			bad("nameservers", "Invalid nameservers", "%s.", problem)
		}
	}
	for _, a := range []string{"dir", "include_in", "named_conf"} {
		if d.Known(a) && (!dnsFilePath.MatchString(d.String(a)) || strings.Contains(d.String(a), "..")) {
			bad(a, "Invalid "+a, "%q is not an absolute path of letters, digits, '.', '_', '-' and '/'.", d.String(a))
		}
	}
	return append(diags, validateHealth(d)...)
}

// dnsName is one name of a zone and the hosts its A records may point at.
type dnsName struct {
	Name    string // "@" or relative to the zone
	Targets []dnsTarget
}

// dnsTarget is one host a name may point at.
type dnsTarget struct {
	Node    string // the node it is; "" for an address written as such
	Address string // IPv4
}

// dnsRecord is one A record of the zone.
type dnsRecord struct {
	Name, Address string
}

// dnsNames reads records: an object of names to lists of nodes (objects
// with name and address) or IPv4 addresses. It says what is wrong, if
// anything.
func dnsNames(v cty.Value) ([]dnsName, string) {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		return nil, `records is an object of names to nodes or addresses, like { "@" = site.nodes, admin = [site.primary] }`
	}
	var out []dnsName
	for it := v.ElementIterator(); it.Next(); {
		k, hosts := it.Element()
		name := k.AsString()
		if !dnsRelative(name) {
			return nil, fmt.Sprintf("%q is not a name in the zone (\"@\" for the zone itself, or a name like \"admin\" relative to it)", name)
		}
		if hosts.IsNull() || !hosts.CanIterateElements() || hosts.Type().IsMapType() || hosts.Type().IsObjectType() {
			return nil, fmt.Sprintf("records %q is a list of nodes or IPv4 addresses", name)
		}
		n := dnsName{Name: name}
		seen := map[string]bool{}
		for hit := hosts.ElementIterator(); hit.Next(); {
			_, h := hit.Element()
			t, problem := dnsTargetOf(h)
			if problem != "" {
				return nil, fmt.Sprintf("records %q: %s", name, problem)
			}
			if !seen[t.Address] {
				seen[t.Address] = true
				n.Targets = append(n.Targets, t)
			}
		}
		if len(n.Targets) == 0 {
			return nil, fmt.Sprintf("records %q lists no host", name)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, "records names nothing"
	}
	return out, ""
}

// dnsTargetOf reads one host of a name: a node object or an address.
func dnsTargetOf(h cty.Value) (dnsTarget, string) {
	var t dnsTarget
	switch {
	case h.IsNull():
		return t, "a host is null"
	case h.Type() == cty.String:
		t.Address = h.AsString()
	case h.Type().IsObjectType() && h.Type().HasAttribute("address"):
		a := h.GetAttr("address")
		if a.IsNull() || a.Type() != cty.String {
			return t, "a node's address is not a string"
		}
		t.Address = a.AsString()
		if h.Type().HasAttribute("name") {
			if n := h.GetAttr("name"); !n.IsNull() && n.Type() == cty.String {
				t.Node = n.AsString()
			}
		}
	default:
		return t, "a host is a node (site.primary, an element of site.nodes) or an IPv4 address"
	}
	if !isIPv4(t.Address) {
		if t.Node != "" {
			return t, fmt.Sprintf("node %s's address %q is not an IPv4 address; give the node an address = \"10.0.0.11\"", t.Node, t.Address)
		}
		return t, fmt.Sprintf("%q is not an IPv4 address", t.Address)
	}
	return t, ""
}

func isIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}

// dnsNameserver is one NS record of the zone: a name in the zone with its
// glue address, or a name outside it (ending in a dot) without.
type dnsNameserver struct {
	Name, Address string
}

// dnsNameservers reads nameservers: names to glue addresses.
func dnsNameservers(m map[string]string) ([]dnsNameserver, string) {
	if len(m) == 0 {
		return nil, "nameservers names no server"
	}
	var out []dnsNameserver
	for _, name := range slices.Sorted(maps.Keys(m)) {
		addr := m[name]
		switch {
		case strings.HasSuffix(name, ".") && dnsDomain(strings.TrimSuffix(name, ".")):
			if addr != "" && !isIPv4(addr) {
				return nil, fmt.Sprintf("%q is outside the zone: give it \"\" (its own zone has its address), or an IPv4 address", name)
			}
			out = append(out, dnsNameserver{Name: name})
		case name != "@" && dnsRelative(name):
			if !isIPv4(addr) {
				return nil, fmt.Sprintf("name server %q is in the zone and needs an IPv4 address, not %q", name, addr)
			}
			out = append(out, dnsNameserver{Name: name, Address: addr})
		default:
			return nil, fmt.Sprintf("%q is neither a name in the zone (\"ns1\") nor a full name ending in a dot (\"ns1.example.net.\")", name)
		}
	}
	return out, ""
}

// recordSet is the A records the zone gets, for every mode in one place:
// round_robin points each name at every one of its hosts; failover at
// the first of them that is healthy, given what the plan learnt of each
// (health) and the zone's records now (current), and says why a name
// does not get its first host.
func recordSet(mode string, names []dnsName, health map[string]healthOf, current map[string][]string) ([]dnsRecord, []string) {
	if mode == dnsFailover {
		return failoverRecords(names, health, current)
	}
	var out []dnsRecord
	for _, n := range names {
		for _, t := range n.Targets {
			out = append(out, dnsRecord{Name: n.Name, Address: t.Address})
		}
	}
	return out, nil
}

// newDNS makes the step of a dns block evaluated for one node.
func newDNS(u *Unit, node string, d *block.Decl) (Step, hashicl.Diagnostics) {
	names, problem := dnsNames(d.Values["records"])
	if problem != "" {
		return nil, hashicl.Diagnostics{d.Error("records", "Invalid records", "%s: %s: %s.", d.Owner, d.Describe(), problem)}
	}
	s := &DNS{
		NodeName: node, Site: u.Site.Name, Block: d.Address(),
		Zone: strings.TrimSuffix(d.String("zone"), "."), Mode: orDefault(d.String("mode"), dnsRoundRobin),
		TTL: dnsDefaultTTL, Names: names,
		IncludeIn: orDefault(d.String("include_in"), dnsDefaultIncludeIn),
		NamedConf: orDefault(d.String("named_conf"), dnsDefaultNamedConf),
		Now:       time.Now,
	}
	if d.Known("ttl") {
		s.TTL = d.Int("ttl")
	}
	if s.Mode == dnsFailover {
		s.Health = newHealth(u, d)
	}
	dir := orDefault(d.String("dir"), dnsDefaultDir)
	s.ZoneFile = path.Join(dir, "db."+s.Zone)
	s.ConfFile = path.Join(dir, s.Zone+".conf")
	if d.Has("nameservers") {
		s.Nameservers, _ = dnsNameservers(d.StringMap("nameservers"))
	} else {
		// the nodes the zone is served from, as ns, ns2, ...
		for i, n := range u.Nodes {
			addr := ""
			if u.Address != nil {
				addr = u.Address(n)
			}
			if !isIPv4(addr) {
				return nil, hashicl.Diagnostics{d.Error("nameservers", "Name server without an address",
					"%s: %s: the zone is served from node %s, whose address %q is not an IPv4 address for its NS record; give the node an address, or set nameservers.",
					d.Owner, d.Describe(), n, addr)}
			}
			name := "ns"
			if i > 0 {
				name = "ns" + strconv.Itoa(i+1)
			}
			s.Nameservers = append(s.Nameservers, dnsNameserver{Name: name, Address: addr})
		}
	}
	for _, ns := range s.Nameservers {
		for _, n := range names {
			if n.Name == ns.Name {
				return nil, hashicl.Diagnostics{d.Error("records", "Invalid records",
					"%s: %s: %q is the name of a name server of the zone; give the records another name.", d.Owner, d.Describe(), n.Name)}
			}
		}
	}
	return s, nil
}

// DNS keeps one zone served by BIND on one node.
type DNS struct {
	NodeName string
	Site     string
	Block    string // the declaring block, for the files' headers
	Zone     string // without the final dot
	Mode     string
	TTL      int
	Names    []dnsName
	// Health is the check failover picks hosts by; nil for round_robin.
	Health *dnsHealth
	// Nameservers are the zone's NS records.
	Nameservers []dnsNameserver
	ZoneFile    string // the zone's file, shoal's alone
	ConfFile    string // the named.conf fragment declaring the zone
	IncludeIn   string // the file that includes ConfFile (named.conf.local)
	NamedConf   string // named's whole configuration, for named-checkconf
	// Now dates a new serial (YYYYMMDDnn).
	Now func() time.Time
}

var (
	_ Scripter       = (*DNS)(nil)
	_ Writer         = (*DNS)(nil)
	_ OptionalReader = (*DNS)(nil)
)

func (s *DNS) ID() string       { return changeID(s.NodeName, "dns", s.Zone) }
func (s *DNS) Kind() string     { return "dns" }
func (s *DNS) Node() string     { return s.NodeName }
func (s *DNS) Writes() []string { return []string{s.ZoneFile, s.ConfFile, s.IncludeIn} }

func (s *DNS) Facts() []NodeFact {
	fs := []NodeFact{
		{s.NodeName, facts.File{Path: s.ZoneFile}},
		{s.NodeName, facts.File{Path: s.ConfFile}},
		{s.NodeName, facts.File{Path: s.IncludeIn}},
		{s.NodeName, zoneServed{Zone: s.Zone}},
	}
	if s.Health != nil {
		fs = append(fs, NodeFact{s.NodeName, s.Health.fact(s.Names)})
	}
	return fs
}

// OptionalFacts: each node a record points at, to say in the plan which
// could not be reached; with failover, the other dns nodes' checks.
func (s *DNS) OptionalFacts() []NodeFact {
	var out []NodeFact
	for _, n := range s.targetNodes() {
		out = append(out, NodeFact{n, nodeAnswers{}})
	}
	if s.Health != nil {
		for _, n := range s.Health.Checkers {
			if n != s.NodeName {
				out = append(out, NodeFact{n, s.Health.fact(s.Names)})
			}
		}
	}
	return out
}

// targetNodes are the nodes the records point at, other than this one,
// in the order the records name them.
func (s *DNS) targetNodes() []string {
	var out []string
	seen := map[string]bool{s.NodeName: true}
	for _, n := range s.Names {
		for _, t := range n.Targets {
			if t.Node != "" && !seen[t.Node] {
				seen[t.Node] = true
				out = append(out, t.Node)
			}
		}
	}
	return out
}

// nodeAnswers is a fact any node that can be reached answers.
type nodeAnswers struct{}

func (nodeAnswers) Key() string     { return "answers" }
func (nodeAnswers) Command() string { return "echo yes" }

// zoneServed reads which serial of the zone named serves: "serial N", or
// "error <what rndc said>" (named down, or the zone not loaded).
type zoneServed struct{ Zone string }

func (z zoneServed) Key() string { return "dns-served:" + z.Zone }
func (z zoneServed) Command() string {
	return shell.Script(`if out=$(rndc zonestatus "$zone" 2>&1); then
	printf 'serial %s\n' "$(printf '%s\n' "$out" | sed -n 's/^serial: //p')"
else
	printf 'error %s\n' "$(printf '%s\n' "$out" | tail -n 1)"
fi`, shell.Bind("zone", z.Zone))
}

// served is what zoneServed found.
type served struct {
	Serial  uint32
	Loaded  bool
	Problem string // why not loaded
}

func readServed(ctx context.Context, src facts.Source, node, zone string) (served, error) {
	sec, err := src.Get(ctx, node, zoneServed{Zone: zone})
	if err != nil {
		return served{}, err
	}
	word, rest, _ := strings.Cut(strings.TrimSpace(sec.Output), " ")
	if word == "serial" {
		if n, err := strconv.ParseUint(rest, 10, 32); err == nil {
			return served{Serial: uint32(n), Loaded: true}, nil
		}
	}
	if rest == "" {
		rest = "rndc said nothing"
	}
	return served{Problem: rest}, nil
}

// dnsPayload is what a dns change carries to apply: the serial the zone
// gets, which files to write and the sha256 of what the plan saw in them
// ("" for nothing), and how named must pick the change up.
type dnsPayload struct {
	Serial     uint32 `json:"serial"`
	WriteZone  bool   `json:"write_zone,omitempty"`
	ZoneWas    string `json:"zone_was,omitempty"`
	WriteConf  bool   `json:"write_conf,omitempty"`
	ConfWas    string `json:"conf_was,omitempty"`
	AddInclude bool   `json:"add_include,omitempty"`
	Reconfig   bool   `json:"reconfig,omitempty"`
	// Records are the A records the zone file gets, as the plan's mode
	// decided them (failover: from the hosts' health then).
	Records []dnsRecord `json:"records,omitempty"`
}

func (s *DNS) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	c := &plan.Change{ID: s.ID(), Node: s.NodeName, Site: s.Site, Kind: "dns", Target: s.Zone}
	zone, err := facts.ReadFile(ctx, src, s.NodeName, s.ZoneFile)
	if err != nil {
		return nil, err
	}
	conf, err := facts.ReadFile(ctx, src, s.NodeName, s.ConfFile)
	if err != nil {
		return nil, err
	}
	inc, err := facts.ReadFile(ctx, src, s.NodeName, s.IncludeIn)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		path  string
		isDir bool
	}{{s.ZoneFile, zone.IsDir}, {s.ConfFile, conf.IsDir}, {s.IncludeIn, inc.IsDir}} {
		if f.isDir {
			c.Action, c.Reason = plan.Conflict, f.path+" is a folder, not a file"
			return c, nil
		}
	}
	now, err := readServed(ctx, src, s.NodeName, s.Zone)
	if err != nil {
		return nil, err
	}
	kept := s.unreachable(ctx, src)
	var health map[string]healthOf
	if s.Health != nil {
		if health, err = s.readHealth(ctx, src); err != nil {
			return nil, err
		}
	}
	records, why := recordSet(s.Mode, s.Names, health, zoneRecords(zone.Content))

	old := zoneSerial(zone.Content)
	p := dnsPayload{Serial: old, Records: records}
	if !zone.Exists || zone.Content != s.zoneContent(old, records) {
		p.Serial, p.WriteZone = nextSerial(old, s.Now()), true
		if zone.Exists {
			p.ZoneWas = sha256Hex(zone.Content)
		}
	}
	if !conf.Exists || conf.Content != s.confContent() {
		p.WriteConf = true
		if conf.Exists {
			p.ConfWas = sha256Hex(conf.Content)
		}
	}
	p.AddInclude = !hasLine(inc.Content, s.includeLine())
	p.Reconfig = p.WriteConf || p.AddInclude || !now.Loaded
	reload := p.WriteZone || p.Reconfig || now.Serial != p.Serial

	if !reload {
		c.Action = plan.NoOp
		c.Reason = fmt.Sprintf("zone %s as declared, served at serial %d (%s)", s.Zone, p.Serial, s.describeRecords(records))
		if reasons := append(why, kept...); len(reasons) > 0 {
			c.Reason += "; " + strings.Join(reasons, "; ")
		}
		return c, nil
	}
	var todo []string
	switch {
	case p.WriteZone && !zone.Exists:
		c.Action = plan.Create
		todo = append(todo, fmt.Sprintf("create zone %s (serial %d: %s)", s.Zone, p.Serial, s.describeRecords(records)))
		c.Details = append(c.Details, why...)
		c.Details = append(c.Details, unifiedDiff("", s.zoneContent(p.Serial, records))...)
	case p.WriteZone:
		todo = append(todo, fmt.Sprintf("rewrite zone %s (serial %d → %d: %s)", s.Zone, old, p.Serial, s.describeRecords(records)))
		c.Details = append(c.Details, why...)
		c.Details = append(c.Details, unifiedDiff(zone.Content, s.zoneContent(p.Serial, records))...)
	}
	if p.WriteConf {
		todo = append(todo, "declare it in "+s.ConfFile)
	}
	if p.AddInclude {
		todo = append(todo, "include that from "+s.IncludeIn)
		c.Details = append(c.Details, s.IncludeIn+": +"+s.includeLine())
	}
	switch {
	case p.Reconfig && !now.Loaded && !p.WriteConf && !p.AddInclude:
		todo = append(todo, fmt.Sprintf("reconfigure named (it does not serve the zone: %s)", now.Problem))
	case p.Reconfig:
		todo = append(todo, "reconfigure named")
	case !p.WriteZone:
		todo = append(todo, fmt.Sprintf("reload the zone (named serves serial %d, the file has %d)", now.Serial, p.Serial))
	default:
		todo = append(todo, "reload the zone")
	}
	if c.Action == 0 {
		c.Action = plan.Update
	}
	c.Summary = strings.Join(todo, ", ")
	c.Details = append(c.Details, kept...)
	plan.SetPayload(c, p)
	return c, nil
}

// unreachable says, for each node a record points at that could not be
// read, that its records are kept.
func (s *DNS) unreachable(ctx context.Context, src facts.Source) []string {
	var out []string
	for _, n := range s.targetNodes() {
		if _, err := src.Get(ctx, n, nodeAnswers{}); err != nil {
			out = append(out, fmt.Sprintf("%s can't be reached (%v): its records are kept", n, err))
		}
	}
	return out
}

// describeRecords says what the records are: "@ → 4 A, admin → 1 A";
// with failover, the host each name points at: "@ → slave1".
func (s *DNS) describeRecords(records []dnsRecord) string {
	if s.Mode == dnsFailover {
		var parts []string
		for _, r := range records {
			parts = append(parts, r.Name+" → "+s.hostName(r.Address))
		}
		return strings.Join(parts, ", ")
	}
	count := map[string]int{}
	var order []string
	for _, r := range records {
		if count[r.Name] == 0 {
			order = append(order, r.Name)
		}
		count[r.Name]++
	}
	parts := make([]string, len(order))
	for i, n := range order {
		parts[i] = fmt.Sprintf("%s → %d A", n, count[n])
	}
	return strings.Join(parts, ", ")
}

var serialLine = regexp.MustCompile(`(?m)^\s+(\d+)\s*; serial$`)

// zoneSerial reads the serial of a zone file shoal wrote; 0 for none.
func zoneSerial(content string) uint32 {
	m := serialLine.FindStringSubmatch(content)
	if m == nil {
		return 0
	}
	n, err := strconv.ParseUint(m[1], 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

// nextSerial follows old in the YYYYMMDDnn convention: today's first
// serial, or old + 1 when old is that or later.
func nextSerial(old uint32, now time.Time) uint32 {
	y, m, d := now.UTC().Date()
	today := uint32(y*10000+int(m)*100+d) * 100
	if old < today {
		return today
	}
	return old + 1
}

// hostName names an address by its node, when a record's host is one.
func (s *DNS) hostName(addr string) string {
	for _, n := range s.Names {
		for _, t := range n.Targets {
			if t.Address == addr && t.Node != "" {
				return t.Node
			}
		}
	}
	return addr
}

// zoneContent is the zone file with the given serial and A records.
func (s *DNS) zoneContent(serial uint32, records []dnsRecord) string {
	var b strings.Builder
	origin := s.Zone + "."
	fmt.Fprintf(&b, "; Managed by shoal (site %s, %s); changes here are overwritten.\n", s.Site, s.Block)
	fmt.Fprintf(&b, "$ORIGIN %s\n$TTL %d\n", origin, s.TTL)
	fmt.Fprintf(&b, "@\tIN\tSOA\t%s hostmaster.%s (\n", s.fqdn(s.Nameservers[0].Name), origin)
	fmt.Fprintf(&b, "\t%d\t; serial\n\t3600\t; refresh\n\t600\t; retry\n\t1209600\t; expire\n\t%d\t; negative answers\n)\n", serial, s.TTL)
	for _, ns := range s.Nameservers {
		fmt.Fprintf(&b, "@\tIN\tNS\t%s\n", s.fqdn(ns.Name))
	}
	for _, ns := range s.Nameservers {
		if ns.Address != "" && !strings.HasSuffix(ns.Name, ".") {
			fmt.Fprintf(&b, "%s\tIN\tA\t%s\n", ns.Name, ns.Address)
		}
	}
	for _, r := range records {
		fmt.Fprintf(&b, "%s\tIN\tA\t%s\n", r.Name, r.Address)
	}
	return b.String()
}

// fqdn writes a name of the zone in full.
func (s *DNS) fqdn(name string) string {
	if strings.HasSuffix(name, ".") {
		return name
	}
	return name + "." + s.Zone + "."
}

// confContent is the named.conf fragment declaring the zone.
func (s *DNS) confContent() string {
	return fmt.Sprintf("// Managed by shoal (site %s, %s); changes here are overwritten.\nzone %q {\n\ttype master;\n\tfile %q;\n};\n",
		s.Site, s.Block, s.Zone, s.ZoneFile)
}

// includeLine is the line of IncludeIn that includes ConfFile.
func (s *DNS) includeLine() string {
	return fmt.Sprintf("include %q;", s.ConfFile)
}

// hasLine reports whether content holds line, alone on a line (blanks
// around it allowed).
func hasLine(content, line string) bool {
	for _, l := range strings.Split(content, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}

// ApplyScript writes what the plan decided and has named pick it up, in
// one self-checking script.
func (s *DNS) ApplyScript(c *plan.Change) string {
	p, err := plan.DecodePayload[dnsPayload](c)
	if err != nil || len(p.Records) == 0 {
		return ""
	}
	flag := func(b bool) string {
		if b {
			return "yes"
		}
		return ""
	}
	return shell.Script(dnsApplyBody,
		shell.Bind("zone", s.Zone), shell.Bind("serial", strconv.FormatUint(uint64(p.Serial), 10)),
		shell.Bind("zone_file", s.ZoneFile), shell.Bind("zone_content", s.zoneContent(p.Serial, p.Records)),
		shell.Bind("write_zone", flag(p.WriteZone)), shell.Bind("zone_was", p.ZoneWas),
		shell.Bind("conf_file", s.ConfFile), shell.Bind("conf_content", s.confContent()),
		shell.Bind("write_conf", flag(p.WriteConf)), shell.Bind("conf_was", p.ConfWas),
		shell.Bind("include_in", s.IncludeIn), shell.Bind("include_line", s.includeLine()),
		shell.Bind("add_include", flag(p.AddInclude)), shell.Bind("named_conf", s.NamedConf),
		shell.Bind("reconfig", flag(p.Reconfig)))
}

func (s *DNS) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	script := s.ApplyScript(c)
	if script == "" {
		if _, err := plan.DecodePayload[dnsPayload](c); err != nil {
			return err
		}
		return fmt.Errorf("zone %s on %s: the plan carries no records for it (was it made by another version?)", s.Zone, s.NodeName)
	}
	if err := h.Run(ctx, transport.Command{Script: script}); err != nil {
		return fmt.Errorf("zone %s on %s: %w", s.Zone, s.NodeName, err)
	}
	r.Output("zone " + s.Zone + " served")
	return nil
}

// dnsApplyBody: files that changed since the plan are left alone (exit
// 3); the new zone must pass named-checkzone and the new fragment
// named-checkconf before either replaces anything, and the whole
// configuration must pass named-checkconf once the include is added, or
// the include is taken back. Then named reloads the zone and the script
// waits until it serves the new serial.
const dnsApplyBody = `set -e
sha() {
	if [ -e "$1" ]; then
		s=$(sha256sum < "$1")
		echo "${s%% *}"
	fi
}
unchanged() {
	if [ -n "$1" ] && [ "$(sha "$2")" != "$3" ]; then
		echo "$2 changed since the plan was made; run shoal plan again" >&2
		exit 3
	fi
}
unchanged "$write_zone" "$zone_file" "$zone_was"
unchanged "$write_conf" "$conf_file" "$conf_was"
zone_tmp=
conf_tmp=
inc_tmp=
trap 'rm -f -- "$zone_tmp" "$conf_tmp" "$inc_tmp"' EXIT
keep() {
	if [ -e "$1" ]; then
		cp -p -- "$1" "$1.shoal.bak.tmp"
		mv -f -- "$1.shoal.bak.tmp" "$1.shoal.bak"
	fi
}
if [ -n "$write_zone" ]; then
	mkdir -p -- "$(dirname -- "$zone_file")"
	zone_tmp=$(mktemp -- "$zone_file.shoal-tmp.XXXXXX")
	printf '%s' "$zone_content" > "$zone_tmp"
	chmod 0644 -- "$zone_tmp"
	if ! out=$(named-checkzone -k fail -i local "$zone" "$zone_tmp" 2>&1); then
		printf '%s\n' "$out" >&2
		echo "named-checkzone refused the new zone $zone; nothing changed" >&2
		exit 1
	fi
fi
if [ -n "$write_conf" ]; then
	mkdir -p -- "$(dirname -- "$conf_file")"
	conf_tmp=$(mktemp -- "$conf_file.shoal-tmp.XXXXXX")
	printf '%s' "$conf_content" > "$conf_tmp"
	chmod 0644 -- "$conf_tmp"
	if ! out=$(named-checkconf "$conf_tmp" 2>&1); then
		printf '%s\n' "$out" >&2
		echo "named-checkconf refused the declaration of $zone; nothing changed" >&2
		exit 1
	fi
fi
if [ -n "$zone_tmp" ]; then
	keep "$zone_file"
	sync -- "$zone_tmp"
	mv -f -- "$zone_tmp" "$zone_file"
	zone_tmp=
fi
if [ -n "$conf_tmp" ]; then
	keep "$conf_file"
	sync -- "$conf_tmp"
	mv -f -- "$conf_tmp" "$conf_file"
	conf_tmp=
fi
if [ -n "$add_include" ] && ! grep -qxF -- "$include_line" "$include_in" 2>/dev/null; then
	inc_tmp=$(mktemp -- "$include_in.shoal-tmp.XXXXXX")
	if [ -e "$include_in" ]; then
		cat -- "$include_in" > "$inc_tmp"
		chown --reference="$include_in" -- "$inc_tmp"
		chmod --reference="$include_in" -- "$inc_tmp"
		if [ -s "$inc_tmp" ] && [ -n "$(tail -c 1 -- "$inc_tmp")" ]; then echo >> "$inc_tmp"; fi
		keep "$include_in"
	else
		chmod 0644 -- "$inc_tmp"
	fi
	printf '%s\n' "$include_line" >> "$inc_tmp"
	sync -- "$inc_tmp"
	mv -f -- "$inc_tmp" "$include_in"
	inc_tmp=
	if ! out=$(named-checkconf "$named_conf" 2>&1); then
		printf '%s\n' "$out" >&2
		if [ -e "$include_in.shoal.bak" ]; then
			cp -p -- "$include_in.shoal.bak" "$include_in"
		else
			rm -f -- "$include_in"
		fi
		echo "named-checkconf refused $named_conf with $zone included: $include_in is as it was" >&2
		exit 1
	fi
fi
if [ -n "$reconfig" ]; then
	rndc reconfig
fi
rndc reload "$zone" >/dev/null
i=0
while :; do
	now=$(rndc zonestatus "$zone" 2>/dev/null | sed -n 's/^serial: //p')
	[ "$now" != "$serial" ] || break
	i=$((i + 1))
	if [ "$i" -ge 100 ]; then
		echo "named still serves serial ${now:-none} of $zone after the reload, not $serial" >&2
		exit 1
	fi
	sleep 0.1
done
`
