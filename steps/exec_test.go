package steps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

func TestExecRefusesBadInput(t *testing.T) {
	guarded := func(extra map[string]cty.Value) map[string]cty.Value {
		m := map[string]cty.Value{"command": cty.StringVal("wp core install"), "creates": cty.StringVal("/var/lib/wp-installed")}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	secret := cty.StringVal("hunter22").Mark(block.SensitiveMark)
	for _, tt := range []struct {
		name   string
		values map[string]cty.Value
		want   string
	}{
		{"no guard", map[string]cty.Value{"command": cty.StringVal("systemctl reload nginx")}, "an exec with no guard runs on every apply"},
		{"secret in the command", guarded(map[string]cty.Value{"command": cty.StringVal("mysql -p").Mark(block.SensitiveMark)}), "Sensitive value in an exec"},
		{"secret in env", guarded(map[string]cty.Value{"env": cty.MapVal(map[string]cty.Value{"DB_PASSWORD": secret})}), "/proc/<pid>/environ"},
		{"secret in unless", guarded(map[string]cty.Value{"unless": secret}), "Sensitive value in an exec"},
		{"empty command", guarded(map[string]cty.Value{"command": cty.StringVal("  ")}), "Invalid command"},
		{"escape in the command", guarded(map[string]cty.Value{"command": cty.StringVal("echo \x1b[2J")}), "Invalid command"},
		{"climbing cwd", guarded(map[string]cty.Value{"cwd": cty.StringVal("../..")}), "Invalid path"},
		{"creates with a newline", guarded(map[string]cty.Value{"creates": cty.StringVal("/tmp/a\nb")}), "Invalid path"},
		{"user", guarded(map[string]cty.Value{"user": cty.StringVal("root; rm -rf /")}), "Invalid user"},
		{"env name", guarded(map[string]cty.Value{"env": cty.MapVal(map[string]cty.Value{"A-B": cty.StringVal("x")})}), "Invalid env"},
		{"env value", guarded(map[string]cty.Value{"env": cty.MapVal(map[string]cty.Value{"A": cty.StringVal("x\ny")})}), "Invalid env"},
		{"timeout", guarded(map[string]cty.Value{"timeout": cty.StringVal("ten minutes")}), "Invalid timeout"},
		{"short timeout", guarded(map[string]cty.Value{"timeout": cty.StringVal("10ms")}), "Invalid timeout"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := diagText(KindOf("exec").Check(testDecl("exec", "x", tt.values)))
			if !strings.Contains(got, tt.want) {
				t.Errorf("diagnostics %q, want %q", got, tt.want)
			}
			if strings.Contains(got, "hunter22") {
				t.Errorf("a diagnostic shows the secret: %q", got)
			}
		})
	}
	for name, d := range map[string]*block.Decl{
		"creates": testDecl("exec", "x", guarded(nil)),
		"unless": testDecl("exec", "x", map[string]cty.Value{"command": cty.StringVal("a\nb"), "unless": cty.StringVal("test -e /x"),
			"stdin": secret, "env": cty.MapVal(map[string]cty.Value{"HOME": cty.StringVal("/var/www")}), "timeout": cty.StringVal("1h30m")}),
		"on_change": func() *block.Decl {
			d := testDecl("exec", "x", map[string]cty.Value{"command": cty.StringVal("nginx -s reload")})
			d.OnChange = []block.Ref{{Kind: "file", Label: "vhost"}}
			return d
		}(),
	} {
		if diags := KindOf("exec").Check(d); len(diags) > 0 {
			t.Errorf("an exec guarded by %s: %s", name, diagText(diags))
		}
	}
}

