package steps

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

func TestServiceRefusesBadInput(t *testing.T) {
	for _, tt := range []struct {
		name   string
		values map[string]cty.Value
		want   string
	}{
		{"a path", map[string]cty.Value{"name": cty.StringVal("../../bin/sh")}, "Invalid service name"},
		{"an option", map[string]cty.Value{"name": cty.StringVal("--now")}, "Invalid service name"},
		{"blanks", map[string]cty.Value{"name": cty.StringVal("nginx; reboot")}, "Invalid service name"},
		{"reload", map[string]cty.Value{"reload": cty.StringVal("stop")}, "Invalid reload"},
		{"empty check", map[string]cty.Value{"check": cty.StringVal("  ")}, "Invalid check"},
		{"two-line check", map[string]cty.Value{"check": cty.StringVal("nginx -t\nreboot")}, "Invalid check"},
		{"secret check", map[string]cty.Value{"check": cty.StringVal("mysqladmin -phunter22 ping").Mark(block.SensitiveMark)}, "Sensitive value in a service"},
		{"enabled", map[string]cty.Value{"enabled": cty.StringVal("sometimes")}, "Wrong type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := diagText(KindOf("service").Check(testDecl("service", "web", tt.values)))
			if !strings.Contains(got, tt.want) {
				t.Errorf("diagnostics %q, want %q", got, tt.want)
			}
		})
	}
	ok := testDecl("service", "php", map[string]cty.Value{"name": cty.StringVal("php8.2-fpm"), "reload": cty.StringVal("restart"),
		"check": cty.StringVal("php-fpm8.2 -t"), "enabled": cty.False})
	if diags := KindOf("service").Check(ok); len(diags) > 0 {
		t.Errorf("a good service block: %s", diagText(diags))
	}
}

func testService() *serviceUnit {
	return &serviceUnit{NodeName: "web1", Site: "s", Label: "nginx", Name: "nginx", Action: "reload", Check: "nginx -t", Enabled: true,
		Leads: []string{"file.site"}, InitDir: "/etc/init.d", RcDir: "/etc", StateDir: "/var/lib/shoal"}
}

