package steps

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/shell"
)

// Failover, the dns kind's second mode (ClonePanel's "DNS fail-over"):
// each name points at the first of its hosts, in the order records lists
// them, that passes an HTTP health check. The check is a fact of the dns
// nodes, gathered with their other facts at plan time: each dns node of
// the block requests health_url at every host's address (curl
// --connect-to, so the request names the site as a visitor's does), and
// a host is healthy when any dns node that answered got health_status
// within health_timeout. The plan says why a name moved. When no host of
// a name is healthy, its record stays where the zone has it.
//
// Why the dns nodes and not the operator's machine: they sit where the
// zone is served, in the nodes' network; they reach the nodes when the
// operator's machine reaches them only through a jump host or a VPN; the
// checks ride the one round trip per node that gathers facts; and what
// the plan decided rests on facts apply and a saved plan can check.

// Defaults of the health check.
const (
	dnsDefaultHealthStatus  = 200
	dnsDefaultHealthTimeout = "5s"
	dnsMaxHealthTimeout     = time.Minute
)

// dnsHealth is a failover block's health check.
type dnsHealth struct {
	URL      string
	Host     string // the URL's host, which --connect-to sends elsewhere
	Port     string
	Status   int
	Timeout  time.Duration
	Checkers []string // the dns nodes that check, the block's nodes
}

// validateHealth checks the health arguments as far as known: they go
// with failover, and health_url is an http or https URL.
func validateHealth(d *block.Decl) hashicl.Diagnostics {
	var diags hashicl.Diagnostics
	bad := func(arg, summary, format string, args ...any) {
		diags = append(diags, d.Error(arg, summary, "%s: %s: "+format, append([]any{d.Owner, d.Describe()}, args...)...))
	}
	failover := d.Known("mode") && d.String("mode") == dnsFailover
	if d.Known("mode") && !failover {
		for _, a := range []string{"health_url", "health_status", "health_timeout"} {
			if d.Known(a) {
				bad(a, "Health check without failover", "%s only means something with mode = %q, which points each name at its first healthy host.", a, dnsFailover)
			}
		}
	}
	if failover && !d.Has("health_url") {
		bad("mode", "Failover without a health check", "mode = %q needs health_url: the URL whose answer says a host is healthy (\"http://blog.example/\").", dnsFailover)
	}
	if d.Known("health_url") {
		if _, problem := parseHealthURL(d.String("health_url")); problem != "" {
			bad("health_url", "Invalid health_url", "%s.", problem)
		}
	}
	if d.Known("health_status") {
		v, _ := d.Values["health_status"].UnmarkDeep()
		if n, err := convert.Convert(v, cty.Number); err == nil {
			if f := n.AsBigFloat(); !f.IsInt() || d.Int("health_status") < 100 || d.Int("health_status") > 599 {
				bad("health_status", "Invalid health_status", "health_status is the HTTP status a healthy host answers, 100 to 599 (200).")
			}
		}
	}
	if d.Known("health_timeout") {
		if t, err := time.ParseDuration(d.String("health_timeout")); err != nil || t <= 0 || t > dnsMaxHealthTimeout {
			bad("health_timeout", "Invalid health_timeout", "health_timeout %q is a duration up to a minute, like \"5s\".", d.String("health_timeout"))
		}
	}
	return diags
}

// parseHealthURL reads a health URL: http or https, a host, no user.
func parseHealthURL(raw string) (*url.URL, string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || block.HasControl(raw) || strings.ContainsAny(raw, " '\""):
		return nil, fmt.Sprintf("%q is not a URL", raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Sprintf("health_url %q is not an http:// or https:// URL: the check is an HTTP request", raw)
	case u.Hostname() == "" || u.User != nil || u.Opaque != "":
		return nil, fmt.Sprintf("health_url %q needs a host (\"http://blog.example/\") and no user", raw)
	}
	return u, ""
}

// newHealth reads a failover block's health check for its step.
func newHealth(u *Unit, d *block.Decl) *dnsHealth {
	parsed, _ := parseHealthURL(d.String("health_url"))
	h := &dnsHealth{URL: d.String("health_url"), Host: parsed.Hostname(), Port: parsed.Port(), Status: dnsDefaultHealthStatus, Checkers: u.Nodes}
	if h.Port == "" {
		h.Port = map[string]string{"http": "80", "https": "443"}[parsed.Scheme]
	}
	if d.Known("health_status") {
		h.Status = d.Int("health_status")
	}
	h.Timeout, _ = time.ParseDuration(dnsDefaultHealthTimeout)
	if d.Known("health_timeout") {
		h.Timeout, _ = time.ParseDuration(d.String("health_timeout"))
	}
	return h
}

// fact is the check of every host of names, made from one dns node.
func (h *dnsHealth) fact(names []dnsName) healthChecks {
	var addrs []string
	for _, n := range names {
		for _, t := range n.Targets {
			if !slices.Contains(addrs, t.Address) {
				addrs = append(addrs, t.Address)
			}
		}
	}
	return healthChecks{URL: h.URL, Host: h.Host, Port: h.Port, Timeout: h.Timeout, Addresses: addrs}
}

// healthChecks requests URL at each of Addresses, at once, and prints per
// address "<address> <curl's exit status> <HTTP status>"; "nocurl" alone
// when the node has no curl. The output holds nothing that varies from
// one run to the next but the outcome, so a saved plan's facts compare.
type healthChecks struct {
	URL, Host, Port string
	Timeout         time.Duration
	Addresses       []string
}

func (x healthChecks) Key() string {
	return fmt.Sprintf("dns-health:%s %s %s", x.URL, x.Timeout, strings.Join(x.Addresses, ","))
}