// testExec is an exec block compiled for web1 of a site rooted at root.
func testExec(t *testing.T, root string, values map[string]cty.Value) *Exec {
	t.Helper()
	d := testDecl("exec", "job", values)
	if diags := KindOf("exec").Check(d); diags.HasErrors() {
		t.Fatal(diagText(diags))
	}
	u := &Unit{Site: &Site{Name: "s", Root: root, Primary: "web1"}, Decl: d, Nodes: []string{"web1"},
		Eval: func(string) (*block.Decl, hashicl.Diagnostics) { return d, nil }}
	entries, diags := KindOf("exec").Compile(u)
	if diags.HasErrors() || len(entries) != 1 {
		t.Fatalf("compile: %d entries, %s", len(entries), diagText(diags))
	}
	return entries[0].Step.(*Exec)
}

func TestExecCompilesPathsUnderTheRoot(t *testing.T) {
	e := testExec(t, "/var/www/s", map[string]cty.Value{
		"command": cty.StringVal("php bin/console cache:warmup"), "creates": cty.StringVal("var/cache/prod"), "timeout": cty.StringVal("90s"),
	})
	want := &Exec{NodeName: "web1", Site: "s", Name: "job", Command: "php bin/console cache:warmup",
		Creates: "/var/www/s/var/cache/prod", Cwd: "/var/www/s", Root: "/var/www/s", Timeout: 90 * time.Second}
	if d := cmp.Diff(want, e); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	e = testExec(t, "/var/www/s", map[string]cty.Value{"command": cty.StringVal("true"), "creates": cty.StringVal("/x"), "cwd": cty.StringVal("/tmp")})
	if e.Cwd != "/tmp" || e.Root != "" || e.Timeout != defaultExecTimeout || e.ID() != "web1/exec/s/job" {
		t.Errorf("cwd outside the root: %+v, id %s", e, e.ID())
	}
}

func TestExecPlanFromFacts(t *testing.T) {
	e := &Exec{NodeName: "web1", Site: "s", Name: "install", Command: "wp core install --url=x\nwp plugin activate y",
		Creates: "/var/www/wp/.installed", Unless: "wp core is-installed", User: "www-data", Cwd: "/var/www/wp", Root: "/var/www/wp",
		Env: map[string]string{"WP_CLI_CACHE_DIR": "/tmp/wp"}, Stdin: "hunter22", HasStdin: true, StdinHidden: true,
		OnChange: []string{"file.config"}}
	creates := facts.Path{Path: e.Creates, Shallow: true}.Key()
	ctxKey := e.context().Key()
	for _, tt := range []struct {
		name           string
		creates, check string
		action         plan.Action
		want           string // the reason, or a detail
	}{
		{"created", fileOut(), "status 1", plan.NoOp, "/var/www/wp/.installed exists"},
		{"unless succeeds", absentOut, "status 0", plan.NoOp, "unless test succeeds"},
		{"unless hangs", absentOut, "status 124", plan.Conflict, "did not finish within 60 seconds"},
		{"cwd escapes", absentOut, "escapes", plan.Conflict, "leads out of /var/www/wp through a symlink"},
		{"runs", absentOut, "status 1", plan.Update, "unless test exits 1"},
		{"cwd not there yet", absentOut, "nocwd", plan.Update, "/var/www/wp does not exist yet: checked again when it runs"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := factFixtures{"web1": {creates: section(tt.creates), ctxKey: section(tt.check)}}
			c, err := e.Diff(context.Background(), src)
			failOn(t, err)
			if c.Action != tt.action {
				t.Fatalf("%s (%s), want %s", c.Action, c.Reason, tt.action)
			}
			if tt.action != plan.Update {
				if !strings.Contains(c.Reason, tt.want) {
					t.Errorf("reason %q, want %q", c.Reason, tt.want)
				}
				return
			}
			if !slicesContain(c.Details, tt.want) {
				t.Errorf("details %q, want %q", c.Details, tt.want)
			}
			if c.Summary != "run wp core install --url=x … (2 lines)" {
				t.Errorf("summary %q", c.Summary)
			}
			for _, w := range []string{"  wp plugin activate y", "as www-data in /var/www/wp", "stdin (sensitive)", "env WP_CLI_CACHE_DIR",
				"creates /var/www/wp/.installed, which does not exist", "on change of file.config"} {
				if !slicesContain(c.Details, w) {
					t.Errorf("details %q lack %q", c.Details, w)
				}
			}
			if strings.Contains(strings.Join(c.Details, "\n"), "hunter22") {
				t.Errorf("the plan shows stdin: %q", c.Details)
			}
		})
	}
}

