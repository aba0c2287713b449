package steps

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// service: `service "nginx" { check = "nginx -t", on_change = [file.site] }`
// keeps a service running and enabled at boot, and reloads it (or
// restarts it, reload = "restart") only when a block its on_change names
// changed, after its config test passed. With systemd running on the
// node (/run/systemd/system) through systemctl; otherwise through the
// init script /etc/init.d/<name>, run as service(8) runs it, and
// update-rc.d for boot.
//
// A block compiles to two steps per node: the service itself (start,
// enable; always planned, after the blocks on_change names, so a start
// reads their new content) and its reload (planned only when one of them
// changes: it follows them). A reload that failed or never ran after its
// config was written (the config test failed, the run was stopped) is not
// forgotten: a file, cron or line write leaves a stamp on the node (see
// fileWrite.Stamp) and the service records, when it starts or reloads,
// the stamps it loaded; the next plan reloads while they differ.
//
// A service waits for the site's package blocks on its node.
var _ = register(&Kind{
	Type:      "service",
	LabelKind: block.LabelName,
	Arguments: []Argument{
		{Name: "name", Type: cty.String},
		{Name: "reload", Type: cty.String},
		{Name: "check", Type: cty.String},
		{Name: "enabled", Type: cty.Bool},
	},
	IsStep:     true,
	DefaultOn:  "all",
	Validate:   validateService,
	DefaultsOf: serviceDefaults,
	Compile:    compileService,
})