// TestServiceDiff decides from fixed facts what the service and its
// reload plan: start when stopped (the reload then has nothing to add), a
// reload owed from an earlier run, boot config, and a mask left alone.
func TestServiceDiff(t *testing.T) {
	svc := testService()
	key := svc.fact().Key()
	type want struct {
		action  plan.Action
		summary string
		reason  string
		payload servicePayload
	}
	for _, tt := range []struct {
		name           string
		out            string
		enabled        bool
		service, after want
	}{
		{"stopped, not enabled", "init sysv\nactive no\nboot disabled\nlead file.site abc -\n", true,
			want{plan.Update, "start, enable at boot", "", servicePayload{Init: "sysv", Start: true, Boot: "enable"}},
			want{plan.NoOp, "", "nginx is not running: starting it reads the new configuration", servicePayload{}}},
		{"running as declared", "init systemd\nactive yes\nboot enabled\nlead file.site abc abc\n", true,
			want{plan.NoOp, "", "nginx is running", servicePayload{}},
			want{plan.Update, "reload: file.site changed", "", servicePayload{Init: "systemd", Reload: true}}},
		{"never written", "init sysv\nactive yes\nboot enabled\nlead file.site - -\n", true,
			want{plan.NoOp, "", "nginx is running", servicePayload{}},
			want{plan.Update, "reload: file.site changed", "", servicePayload{Init: "sysv", Reload: true}}},
		{"a reload owed", "init sysv\nactive yes\nboot enabled\nlead file.site def abc\n", true,
			want{plan.Update, "reload: file.site written since nginx last loaded it (a reload failed or never ran)", "", servicePayload{Init: "sysv", Reload: true}},
			want{plan.NoOp, "", "the reload owed from an earlier run loads the new configuration too", servicePayload{}}},
		{"to disable", "init systemd\nactive yes\nboot enabled\nlead file.site abc abc\n", false,
			want{plan.Update, "disable at boot", "", servicePayload{Init: "systemd", Boot: "disable"}},
			want{plan.Update, "reload: file.site changed", "", servicePayload{Init: "systemd", Reload: true}}},
		{"boot unknown", "init sysv\nactive yes\nboot unknown\nlead file.site abc abc\n", true,
			want{plan.NoOp, "", "nginx is running", servicePayload{}},
			want{plan.Update, "reload: file.site changed", "", servicePayload{Init: "sysv", Reload: true}}},
		{"static, to disable", "init systemd\nactive yes\nboot static\nlead file.site abc abc\n", false,
			want{plan.NoOp, "", "nginx is running", servicePayload{}},
			want{plan.Update, "reload: file.site changed", "", servicePayload{Init: "systemd", Reload: true}}},
		{"not installed yet", "init systemd\nactive no\nboot not-found\nlead file.site - -\n", true,
			want{plan.Update, "start, enable at boot", "", servicePayload{Init: "systemd", Start: true, Boot: "enable"}},
			want{plan.NoOp, "", "nginx is not running: starting it reads the new configuration", servicePayload{}}},
		{"masked", "init systemd\nactive no\nboot masked\nlead file.site - -\n", true,
			want{plan.Conflict, "", "nginx is masked on web1: shoal does not unmask it (systemctl unmask nginx, if it should run)", servicePayload{}},
			want{plan.NoOp, "", "nginx is not running: starting it reads the new configuration", servicePayload{}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			svc.Enabled = tt.enabled
			src := fixedFacts{"web1": {key: {Output: tt.out}}}
			for _, s := range []struct {
				step Step
				want want
			}{{Service{svc}, tt.service}, {ServiceReload{svc}, tt.after}} {
				c, err := s.step.Diff(context.Background(), src)
				failOn(t, err)
				if c.Action != s.want.action || c.Summary != s.want.summary || c.Reason != s.want.reason {
					t.Errorf("%s: got %s %q %q, want %s %q %q", s.step.ID(), c.Action, c.Summary, c.Reason, s.want.action, s.want.summary, s.want.reason)
				}
				if c.Action != plan.Update {
					continue
				}
				got, err := plan.DecodePayload[servicePayload](c)
				failOn(t, err)
				if d := cmp.Diff(s.want.payload, got); d != "" {
					t.Errorf("%s: payload (-want +got):\n%s", s.step.ID(), d)
				}
				if (got.Start || got.Reload) && !slicesContain(c.Details, "config test first: nginx -t") {
					t.Errorf("%s: details %q should say the config test comes first", s.step.ID(), c.Details)
				}
			}
		})
	}
	if a, b := (Service{svc}).ID(), (ServiceReload{svc}).ID(); a != "web1/service/s/nginx" || b != "web1/service/s/nginx/reload" {
		t.Errorf("IDs %s, %s", a, b)
	}
}

// fakeInit is an init script in a temporary tree that runs a sleep as its
// daemon and logs each start, reload and restart; enabled at boot.
type fakeInit struct {
	svc *serviceUnit
	dir string
}

func newFakeInit(t *testing.T) *fakeInit {
	dir := t.TempDir()
	for _, d := range []string{"init.d", "rc2.d", "state", "run"} {
		failOn(t, os.Mkdir(filepath.Join(dir, d), 0o755))
	}
	script := `#!/bin/sh
run=` + filepath.Join(dir, "run") + `
case $1 in
start)
	sleep 300 </dev/null >/dev/null 2>&1 &
	echo $! >"$run/pid"
	echo start >>"$run/log"
	echo "Starting fake: fake."
	;;
status)
	[ -f "$run/pid" ] && kill -0 "$(cat "$run/pid")" 2>/dev/null
	;;
reload | restart)
	echo "$1" >>"$run/log"
	;;
*) exit 3 ;;
esac
`
	failOn(t, os.WriteFile(filepath.Join(dir, "init.d", "fake"), []byte(script), 0o755))
	failOn(t, os.Symlink("../init.d/fake", filepath.Join(dir, "rc2.d", "S01fake")))
	f := &fakeInit{dir: dir, svc: &serviceUnit{NodeName: "web1", Site: "s", Label: "fake", Name: "fake", Action: "reload", Enabled: true,
		Leads: []string{"file.conf"}, InitDir: filepath.Join(dir, "init.d"), RcDir: dir, StateDir: filepath.Join(dir, "state")}}
	t.Cleanup(func() {
		if b, err := os.ReadFile(filepath.Join(dir, "run", "pid")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				_ = syscall.Kill(pid, syscall.SIGTERM)
			}
		}
	})
	return f
}