func (x healthChecks) Command() string {
	return shell.Script(healthChecksBody,
		shell.Bind("url", x.URL), shell.Bind("host", x.Host), shell.Bind("port", x.Port),
		shell.Bind("timeout", strconv.FormatFloat(x.Timeout.Seconds(), 'f', -1, 64)),
		shell.BindLines("addrs", x.Addresses))
}

const healthChecksBody = `if ! command -v curl >/dev/null 2>&1; then echo nocurl; exit 0; fi
out=$(mktemp -d) || exit 1
for a in $addrs; do
	(
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time "$timeout" --connect-to "$host:$port:$a:$port" -- "$url" </dev/null)
		printf '%s %s\n' "$?" "$code" > "$out/$a"
	) &
done
wait
for a in $addrs; do
	printf '%s %s\n' "$a" "$(cat "$out/$a")"
done
rm -rf -- "$out"`

// healthOf is what checks found of one host.
type healthOf struct {
	Healthy bool
	Why     string // why not healthy, from the checker that came closest
}

// readHealth gathers the checks of every dns node of the block: a host is
// healthy when one that answered saw it so. A checker other than this
// node that can't be reached is left out; none at all is an error.
func (s *DNS) readHealth(ctx context.Context, src facts.Source) (map[string]healthOf, error) {
	fact := s.Health.fact(s.Names)
	out := map[string]healthOf{}
	answered := 0
	// this node first: a host's failure is told as this node saw it
	checkers := append([]string{s.NodeName}, slices.DeleteFunc(slices.Clone(s.Health.Checkers), func(n string) bool { return n == s.NodeName })...)
	for _, checker := range checkers {
		sec, err := src.Get(ctx, checker, fact)
		if err != nil {
			if checker == s.NodeName {
				return nil, err
			}
			continue
		}
		if strings.TrimSpace(sec.Output) == "nocurl" {
			return nil, fmt.Errorf("checking the hosts' health from %s: it has no curl (install it, with a package block)", checker)
		}
		answered++
		for _, line := range strings.Split(strings.TrimSpace(sec.Output), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			addr, code := f[0], ""
			if len(f) > 2 {
				code = f[2]
			}
			if out[addr].Healthy {
				continue
			}
			if f[1] == "0" && code == strconv.Itoa(s.Health.Status) {
				out[addr] = healthOf{Healthy: true}
				continue
			}
			if out[addr].Why == "" {
				out[addr] = healthOf{Why: s.Health.failure(addr, f[1], code, checker)}
			}
		}
	}
	if answered == 0 {
		return nil, fmt.Errorf("no dns node could check the hosts' health")
	}
	return out, nil
}

// failure says why a check failed, from curl's exit status and the HTTP
// status.
func (h *dnsHealth) failure(addr, exit, code, checker string) string {
	what := map[string]string{
		"6":  "the name does not resolve",
		"7":  "connection refused",
		"28": fmt.Sprintf("no answer within %s", h.Timeout),
		"35": "the TLS handshake failed",
		"52": "an empty reply",
		"56": "the connection broke",
		"60": "its TLS certificate is not trusted",
	}[exit]
	switch {
	case exit == "0":
		what = fmt.Sprintf("HTTP %s, not %d", code, h.Status)
	case what == "":
		what = "curl exit " + exit
	}
	return fmt.Sprintf("%s at %s from %s: %s", h.URL, addr, checker, what)
}

// failoverRecords points each name at the first of its hosts that is
// healthy, and says why for a name that does not get its first host.
// When none is healthy, the name keeps the records the zone has now
// (current: its A records by name), or its first host in a new zone.
func failoverRecords(names []dnsName, health map[string]healthOf, current map[string][]string) ([]dnsRecord, []string) {
	var out []dnsRecord
	var why []string
	for _, n := range names {
		pick := -1
		for i, t := range n.Targets {
			if health[t.Address].Healthy {
				pick = i
				break
			}
		}
		var failed []string
		limit := pick
		if pick < 0 {
			limit = len(n.Targets)
		}
		for _, t := range n.Targets[:limit] {
			failed = append(failed, targetName(t)+" fails its health check ("+health[t.Address].Why+")")
		}
		switch {
		case pick >= 0:
			out = append(out, dnsRecord{Name: n.Name, Address: n.Targets[pick].Address})
			if pick > 0 {
				why = append(why, fmt.Sprintf("%s → %s: %s", n.Name, targetName(n.Targets[pick]), strings.Join(failed, "; ")))
			}
		case len(current[n.Name]) > 0:
			for _, a := range current[n.Name] {
				out = append(out, dnsRecord{Name: n.Name, Address: a})
			}
			why = append(why, fmt.Sprintf("%s stays on %s: no host is healthy (%s)", n.Name, strings.Join(current[n.Name], ", "), strings.Join(failed, "; ")))
		default:
			out = append(out, dnsRecord{Name: n.Name, Address: n.Targets[0].Address})
			why = append(why, fmt.Sprintf("%s → %s: no host is healthy (%s)", n.Name, targetName(n.Targets[0]), strings.Join(failed, "; ")))
		}
	}
	return out, why
}

// targetName names a host for the plan: "slave1 (10.0.0.12)".
func targetName(t dnsTarget) string {
	if t.Node == "" {
		return t.Address
	}
	return t.Node + " (" + t.Address + ")"
}

// zoneRecords reads the A records of a zone file shoal wrote, by name.
func zoneRecords(content string) map[string][]string {
	out := map[string][]string{}
	for _, line := range strings.Split(content, "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && f[1] == "IN" && f[2] == "A" && net.ParseIP(f[3]) != nil {
			out[f[0]] = append(out[f[0]], f[3])
		}
	}
	return out
}