// serviceName: a systemd unit or init script name.
var serviceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,127}$`)

func validateService(d *block.Decl) hashicl.Diagnostics {
	var diags hashicl.Diagnostics
	if d.Known("name") && !serviceName.MatchString(d.String("name")) {
		diags = append(diags, d.Error("name", "Invalid service name",
			"%s: %s: %q is not a service name: letters, digits, '_', '.', '@', ':' and '-', starting with a letter or digit.", d.Owner, d.Describe(), d.String("name")))
	}
	if d.Known("reload") {
		if r := d.String("reload"); r != "reload" && r != "restart" {
			diags = append(diags, d.Error("reload", "Invalid reload",
				"%s: %s: reload is \"reload\" or \"restart\": what a change of what on_change names does; not %q.", d.Owner, d.Describe(), r))
		}
	}
	if d.Known("check") && (strings.TrimSpace(d.String("check")) == "" || block.HasControl(d.String("check"))) {
		diags = append(diags, d.Error("check", "Invalid check",
			"%s: %s: check is one line of shell that tests the service's configuration (\"nginx -t\").", d.Owner, d.Describe()))
	}
	for _, a := range []string{"name", "check"} {
		if d.Sensitive(a) {
			diags = append(diags, d.Error(a, "Sensitive value in a service",
				"%s: %s: %s holds a sensitive value, which would show in plans and in ps. Keep secrets in a file only the service reads (a file block with mode = \"0600\").", d.Owner, d.Describe(), a))
		}
	}
	return diags
}

func serviceDefaults(d *block.Decl) map[string]cty.Value {
	return map[string]cty.Value{
		"name":    cty.StringVal(d.Label),
		"reload":  cty.StringVal("reload"),
		"enabled": cty.True,
	}
}

func compileService(u *Unit) ([]Entry, hashicl.Diagnostics) {
	var leads []string
	for _, r := range u.Decl.OnChange {
		leads = append(leads, r.String())
	}
	var out []Entry
	var diags hashicl.Diagnostics
	for _, n := range u.Nodes {
		d, ds := u.Eval(n)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		svc := &serviceUnit{
			NodeName: n, Site: u.Site.Name, Label: d.Label,
			Name: d.String("name"), Action: d.String("reload"), Check: d.String("check"), Enabled: true,
			Leads: leads, InitDir: "/etc/init.d", RcDir: "/etc", StateDir: stateDir,
		}
		if svc.Name == "" {
			svc.Name = d.Label
		}
		if svc.Action == "" {
			svc.Action = "reload"
		}
		if d.Known("enabled") {
			svc.Enabled = d.Bool("enabled")
		}
		packages := []Ref{{Site: u.Site.Name, Node: n, Kind: "package"}}
		out = append(out, Entry{Step: Service{svc}, Site: u.Site.Name, After: packages, Unconditional: true})
		if len(leads) > 0 {
			out = append(out, Entry{Step: ServiceReload{svc}, Site: u.Site.Name, After: packages})
		}
	}
	return out, diags
}

// serviceUnit is one service block on one node, as its two steps share it.
type serviceUnit struct {
	NodeName string
	Site     string
	Label    string // the block's label: its records live under it
	Name     string // the service: systemd unit or init script
	Action   string // reload | restart: what a change of its config does
	Check    string // a config test run before any start, reload or restart; "" none
	Enabled  bool   // started at boot (false: not)
	Leads    []string
	// Where the node keeps things; tests point them at a temporary tree.
	InitDir string // init scripts: /etc/init.d
	// RcDir holds rc2.d … rc5.d (/etc), where shoal looks for boot links;
	// update-rc.d, which makes them, knows only /etc.
	RcDir    string
	StateDir string // stamps and records: /var/lib/shoal
}

func (s *serviceUnit) fact() serviceFact {
	return serviceFact{Name: s.Name, Leads: s.Leads, InitDir: s.InitDir, RcDir: s.RcDir,
		Stamps:  s.StateDir + "/changed/" + s.Site,
		Records: s.records()}
}

// records is where the service notes the stamps it has loaded.
func (s *serviceUnit) records() string {
	return s.StateDir + "/loaded/" + s.Site + "/service." + s.Label
}

func (s *serviceUnit) facts() []NodeFact { return []NodeFact{{s.NodeName, s.fact()}} }

func (s *serviceUnit) state(ctx context.Context, src facts.Source) (serviceState, error) {
	sec, err := src.Get(ctx, s.NodeName, s.fact())
	if err != nil {
		return serviceState{}, err
	}
	st, err := parseServiceState(sec.Output)
	if err != nil {
		return st, fmt.Errorf("reading service %s on %s: %w", s.Name, s.NodeName, err)
	}
	return st, nil
}

// script is what carries out a service change: the start or the reload,
// after the config test, then the boot config.
func (s *serviceUnit) script(p servicePayload) string {
	on := func(b bool) string {
		if b {
			return "1"
		}
		return ""
	}
	return shell.Script(serviceBody,
		shell.Bind("name", s.Name), shell.Bind("init", p.Init),
		shell.Bind("start", on(p.Start)), shell.Bind("reload", on(p.Reload)), shell.Bind("boot", p.Boot),
		shell.Bind("action", s.Action), shell.Bind("check", s.Check),
		shell.Bind("initd", s.InitDir), shell.Bind("rcdir", s.RcDir), shell.BindLines("leads", s.Leads),
		shell.Bind("stamps", s.StateDir+"/changed/"+s.Site), shell.Bind("records", s.records()))
}

func (s *serviceUnit) applyScript(c *plan.Change) string {
	p, err := plan.DecodePayload[servicePayload](c)
	if err != nil || (p.Init != "systemd" && p.Init != "sysv") {
		return ""
	}
	return s.script(p)
}

func (s *serviceUnit) apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	script := s.applyScript(c)
	if script == "" {
		if _, err := plan.DecodePayload[servicePayload](c); err != nil {
			return err
		}
		return fmt.Errorf("%s: the plan names no init system shoal knows", c.ID)
	}
	return runReporting(ctx, h, script, r, fmt.Sprintf("service %s on %s", s.Name, s.NodeName))
}

// servicePayload is a service change's decision: how the node runs
// services (re-checked by the script), and what to do.
type servicePayload struct {
	Init   string `json:"init"`             // systemd | sysv
	Start  bool   `json:"start,omitempty"`  // it is not running
	Reload bool   `json:"reload,omitempty"` // reload (or restart) it
	Boot   string `json:"boot,omitempty"`   // enable | disable
}

// Service keeps a service running and its start at boot as declared; it
// also carries out a reload still owed from an earlier run.
type Service struct{ *serviceUnit }

// ServiceReload reloads (or restarts) a running service when a block its
// on_change names changes.
type ServiceReload struct{ *serviceUnit }

var (
	_ Scripter = Service{}
	_ Scripter = ServiceReload{}
)

// ID names the site: two sites may each declare the service nginx.
func (s Service) ID() string        { return changeID(s.NodeName, "service", s.Site+"/"+s.Name) }
func (s Service) Kind() string      { return "service" }
func (s Service) Node() string      { return s.NodeName }
func (s Service) Facts() []NodeFact { return s.facts() }

func (s ServiceReload) ID() string {
	return changeID(s.NodeName, "service", s.Site+"/"+s.Name+"/"+s.Action)
}
func (s ServiceReload) Kind() string      { return "service" }
func (s ServiceReload) Node() string      { return s.NodeName }
func (s ServiceReload) Facts() []NodeFact { return s.facts() }

func (s Service) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	c := &plan.Change{ID: s.ID(), Node: s.NodeName, Site: s.Site, Kind: s.Kind(), Target: s.Name}
	st, err := s.state(ctx, src)
	if err != nil {
		return nil, err
	}
	if st.boot == "masked" || st.boot == "masked-runtime" {
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("%s is masked on %s: shoal does not unmask it (systemctl unmask %s, if it should run)", s.Name, s.NodeName, s.Name)
		return c, nil
	}
	p := servicePayload{Init: st.init}
	var todo []string
	switch {
	case !st.running:
		p.Start = true
		todo = append(todo, "start")
	case len(st.pending) > 0:
		p.Reload = true
		todo = append(todo, fmt.Sprintf("%s: %s written since %s last loaded it (a %s failed or never ran)",
			s.Action, strings.Join(st.pending, ", "), s.Name, s.Action))
	}
	switch {
	case st.boot == "unknown":
	case s.Enabled && !startsAtBoot[st.boot]:
		p.Boot = "enable"
		todo = append(todo, "enable at boot")
	case !s.Enabled && (st.boot == "enabled" || st.boot == "enabled-runtime"):
		p.Boot = "disable"
		todo = append(todo, "disable at boot")
	}
	if len(todo) == 0 {
		c.Action, c.Reason = plan.NoOp, s.Name+" is running"
		return c, nil
	}
	c.Action = plan.Update
	c.Summary = strings.Join(todo, ", ")
	if s.Check != "" && (p.Start || p.Reload) {
		c.Details = []string{"config test first: " + s.Check}
	}
	plan.SetPayload(c, p)
	return c, nil
}

func (s ServiceReload) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	c := &plan.Change{ID: s.ID(), Node: s.NodeName, Site: s.Site, Kind: s.Kind(), Target: s.Name}
	st, err := s.state(ctx, src)
	if err != nil {
		return nil, err
	}
	switch {
	case !st.running:
		c.Action, c.Reason = plan.NoOp, fmt.Sprintf("%s is not running: starting it reads the new configuration", s.Name)
		return c, nil
	case len(st.pending) > 0:
		c.Action, c.Reason = plan.NoOp, fmt.Sprintf("the %s owed from an earlier run loads the new configuration too", s.Action)
		return c, nil
	}
	c.Action = plan.Update
	c.Summary = fmt.Sprintf("%s: %s changed", s.Action, strings.Join(s.Leads, " or "))
	if s.Check != "" {
		c.Details = []string{"config test first: " + s.Check}
	}
	plan.SetPayload(c, servicePayload{Init: st.init, Reload: true})
	return c, nil
}

func (s Service) ApplyScript(c *plan.Change) string       { return s.applyScript(c) }
func (s ServiceReload) ApplyScript(c *plan.Change) string { return s.applyScript(c) }

func (s Service) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	return s.apply(ctx, h, c, r)
}

func (s ServiceReload) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	return s.apply(ctx, h, c, r)
}

// serviceFact reads how the node runs services, whether this one runs and
// starts at boot, and, for each block it follows, the stamp of that
// block's last write and the stamp the service last loaded:
//
//	init systemd|sysv
//	active yes|no
//	boot <systemctl is-enabled's word, or not-found> | enabled|disabled|unknown (sysv)
//	lead <address> <stamp or -> <loaded or ->
type serviceFact struct {
	Name            string
	Leads           []string
	InitDir, RcDir  string
	Stamps, Records string
}

func (x serviceFact) Key() string {
	return "service:" + x.Name + ":" + x.Records + ":" + strings.Join(x.Leads, ",")
}

func (x serviceFact) Command() string {
	return shell.Script(serviceFactBody,
		shell.Bind("name", x.Name), shell.Bind("initd", x.InitDir), shell.Bind("rcdir", x.RcDir),
		shell.BindLines("leads", x.Leads), shell.Bind("stamps", x.Stamps), shell.Bind("records", x.Records))
}

const serviceFactBody = `if [ -d /run/systemd/system ]; then
	echo init systemd
	if systemctl is-active --quiet -- "$name"; then echo active yes; else echo active no; fi
	boot=$(systemctl is-enabled -- "$name" 2>/dev/null) || :
	echo "boot ${boot:-not-found}"