// stamp is what a file block's write leaves for the service.
func (f *fakeInit) stamp(t *testing.T, content string) {
	p := changedStamp(f.svc.StateDir, "s", "file.conf")
	failOn(t, os.MkdirAll(filepath.Dir(p), 0o755))
	failOn(t, os.WriteFile(p, []byte(sha256Hex(content)+"\n"), 0o644))
}

func (f *fakeInit) log(t *testing.T) []string {
	b, err := os.ReadFile(filepath.Join(f.dir, "run", "log"))
	if os.IsNotExist(err) {
		return nil
	}
	failOn(t, err)
	return strings.Fields(string(b))
}

// TestServiceConvergesOnAHost drives a fake init script on this machine:
// start, a reload on change, a config test that fails (nothing reloaded,
// the reload owed to the next plan), then the owed reload once it passes.
// After each apply, a plan of the service has nothing left to do.
func TestServiceConvergesOnAHost(t *testing.T) {
	f := newFakeInit(t)
	h := localNode()
	svc, reload := Service{f.svc}, ServiceReload{f.svc}
	f.stamp(t, "v1")

	c := planOn(t, svc, h)
	if c.Action != plan.Update || c.Summary != "start" {
		t.Fatalf("first plan: %s %q %q", c.Action, c.Summary, c.Reason)
	}
	if r := planOn(t, reload, h); r.Action != plan.NoOp {
		t.Errorf("the reload of a stopped service: %s %q", r.Action, r.Summary)
	}
	if again := applyThenReplan(t, svc, h, c); again.Action != plan.NoOp {
		t.Fatalf("after start: %s %q", again.Action, again.Summary)
	}

	c = planOn(t, reload, h) // planned with the config's write, which runs first
	if c.Action != plan.Update || c.Summary != "reload: file.conf changed" {
		t.Fatalf("reload plan: %s %q %q", c.Action, c.Summary, c.Reason)
	}
	f.stamp(t, "v2")
	if again := applyThenReplan(t, reload, h, c); again.Action != plan.Update {
		t.Fatalf("a reload is planned (then settled by the planner) whenever it runs: %s", again.Action)
	}
	if again := planOn(t, svc, h); again.Action != plan.NoOp {
		t.Errorf("after the reload: %s %q", again.Action, again.Summary)
	}

	f.svc.Check = "echo 'emerg: unexpected }' >&2; exit 1"
	c = planOn(t, reload, h)
	f.stamp(t, "broken")
	rec := &recorder{}
	err := reload.Apply(context.Background(), h, c, rec)
	if err == nil || !strings.Contains(err.Error(), "config test failed") || !strings.Contains(err.Error(), "emerg: unexpected }") || !strings.Contains(err.Error(), "on web1") {
		t.Fatalf("a failing config test: %v", err)
	}
	owed := planOn(t, svc, h)
	if owed.Action != plan.Update || !strings.Contains(owed.Summary, "file.conf written since fake last loaded it") {
		t.Fatalf("after a failed reload the next plan owes one: %s %q", owed.Action, owed.Summary)
	}

	f.svc.Check = "true"
	if again := applyThenReplan(t, svc, h, owed); again.Action != plan.NoOp {
		t.Errorf("after the owed reload: %s %q", again.Action, again.Summary)
	}
	if d := cmp.Diff([]string{"start", "reload", "reload"}, f.log(t)); d != "" {
		t.Errorf("init script calls (-want +got):\n%s", d)
	}
}

// TestServiceStartRefusesABrokenConfig: a stopped service whose config test
// fails is not started, and stays owed.
func TestServiceStartRefusesABrokenConfig(t *testing.T) {
	f := newFakeInit(t)
	f.svc.Check = "false"
	h := localNode()
	svc := Service{f.svc}
	c := planOn(t, svc, h)
	if err := svc.Apply(context.Background(), h, c, &recorder{}); err == nil || !strings.Contains(err.Error(), "fake not started") {
		t.Fatalf("start with a failing config test: %v", err)
	}
	if f.log(t) != nil {
		t.Errorf("init script ran: %q", f.log(t))
	}
	if again := planOn(t, svc, h); again.Action != plan.Update || again.Summary != "start" {
		t.Errorf("still to start: %s %q", again.Action, again.Summary)
	}
}

