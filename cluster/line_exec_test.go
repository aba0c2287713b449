package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/steps"
)

func TestExecOnChangeFollowsItsFileOnEachNode(t *testing.T) {
	c, diags := compileString(t, site(`
  file "vhost" {
    path    = "/etc/nginx/sites-enabled/s"
    content = "server { listen 80; }\n"
  }
  exec "reload" {
    command   = "nginx -s reload"
    on_change = [file.vhost]
  }
`), nil)
	if c == nil {
		t.Fatalf("compile failed:\n%s", diags)
	}
	for _, n := range []string{"web1", "web2"} {
		file := entryIndexOf(c, n+"/file/etc/nginx/sites-enabled/s")
		reload := entryIndexOf(c, n+"/exec/s/reload")
		if file < 0 || reload < 0 {
			t.Fatalf("%s: entries missing: file %d exec %d", n, file, reload)
		}
		if len(c.graph.follows[reload]) != 1 || c.graph.follows[reload][0] != file {
			t.Errorf("%s: the exec follows %v, want only its own node's file (%d)", n, c.graph.follows[reload], file)
		}
		if !containsInt(c.graph.deps[reload], file) {
			t.Errorf("%s: the exec does not wait for its file", n)
		}
	}
}

func TestLineBlocksOfOneFileRunInTurn(t *testing.T) {
	c, diags := compileString(t, site(`
  line "listen" {
    path  = "/etc/memcached.conf"
    match = "^-l\\s"
    line  = "-l ${node.address}"
  }
  line "memory" {
    path  = "/etc/memcached.conf"
    match = "^-m\\s"
    line  = "-m 512"
  }
`), nil)
	if c == nil {
		t.Fatalf("compile failed:\n%s", diags)
	}
	for _, n := range []string{"web1", "web2"} {
		listen := entryIndexOf(c, n+"/line/etc/memcached.conf#listen")
		memory := entryIndexOf(c, n+"/line/etc/memcached.conf#memory")
		if listen < 0 || memory < 0 || !containsInt(c.graph.deps[memory], listen) {
			t.Errorf("%s: line.memory (%d) must wait for line.listen (%d), which edits the same file", n, memory, listen)
		}
	}
}

func TestLineAndExecBadInputIsADiagnostic(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		want       []string
	}{
		{"exec without a guard", `
  exec "reload" {
    command = "nginx -s reload"
  }`, []string{"c.hcl:25:", "Exec without a guard", "an exec with no guard runs on every apply"}},
		{"command from a secret", `
  exec "db" {
    command = "mysql -p${var.pw}"
    creates = "/var/lib/db-ready"
  }`, []string{"c.hcl:26:15:", "Sensitive value in an exec", "stdin = var.<name>"}},
		{"regexp", `
  line "x" {
    path  = "/etc/memcached.conf"
    match = "^-l("
    line  = "-l 1"
  }`, []string{"c.hcl:27:13:", "Invalid regular expression", "missing closing )"}},
		{"line with a newline", `
  line "x" {
    path  = "/etc/memcached.conf"
    match = "^-l"
    line  = "-l 1\n-p 2"
  }`, []string{"c.hcl:28:13:", "Invalid line"}},
		{"line inside the root written absolute", `
  line "x" {
    path  = "${site.root}/wp-config.php"
    match = "^define\\('WP_HOME'"
    line  = "define('WP_HOME', 'x');"
  }`, []string{"c.hcl:26:13:", "inside the site root"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := "variable \"pw\" {\n  sensitive = true\n  default   = \"hunter22\"\n}\n" + site(tt.body)
			c, diags := compileString(t, src, nil)
			if c != nil {
				t.Fatalf("compiled without errors:\n%s", diags)
			}
			for _, w := range tt.want {
				if !strings.Contains(diags, w) {
					t.Errorf("diagnostics lack %q:\n%s", w, diags)
				}
			}
			if strings.Contains(diags, "hunter22") {
				t.Errorf("a diagnostic shows the secret:\n%s", diags)
			}
		})
	}
}