else
	echo init sysv
	if [ -x "$initd/$name" ] && (cd / && exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C "$initd/$name" status) </dev/null >/dev/null 2>&1; then
		echo active yes
	else
		echo active no
	fi
	if command -v update-rc.d >/dev/null 2>&1; then
		boot=disabled
		for f in "$rcdir"/rc[2345].d/S[0-9][0-9]"$name"; do
			if [ -e "$f" ]; then boot=enabled; fi
		done
		echo "boot $boot"
	else
		echo boot unknown
	fi
fi
printf '%s\n' "$leads" | while IFS= read -r l; do
	[ -n "$l" ] || continue
	s=-
	r=-
	if [ -f "$stamps/$l" ]; then read -r s <"$stamps/$l" || s=-; fi
	if [ -f "$records/$l" ]; then read -r r <"$records/$l" || r=-; fi
	echo "lead $l ${s:--} ${r:--}"
done
`

// startsAtBoot: the states of a unit (systemctl is-enabled) or init
// script that start it at boot. A static, indirect or generated unit is
// started by what needs it, and can't be disabled.
var startsAtBoot = map[string]bool{
	"enabled": true, "enabled-runtime": true, "static": true, "indirect": true, "generated": true, "alias": true,
}

// serviceState is what serviceFact says.
type serviceState struct {
	init    string // systemd | sysv
	running bool
	boot    string   // enabled | disabled | unknown, or what systemctl is-enabled says
	pending []string // leads written since the service last loaded them
}

func parseServiceState(out string) (serviceState, error) {
	var st serviceState
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) == 2 && f[0] == "init":
			st.init = f[1]
		case len(f) == 2 && f[0] == "active":
			st.running = f[1] == "yes"
		case len(f) == 2 && f[0] == "boot":
			st.boot = f[1]
		case len(f) == 4 && f[0] == "lead":
			if f[2] != "-" && f[2] != f[3] {
				st.pending = append(st.pending, f[1])
			}
		default:
			return st, fmt.Errorf("unexpected line %q", l)
		}
	}
	if st.init != "systemd" && st.init != "sysv" || st.boot == "" {
		return st, fmt.Errorf("unexpected service facts %q", out)
	}
	return st, nil
}

// serviceBody carries out a service change on the node. Daemons keep the
// descriptors they are started with, so init scripts run with /dev/null
// in and a file out (never the session's pipes, which would hold the
// session open); what they print is shown after.
const serviceBody = `set -e
if [ -d /run/systemd/system ]; then now=systemd; else now=sysv; fi
if [ "$now" != "$init" ]; then
	echo "the plan was made for $init, but this node now runs $now; run shoal plan again" >&2
	exit 3