// TestExecConvergesOnAHost runs a command guarded by creates, with stdin
// and env, on this machine: it runs once, its output reaches the
// reporter, and the next plan leaves it alone.
func TestExecConvergesOnAHost(t *testing.T) {
	dir := t.TempDir()
	h := &transport.Local{NodeName: "web1"}
	e := &Exec{NodeName: "web1", Site: "s", Name: "seed", Cwd: dir, Timeout: time.Minute,
		Command: `cat > stdin.txt; echo "seeded $GREETING in $(pwd)"; touch done`,
		Creates: filepath.Join(dir, "done"), Env: map[string]string{"GREETING": "it's $(not) run"},
		Stdin: "line one\npass: 's3cr3t'\n", HasStdin: true, StdinHidden: true}
	c := planOn(t, e, h)
	if c.Action != plan.Update {
		t.Fatalf("first plan: %s %s", c.Action, c.Reason)
	}
	r := &recorder{}
	failOn(t, e.Apply(context.Background(), h, c, r))
	if got, _ := os.ReadFile(filepath.Join(dir, "stdin.txt")); string(got) != e.Stdin {
		t.Errorf("the command read %q on stdin, want %q", got, e.Stdin)
	}
	if want := "seeded it's $(not) run in " + dir; !slicesContain(r.lines, want) {
		t.Errorf("output %q, want %q", r.lines, want)
	}
	if again := planOn(t, e, h); again.Action != plan.NoOp {
		t.Errorf("after the apply: %s %s", again.Action, again.Summary)
	}
}

// TestExecChecksItsGuardAgainWhenItRuns: the unless test fails at plan
// time and succeeds by apply time; the command is not run.
func TestExecChecksItsGuardAgainWhenItRuns(t *testing.T) {
	dir := t.TempDir()
	h := &transport.Local{NodeName: "web1"}
	e := &Exec{NodeName: "web1", Site: "s", Name: "migrate", Cwd: dir, Timeout: time.Minute,
		Command: "touch ran", Unless: "test -e migrated"}
	c := planOn(t, e, h)
	if c.Action != plan.Update || !slicesContain(c.Details, "unless test exits 1") {
		t.Fatalf("plan: %s %q", c.Action, c.Details)
	}
	failOn(t, os.WriteFile(filepath.Join(dir, "migrated"), nil, 0o644))
	r := &recorder{}
	failOn(t, e.Apply(context.Background(), h, c, r))
	if exists(filepath.Join(dir, "ran")) || !slicesContain(r.lines, "shoal: the unless test succeeds now: not running") {
		t.Errorf("the command ran though its unless test succeeds (output %q)", r.lines)
	}
	if again := planOn(t, e, h); again.Action != plan.NoOp || again.Reason != "unless test succeeds" {
		t.Errorf("re-plan: %s %q", again.Action, again.Reason)
	}
}