// TestLineAndExecConvergeInOneApply plans, applies and plans again a site
// on this machine: two line blocks edit one file, a file change triggers
// an exec, another exec is guarded by creates. One apply converges; the
// next plan is empty, and changing the file runs its exec again alone.
func TestLineAndExecConvergeInOneApply(t *testing.T) {
	dir := t.TempDir()
	root, etc := filepath.Join(dir, "site"), filepath.Join(dir, "etc")
	for _, d := range []string{root, etc} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(etc, "memcached.conf")
	if err := os.WriteFile(conf, []byte("-d\n-m 64\n-l 127.0.0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "wp-config.php"), []byte("<?php\n/* That's all, stop editing! */\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	config := func(vhost string) string {
		return `
node "web1" {
  roles = ["web"]
}
site "s" {
  root    = "` + root + `"
  primary = "web1"
  nodes   = ["web1"]

  line "listen" {
    path  = "` + conf + `"
    match = "^-l\\s"
    line  = "-l 10.0.0.11"
  }
  line "memory" {
    path         = "` + conf + `"
    match        = "^-m\\s"
    line         = "-m 512"
    insert_after = "^-d"
  }
  line "home" {
    path          = "wp-config.php"
    match         = "^define\\('WP_HOME'"
    line          = "define('WP_HOME', 'http://${node.name}');"
    insert_before = "^/\\* That's all"
  }
  file "vhost" {
    path    = "` + filepath.Join(etc, "vhost") + `"
    content = "` + vhost + `\n"
  }
  exec "reload" {
    command   = "echo reloaded >> ` + filepath.Join(dir, "reloads") + `"
    on_change = [file.vhost]
  }
  exec "install" {
    command = "cat > installed"
    stdin   = "installed once\n"
    creates = "installed"
  }
}
`
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	planner := &Planner{Nodes: []string{"web1"}, Hosts: local("web1"), Parallel: 4}
	apply := func(src string) (*plan.Plan, *plan.Plan) {
		t.Helper()
		c, diags := compileString(t, src, nil)
		if c == nil {
			t.Fatalf("compile failed:\n%s", diags)
		}
		first, _ := planner.Plan(ctx, c, "test")
		if failed := first.Failed(); len(failed) > 0 {
			t.Fatalf("plan failed: %s", failed[0].Error)
		}
		run, combine := Runner(c.Entries, planner.Hosts)
		if s := plan.Execute(ctx, first, run, failureHook{t}, plan.ExecOptions{Parallel: 4, Combine: combine}); s.Failed > 0 || s.Skipped > 0 {
			t.Fatalf("apply: %+v", s)
		}
		again, _ := planner.Plan(ctx, c, "test")
		return first, again
	}
	first, again := apply(config("listen 80;"))
	for id, want := range map[string]plan.Action{
		"web1/line/" + trimSlash(conf) + "#listen":             plan.Update,
		"web1/line/" + trimSlash(conf) + "#memory":             plan.Update,
		"web1/line/" + trimSlash(root) + "/wp-config.php#home": plan.Update,
		"web1/file/" + trimSlash(filepath.Join(etc, "vhost")):  plan.Create,
		"web1/exec/s/reload":                                   plan.Update,
		"web1/exec/s/install":                                  plan.Update,
		"web1/site-root/" + trimSlash(root):                    plan.NoOp,
	} {
		if got := actionOf(first, id); got != want {
			t.Errorf("first plan: %s is %q, want %q", id, got, want)
		}
	}
	for _, c := range again.Changes {
		if c.Action != plan.NoOp {
			t.Errorf("re-plan: %s is %c (%s), want a NoOp", c.ID, c.Action, c.Summary)
		}
	}
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read(conf); got != "-d\n-m 512\n-l 10.0.0.11\n" {
		t.Errorf("memcached.conf: %q", got)
	}
	if got := read(filepath.Join(root, "wp-config.php")); got != "<?php\ndefine('WP_HOME', 'http://web1');\n/* That's all, stop editing! */\n" {
		t.Errorf("wp-config.php: %q", got)
	}
	if st, err := os.Stat(filepath.Join(root, "wp-config.php")); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("wp-config.php's mode: %v %v", st, err)
	}
	if got := read(filepath.Join(root, "installed")); got != "installed once\n" {
		t.Errorf("the install exec's stdin: %q", got)
	}

	first, again = apply(config("listen 8080;"))
	for _, c := range first.Changes {
		want := plan.NoOp
		if c.ID == "web1/exec/s/reload" || strings.HasPrefix(c.ID, "web1/file/") {
			want = plan.Update
		}
		if c.Action != want {
			t.Errorf("after changing the vhost: %s is %c, want %c", c.ID, c.Action, want)
		}
	}
	if again.HasChanges() {
		t.Error("the plan after the second apply has changes")
	}
	if got := read(filepath.Join(dir, "reloads")); got != "reloaded\nreloaded\n" {
		t.Errorf("reloads: %q, want one for each change of the vhost", got)
	}
}

func actionOf(p *plan.Plan, id string) plan.Action {
	for _, c := range p.Changes {
		if c.ID == id {
			return c.Action
		}
	}
	return 0
}

func trimSlash(p string) string { return strings.TrimPrefix(p, "/") }

// failureHook fails the test with any step's error.
type failureHook struct{ t *testing.T }

func (failureHook) StepStart(*plan.Change)                   {}
func (failureHook) StepProgress(*plan.Change, plan.Progress) {}
func (failureHook) StepOutput(*plan.Change, string)          {}
func (h failureHook) StepDone(c *plan.Change, err error, _ time.Duration) {
	if err != nil {
		h.t.Errorf("%s: %v", c.ID, err)
	}
}
func (failureHook) NodeDone(string, error) {}
func (failureHook) Summary(plan.Summary)   {}

// TestFileUnderTheRootWaitsForReplicate: a file block's write leaves a
// temporary file beside the file for a moment; replicate must not read it
// on the primary (it would copy it to the replicas) nor delete it on a
// replica, so every node's write of a file in the root waits for it.
func TestFileUnderTheRootWaitsForReplicate(t *testing.T) {
	c, diags := compileString(t, site(`
  file "conf" {
    path    = "config/local.yaml"
    content = "node: ${node.name}\n"
  }
  file "system" {
    path    = "/etc/acme.conf"
    content = "x\n"
  }
`), nil)
	if c == nil {
		t.Fatalf("compile failed:\n%s", diags)
	}
	replicate := entryIndexOf(c, "web2/replicate/var/www/s")
	for _, n := range []string{"web1", "web2"} {
		conf := entryIndexOf(c, n+"/file/var/www/s/config/local.yaml")
		if conf < 0 || replicate < 0 || !containsInt(c.graph.deps[conf], replicate) {
			t.Errorf("%s: file.conf (%d) must wait for replicate to web2 (%d)", n, conf, replicate)
		}
	}
	if system := entryIndexOf(c, "web1/file/etc/acme.conf"); system < 0 || containsInt(c.graph.deps[system], replicate) {
		t.Errorf("the primary's file outside the root (%d) waits for replicate", system)
	}
}

// TestLineUnderTheRootWaitsForReplicate: replicate reads the primary's
// tree, so the primary's edit of a file in it waits until every replica
// has its copy; a replica's edit waits for its own.
func TestLineUnderTheRootWaitsForReplicate(t *testing.T) {
	c, diags := compileString(t, site(`
  line "home" {
    path  = "wp-config.php"
    match = "^define\\('WP_HOME'"
    line  = "define('WP_HOME', 'http://${node.name}');"
  }
  line "listen" {
    path  = "/etc/memcached.conf"
    match = "^-l\\s"
    line  = "-l ${node.address}"
  }
`), nil)
	if c == nil {
		t.Fatalf("compile failed:\n%s", diags)
	}
	replicate := entryIndexOf(c, "web2/replicate/var/www/s")
	for _, n := range []string{"web1", "web2"} {
		home := entryIndexOf(c, n+"/line/var/www/s/wp-config.php#home")
		if home < 0 || replicate < 0 || !containsInt(c.graph.deps[home], replicate) {
			t.Errorf("%s: line.home (%d) must wait for replicate to web2 (%d)", n, home, replicate)
		}
	}
	if listen := entryIndexOf(c, "web1/line/etc/memcached.conf#listen"); containsInt(c.graph.deps[listen], replicate) {
		t.Error("the primary's edit of a file outside the root waits for replicate")
	}
}

// TestLineUnderTheRootIsEachNodesOwn: a file line blocks edit per node is
// left out of what replicate compares and is seeded once; a file edited
// on the primary alone is replicated as any other; one a file block
// writes whole is not seeded; and a line may not edit user data.
func TestLineUnderTheRootIsEachNodesOwn(t *testing.T) {
	c, diags := compileString(t, site(`
  dynamic_dir "wp-content/uploads" {}
  line "home" {
    path  = "wp-config.php"
    match = "^define\\('WP_HOME'"
    line  = "define('WP_HOME', 'http://${node.name}');"
  }
  line "mods" {
    path  = "wp-config.php"
    match = "^define\\('DISALLOW_FILE_MODS'"
    line  = "define('DISALLOW_FILE_MODS', true);"
    on    = "replicas"
  }
  line "robots" {
    path  = "robots.txt"
    match = "^Disallow:"
    line  = "Disallow: /wp-admin/"
    on    = "primary"
  }
  line "local" {
    path  = "local.ini"
    match = "^node"
    line  = "node = ${node.name}"
  }
  file "local" {
    path    = "local.ini"
    content = "node = x\n"
  }
`), nil)
	if c == nil {
		t.Fatalf("compile failed:\n%s", diags)
	}
	r := c.Entries[entryIndexOf(c, "web2/replicate/var/www/s")].Step.(*steps.Replicate)
	if d := cmp.Diff([]string{"wp-config.php"}, r.Seed); d != "" {
		t.Errorf("seeded (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"wp-content/uploads", "local.ini", "wp-config.php"}, r.Skip); d != "" {
		t.Errorf("left out (-want +got):\n%s", d)
	}

	_, diags = compileString(t, site(`
  dynamic_dir "wp-content/uploads" {}
  line "htaccess" {
    path  = "wp-content/uploads/.htaccess"
    match = "^Options"
    line  = "Options -Indexes"
  }
`), nil)
	if !strings.Contains(diags, "File inside user data") || !strings.Contains(diags, `line "htaccess" edits "wp-content/uploads/.htaccess"`) {
		t.Errorf("a line inside a dynamic folder:\n%s", diags)
	}
}

// A line of a file that a step before it makes (a package installs
// memcached.conf) is planned to wait for that step and converges in one
// apply; with no step before it that changes anything, it is refused.
func TestLineWaitsForTheStepThatMakesItsFile(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "memcached.conf")
	line := `
  line "listen" {
    path  = "` + conf + `"
    match = "^-l\\s"
    line  = "-l 10.0.0.11"
    %s
  }`
	install := `
  exec "install" {
    command = "printf -- '-m 64\\n-l 127.0.0.1\\n' > ` + conf + `"
    creates = "` + conf + `"
  }`
	config := func(body string) string {
		return `
node "web1" {}
site "s" {
  root    = "` + filepath.Join(dir, "site") + `"
  primary = "web1"
  nodes   = ["web1"]
` + body + `
}
`
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := os.MkdirAll(filepath.Join(dir, "site"), 0o755); err != nil {
		t.Fatal(err)
	}
	planner := &Planner{Nodes: []string{"web1"}, Hosts: local("web1"), Parallel: 4}

	alone, diags := compileString(t, config(strings.Replace(line, "%s", "", 1)), nil)
	if alone == nil {
		t.Fatalf("compile failed:\n%s", diags)
	}
	p, _ := planner.Plan(ctx, alone, "test")
	for _, c := range p.Changes {
		if c.Kind == "line" && (c.Action != plan.Conflict || !strings.Contains(c.Reason, "does not exist yet")) {
			t.Errorf("a line of a missing file with nothing before it: %s %q", c.Action, c.Reason)
		}
	}

	c, diags := compileString(t, config(install+strings.Replace(line, "%s", "after = [exec.install]", 1)), nil)
	if c == nil {
		t.Fatalf("compile failed:\n%s", diags)
	}
	first, _ := planner.Plan(ctx, c, "test")
	for _, ch := range first.Changes {
		if ch.Kind == "line" && (ch.Action != plan.Create || ch.Pending == "" || len(ch.After) != 1) {
			t.Fatalf("the line must wait for the install: %s pending %q after %v", ch.Action, ch.Pending, ch.After)
		}
	}
	run, combine := Runner(c.Entries, planner.Hosts)
	if s := plan.Execute(ctx, first, run, failureHook{t}, plan.ExecOptions{Parallel: 4, Combine: combine}); s.Failed > 0 || s.Skipped > 0 {
		t.Fatalf("apply: %+v", s)
	}
	if b, _ := os.ReadFile(conf); string(b) != "-m 64\n-l 10.0.0.11\n" {
		t.Errorf("conf after one apply: %q", b)
	}
	again, _ := planner.Plan(ctx, c, "test")
	if again.HasChanges() {
		t.Errorf("the second plan has changes")
	}
}