// TestServiceRefusesWhatChangedSinceThePlan: a reload planned for a
// running service that stopped since is refused (exit 3), and a start
// planned for one that someone started since becomes a reload, so it runs
// what was just written.
func TestServiceRefusesWhatChangedSinceThePlan(t *testing.T) {
	f := newFakeInit(t)
	h := localNode()
	reload := ServiceReload{f.svc}
	c := &plan.Change{ID: reload.ID(), Node: "web1", Kind: "service", Target: "fake"}
	plan.SetPayload(c, servicePayload{Init: "sysv", Reload: true})
	err := h.Run(context.Background(), transport.Command{Script: reload.ApplyScript(c)})
	if exit, ok := err.(*transport.ExitError); !ok || exit.Status != 3 || !strings.Contains(exit.Stderr, "not running any more") {
		t.Errorf("reload of a stopped service: %v", err)
	}

	svc := Service{f.svc}
	start := planOn(t, svc, h)
	failOn(t, h.Run(context.Background(), transport.Command{Script: "sh " + filepath.Join(f.dir, "init.d", "fake") + " start >/dev/null"}))
	failOn(t, h.Run(context.Background(), transport.Command{Script: svc.ApplyScript(start)}))
	if d := cmp.Diff([]string{"start", "reload"}, f.log(t)); d != "" {
		t.Errorf("init script calls (-want +got):\n%s", d)
	}

	// the plan was made for the other init system than this machine runs
	other, runs := "systemd", "sysv"
	if _, err := os.Stat("/run/systemd/system"); err == nil {
		other, runs = "sysv", "systemd"
	}
	stale := &plan.Change{ID: svc.ID(), Node: "web1", Kind: "service", Target: "fake"}
	plan.SetPayload(stale, servicePayload{Init: other, Start: true})
	err = h.Run(context.Background(), transport.Command{Script: svc.ApplyScript(stale)})
	if exit, ok := err.(*transport.ExitError); !ok || exit.Status != 3 || !strings.Contains(exit.Stderr, "the plan was made for "+other+", but this node now runs "+runs) {
		t.Errorf("a plan made for %s on a node running %s: %v", other, runs, err)
	}
}

func TestServiceScriptsGolden(t *testing.T) {
	svc := testService()
	for _, tt := range []struct {
		state string
		p     servicePayload
	}{
		{"start-sysv", servicePayload{Init: "sysv", Start: true, Boot: "enable"}},
		{"reload-systemd", servicePayload{Init: "systemd", Reload: true}},
		{"disable-systemd", servicePayload{Init: "systemd", Boot: "disable"}},
	} {
		goldenScript(t, "service", tt.state, svc.script(tt.p))
	}
	goldenScript(t, "service", "fact", svc.fact().Command())
	c := &plan.Change{ID: "x"}
	plan.SetPayload(c, servicePayload{Init: "upstart", Start: true})
	if s := (Service{svc}).ApplyScript(c); s != "" {
		t.Errorf("a payload naming an unknown init made a script:\n%s", s)
	}
}

// TestServiceCompiles: a block is the service on each node, and its reload
// when it has on_change; absent arguments take their defaults.
func TestServiceCompiles(t *testing.T) {
	d := testDecl("service", "nginx", map[string]cty.Value{"check": cty.StringVal("nginx -t")})
	d.OnChange = []block.Ref{{Kind: "file", Label: "site"}}
	u := &Unit{Site: &Site{Name: "s"}, Decl: d, Nodes: []string{"web1", "web2"},
		Eval: func(string) (*block.Decl, hashicl.Diagnostics) { return d, nil }}
	entries, diags := KindOf("service").Compile(u)
	if diags.HasErrors() || len(entries) != 4 {
		t.Fatalf("%d entries, %s", len(entries), diagText(diags))
	}
	svc, ok := entries[0].Step.(Service)
	if !ok || !entries[0].Unconditional || entries[1].Unconditional {
		t.Fatalf("want the service (unconditional), then its reload: %#v", entries[:2])
	}
	want := serviceUnit{NodeName: "web1", Site: "s", Label: "nginx", Name: "nginx", Action: "reload", Check: "nginx -t", Enabled: true,
		Leads: []string{"file.site"}, InitDir: "/etc/init.d", RcDir: "/etc", StateDir: "/var/lib/shoal"}
	if d := cmp.Diff(want, *svc.serviceUnit); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if r := entries[1].After; len(r) != 1 || r[0].Kind != "package" || r[0].Node != "web1" {
		t.Errorf("the reload waits for the node's packages: %+v", r)
	}

	d.OnChange = nil
	if entries, _ := KindOf("service").Compile(u); len(entries) != 2 {
		t.Errorf("without on_change, one entry per node: %d", len(entries))
	}
}