// TestExecRunsAsItsUser: the command and its unless test run as user,
// and env names that are the script's own variables change nothing but
// the command's environment.
func TestExecRunsAsItsUser(t *testing.T) {
	h := &transport.Local{NodeName: "web1"}
	e := &Exec{NodeName: "web1", Site: "s", Name: "whoami", Cwd: "/", Timeout: time.Minute,
		User: "nobody", Command: `id -un; echo "$command"`, Unless: `test "$(id -un)" = root`,
		Env: map[string]string{"user": "", "command": "from env", "unless": "true", "root": "/"}}
	c := planOn(t, e, h)
	if c.Action != plan.Update {
		t.Fatalf("the unless test ran as root: %s %s", c.Action, c.Reason)
	}
	r := &recorder{}
	failOn(t, e.Apply(context.Background(), h, c, r))
	if !cmp.Equal(r.lines, []string{"nobody", "from env"}) {
		t.Errorf("output %q, want the command run as nobody with its env", r.lines)
	}
	e.Unless = `test "$(id -un)" = nobody`
	if c := planOn(t, e, h); c.Action != plan.NoOp {
		t.Errorf("the unless test as nobody: %s", c.Action)
	}
}

func TestExecFailsWithItsStatusAndLastLines(t *testing.T) {
	h := &transport.Local{NodeName: "web1"}
	e := &Exec{NodeName: "web1", Site: "s", Name: "build", Cwd: t.TempDir(), Timeout: time.Minute,
		Command: "for i in 1 2 3 4 5 6 7; do echo line $i; done; echo broken >&2; exit 7", Unless: "false"}
	c := planOn(t, e, h)
	r := &recorder{}
	err := e.Apply(context.Background(), h, c, r)
	want := "exec build on web1: exit status 7: line 4; line 5; line 6; line 7; broken"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	if len(r.lines) != 8 {
		t.Errorf("output %q: want all 8 lines streamed", r.lines)
	}
}

func TestExecStopsAtItsTimeout(t *testing.T) {
	h := &transport.Local{NodeName: "web1"}
	e := &Exec{NodeName: "web1", Site: "s", Name: "slow", Cwd: t.TempDir(), Timeout: 300 * time.Millisecond,
		Command: "sleep 2", Unless: "false"}
	c := planOn(t, e, h)
	err := e.Apply(context.Background(), h, c, &recorder{})
	if err == nil || !strings.Contains(err.Error(), "still running after its timeout of 300ms") {
		t.Errorf("error %v", err)
	}
}

// TestExecNeverRunsWhereALinkLeadsOutOfTheRoot: cwd under the site root
// that a user replaced by a link to elsewhere.
func TestExecNeverRunsWhereALinkLeadsOutOfTheRoot(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	failOn(t, os.Symlink(outside, filepath.Join(root, "cache")))
	h := &transport.Local{NodeName: "web1"}
	e := &Exec{NodeName: "web1", Site: "s", Name: "clear", Cwd: filepath.Join(root, "cache"), Root: root, Timeout: time.Minute,
		Command: "touch cleared", OnChange: []string{"file.x"}}
	if c := planOn(t, e, h); c.Action != plan.Conflict || !strings.Contains(c.Reason, "through a symlink") {
		t.Errorf("plan: %s %q", c.Action, c.Reason)
	}
	c := &plan.Change{ID: e.ID(), Node: "web1"}
	plan.SetPayload(c, execPayload{Run: true})
	if err := e.Apply(context.Background(), h, c, &recorder{}); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("apply: %v", err)
	}
	if exists(filepath.Join(outside, "cleared")) {
		t.Error("the command ran in the link's target")
	}
}

func TestExecScriptsGolden(t *testing.T) {
	e := &Exec{NodeName: "web1", Site: "s", Name: "install", Command: "wp core install --url=\"$URL\"", Creates: "/var/www/it's/.installed",
		Unless: "wp core is-installed", User: "www-data", Cwd: "/var/www/it's", Root: "/var/www/it's",
		Env: map[string]string{"URL": "https://example.com", "HOME": "/var/www"}, Stdin: "admin-password\n", HasStdin: true}
	goldenScript(t, "exec", "check", e.context().Command())
	goldenScript(t, "exec", "run", e.script())
	plain := &Exec{NodeName: "web1", Site: "s", Name: "reload", Command: "nginx -s reload", Cwd: "/"}
	goldenScript(t, "exec", "run-plain", plain.script())
}