fi
ctl() {
	if [ "$init" = systemd ]; then
		systemctl "$1" -- "$name"
	elif [ -x "$initd/$name" ]; then
		(cd / && exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C "$initd/$name" "$1")
	else
		echo "$initd/$name is missing: is $name installed?"
		return 1
	fi
}
running() {
	if [ "$init" = systemd ]; then
		systemctl is-active --quiet -- "$name"
	else
		[ -x "$initd/$name" ] && ctl status </dev/null >/dev/null 2>&1
	fi
}
logged() {
	log=$(mktemp)
	st=0
	ctl "$1" </dev/null >"$log" 2>&1 || st=$?
	cat -- "$log"
	rm -f -- "$log"
	if [ "$st" -ne 0 ]; then
		echo "$1 $name failed (exit $st)" >&2
		exit 1
	fi
	i=0
	until running; do
		i=$((i + 1))
		if [ "$i" -ge 50 ]; then
			echo "$name is not running after $1" >&2
			exit 1
		fi
		sleep 0.1
	done
}
config_test() {
	[ -n "$check" ] || return 0
	st=0
	out=$(sh -c "$check" </dev/null 2>&1) || st=$?
	[ "$st" -ne 0 ] || return 0
	printf '%s\n' "$out"
	echo "config test failed ($check: exit $st): $name not ${1}ed, it runs as it was" >&2
	exit 1
}
record() {
	printf '%s\n' "$leads" | while IFS= read -r l; do
		[ -n "$l" ] && [ -f "$stamps/$l" ] || continue
		mkdir -p -- "$records"
		cp -- "$stamps/$l" "$records/$l.tmp"
		mv -f -- "$records/$l.tmp" "$records/$l"
	done
}
if [ -n "$start" ]; then
	if running; then
		echo "$name was started since the plan was made: $action so it runs the current configuration"
		config_test "$action"
		logged "$action"
	else
		config_test start
		logged start
	fi
	record
elif [ -n "$reload" ]; then
	if ! running; then
		echo "$name is not running any more; run shoal plan again" >&2
		exit 3
	fi
	config_test "$action"
	logged "$action"
	record
fi
case $boot in
enable)
	if [ "$init" = systemd ]; then
		systemctl enable --quiet -- "$name"
	else
		links=
		for f in "$rcdir"/rc[2345].d/[SK][0-9][0-9]"$name"; do
			if [ -e "$f" ]; then links=1; fi
		done
		if [ -n "$links" ]; then
			update-rc.d "$name" enable
		else
			# no start or stop links where it would run: make them anew
			update-rc.d -f "$name" remove >/dev/null
			update-rc.d "$name" defaults
		fi
	fi
	;;
disable)
	if [ "$init" = systemd ]; then
		systemctl disable --quiet -- "$name"
	else
		update-rc.d "$name" disable
	fi
	;;
esac
`
