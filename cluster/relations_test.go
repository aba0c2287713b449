package cluster

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	hashicl "github.com/hashicorp/hcl/v2"

	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/steps"
)

// compileString loads and compiles one file's config, with extra files
// beside it (templates); it returns the diagnostics as validate prints them.
func compileString(t *testing.T, src string, extra map[string]string) (*Compiled, string) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"c.hcl": src}
	for name, content := range extra {
		files[name] = content
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l := hcl.NewLoader(steps.BlockKinds())
	cfg, diags := l.Load(hcl.LoadOptions{Files: []string{filepath.Join(dir, "c.hcl")}})
	var c *Compiled
	if !diags.HasErrors() {
		var ds hashicl.Diagnostics
		c, ds = Compile(cfg, nil)
		diags = append(diags, ds...)
	}
	var b strings.Builder
	if err := l.WriteDiagnostics(&b, diags, false); err != nil {
		t.Fatal(err)
	}
	return c, b.String()
}

const twoNodeSite = `
node "web1" {
  roles = ["web"]
}
node "web2" {
  roles = ["web"]
}
storage "nas" {
  type  = "mounted"
  mount = "/mnt/nas"
}
site "s" {
  root    = "/var/www/s"
  primary = "web1"
  nodes   = ["web1", "web2"]
  storage = "nas"
  owner   = "www-data"

  writable "cache" {}
%s
}
`

func site(body string) string { return strings.Replace(twoNodeSite, "%s", body, 1) }

func entryIndexOf(c *Compiled, id string) int {
	for i, e := range c.Entries {
		if e.Step.ID() == id {
			return i
		}
	}
	return -1
}

func TestDeclaredStepsComeAfterTheSiteFoldersAndEachOther(t *testing.T) {
	c, diags := compileString(t, site(`
  file "conf" {
    path    = "/etc/app/${node.name}.conf"
    content = "node = ${node.name}\n"
  }
  cron "sync" {
    schedule  = "*/5 * * * *"
    command   = "true"
    on        = "replicas"
    after     = [file.conf]
  }
`), nil)
	if c == nil {
		t.Fatalf("compile failed:\n%s", diags)
	}
	conf2 := entryIndexOf(c, "web2/file/etc/app/web2.conf")
	cron2 := entryIndexOf(c, "web2/cron/etc/cron.d/shoal-s-sync")
	perms2 := entryIndexOf(c, "web2/perms/var/www/s/cache")
	if conf2 < 0 || cron2 < 0 || perms2 < 0 {
		t.Fatalf("entries missing: conf %d cron %d perms %d", conf2, cron2, perms2)
	}
	if entryIndexOf(c, "web1/cron/etc/cron.d/shoal-s-sync") >= 0 {
		t.Error(`on = "replicas" ran the cron on the primary`)
	}
	if !(c.graph.depth[perms2] < c.graph.depth[conf2] && c.graph.depth[conf2] < c.graph.depth[cron2]) {
		t.Errorf("depths perms %d, file %d, cron %d: want the node's folders, then the file, then the cron after it",
			c.graph.depth[perms2], c.graph.depth[conf2], c.graph.depth[cron2])
	}
	// after names a block with an entry on the same node: only that one
	for _, j := range c.graph.deps[cron2] {
		if e := c.Entries[j]; e.Block == "file.conf" && e.Step.Node() != "web2" {
			t.Errorf("web2's cron waits for %s", e.Step.ID())
		}
	}
}

func TestStepsWritingOneFileRunInTurn(t *testing.T) {
	c, diags := compileString(t, site(`
  file "a" {
    path    = "/etc/cron.d/shoal-s-b"
    content = "# by hand\n"
    on      = "primary"
  }
  cron "b" {
    schedule = "@daily"
    command  = "true"
    on       = "primary"
  }
`), nil)
	if c == nil {
		t.Fatalf("compile failed:\n%s", diags)
	}
	a, b := entryIndexOf(c, "web1/file/etc/cron.d/shoal-s-b"), entryIndexOf(c, "web1/cron/etc/cron.d/shoal-s-b")
	if a < 0 || b < 0 || !containsInt(c.graph.deps[b], a) {
		t.Errorf("cron.b (%d) must wait for file.a (%d), which writes the same file", b, a)
	}
}

func containsInt(list []int, x int) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}

// diagnosticAt is a diagnostic's first line: where in c.hcl, to the column.
var diagnosticAt = regexp.MustCompile(`(?m)^\S*c\.hcl:\d+:\d+: `)

func TestRelationBadInputIsADiagnostic(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		want       []string
	}{
		{"cycle", `
  file "a" {
    path    = "/etc/a"
    content = "a"
    after   = [file.b]
  }
  file "b" {
    path    = "/etc/b"
    content = "b"
    after   = [file.a]
  }`, []string{"Cycle in after / on_change", "file.a", "file.b"}},
		{"unknown reference", `
  file "a" {
    path      = "/etc/a"
    content   = "a"
    on_change = [file.nope]
  }`, []string{"Unknown reference", "file.nope"}},
		{"not a step kind", `
  file "a" {
    path    = "/etc/a"
    content = "a"
    after   = [dynamic_dir.media]
  }`, []string{"not a step kind"}},
		{"on names no node", `
  cron "a" {
    schedule = "@daily"
    command  = "true"
    on       = "dns"
  }`, []string{"No node to run on", `"dns"`}},
		{"template fails", `
  file "a" {
    path    = "/etc/a"
    content = templatefile("a.tmpl", {})
  }`, []string{"a.tmpl", "no_such_var"}},
		{"relative path out of the root", `
  file "a" {
    path    = "../../etc/passwd"
    content = "x"
  }`, []string{"Invalid path", `climbs out of the site root`}},
		{"absolute path inside the root", `
  file "a" {
    path    = "${site.root}/config.php"
    content = "x"
  }`, []string{"inside the site root"}},
		{"unknown kind", `
  frobnicate "a" {}`, []string{"Unsupported block type", "frobnicate"}},
		{"unknown built-in step", `
  file "a" {
    path      = "/etc/a"
    content   = "a"
    on_change = [replicat]
  }`, []string{"Invalid reference", `"replicat"`, `Did you mean "replicate"?`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := compileString(t, site(tt.body), map[string]string{"a.tmpl": "value = ${no_such_var}\n"})
			if c != nil {
				t.Fatalf("compiled without errors:\n%s", diags)
			}
			if !diagnosticAt.MatchString(diags) {
				t.Errorf("no diagnostic says where in c.hcl, as file:line:col:\n%s", diags)
			}
			for _, w := range tt.want {
				if !strings.Contains(diags, w) {
					t.Errorf("diagnostics lack %q:\n%s", w, diags)
				}
			}
		})
	}
}

const modalRecipe = `
recipe "modal" {
  param "uploads" {
    default = "shared"
  }
  param "listen" {
    default = "10.0.0.1"
  }
  dynamic_dir "uploads" {
    when = param.uploads == "shared"
  }
  local_dir "uploads" {
    when = param.uploads == "replicated"
  }
  assert "private" {
    condition = param.listen != "127.0.0.1"
    message   = "listen on a private address, not the loopback"
  }
  assert "open" {
    condition = param.listen != "0.0.0.0"
    message   = "0.0.0.0 listens on every network"
    severity  = "warning"
  }
}
`

func TestWhenPicksARecipesModeAndAssertJudgesParams(t *testing.T) {
	withParams := func(params string) string {
		return modalRecipe + strings.Replace(strings.Replace(twoNodeSite, "%s", "", 1), `owner   = "www-data"`, "owner   = \"www-data\"\n  recipe  = \"modal\"\n  params  = "+params, 1)
	}
	c, diags := compileString(t, withParams(`{}`), nil)
	if c == nil {
		t.Fatalf("compile failed:\n%s", diags)
	}
	if entryIndexOf(c, "web2/relocate/var/www/s/uploads") < 0 {
		t.Error("uploads = shared: want the folder relocated")
	}
	c, diags = compileString(t, withParams(`{ uploads = "replicated" }`), nil)
	if c == nil {
		t.Fatalf("compile failed:\n%s", diags)
	}
	if entryIndexOf(c, "web2/relocate/var/www/s/uploads") >= 0 {
		t.Error("uploads = replicated: want no relocation")
	}
	if c, diags = compileString(t, withParams(`{ listen = "127.0.0.1" }`), nil); c != nil || !strings.Contains(diags, "listen on a private address") || !strings.Contains(diags, "c.hcl:") {
		t.Errorf("loopback: want an error naming the assert:\n%s", diags)
	}
	if c, diags = compileString(t, withParams(`{ listen = "0.0.0.0" }`), nil); c == nil || !strings.Contains(diags, "Warning: Assertion failed: open") || strings.Count(diags, "every network") != 1 {
		t.Errorf("0.0.0.0: want one warning and a compiled config:\n%s", diags)
	}
}

// TestAfterABlockAnotherModeLeavesOut: after may name a block its when
// leaves out of the site (the recipe's other mode): nothing to wait for;
// a block no mode has is still an error.
func TestAfterABlockAnotherModeLeavesOut(t *testing.T) {
	recipe := `
recipe "modal" {
  param "database" {
    default = "dump"
  }
  file "replication" {
    when    = param.database == "replication"
    path    = "/etc/mysql/conf.d/replication.cnf"
    content = "[mariadbd]\n"
  }
  exec "dump" {
    command = "mysqldump db > /var/backups/db.sql"
    creates = "/var/backups/db.sql"
    after   = [file.replication]
  }
}
`
	withRecipe := func(extra string) string {
		return recipe + strings.Replace(strings.Replace(twoNodeSite, "%s", extra, 1), `owner   = "www-data"`, "owner   = \"www-data\"\n  recipe  = \"modal\"", 1)
	}
	c, diags := compileString(t, withRecipe(""), nil)
	if c == nil {
		t.Fatalf("compile failed:\n%s", diags)
	}
	if entryIndexOf(c, "web1/exec/s/dump") < 0 || entryIndexOf(c, "web1/file/etc/mysql/conf.d/replication.cnf") >= 0 {
		t.Error("database = dump: want the dump and no replication file")
	}
	_, diags = compileString(t, withRecipe(`
  exec "other" {
    command = "true"
    creates = "/tmp/x"
    after   = [file.replicaton]
  }`), nil)
	if !strings.Contains(diags, "Unknown reference") || !strings.Contains(diags, "refers to file.replicaton, which the site does not") {
		t.Errorf("a misspelt block: want an error:\n%s", diags)
	}
}

// A step may follow a built-in step of its node by kind: a reload after
// the replica's tree changed. The primary has no replicate: its step
// follows nothing and is left alone by the planner.
func TestStepsMayFollowBuiltInSteps(t *testing.T) {
	c, diags := compileString(t, site(`
  file "reloaded" {
    path      = "/etc/app/reloaded"
    content   = "x"
    on_change = [replicate]
    after     = [perms]
  }
`), nil)
	if c == nil {
		t.Fatalf("compile failed:\n%s", diags)
	}
	file1, file2 := entryIndexOf(c, "web1/file/etc/app/reloaded"), entryIndexOf(c, "web2/file/etc/app/reloaded")
	replicate2 := entryIndexOf(c, "web2/replicate/var/www/s")
	perms2 := entryIndexOf(c, "web2/perms/var/www/s/cache")
	if file1 < 0 || file2 < 0 || replicate2 < 0 || perms2 < 0 {
		t.Fatalf("entries missing: %d %d %d %d", file1, file2, replicate2, perms2)
	}
	if d := cmp.Diff([]int{replicate2}, c.graph.follows[file2]); d != "" {
		t.Errorf("web2's file follows (-want +got):\n%s", d)
	}
	if !c.graph.follower[file1] || len(c.graph.follows[file1]) != 0 {
		t.Errorf("web1's file: follower %v following %v; want a follower of nothing", c.graph.follower[file1], c.graph.follows[file1])
	}
	if !containsInt(c.graph.deps[file2], perms2) {
		t.Error("after = [perms] does not wait for the node's perms")
	}
}

// A service block is two entries per node: the service, which always
// runs but after what its on_change names (a start reads the new config),
// and its reload, which follows those blocks; both wait for the site's
// packages on their node.
func TestServiceFollowsItsConfigAndStartsAfterIt(t *testing.T) {
	c, diags := compileString(t, site(`
  package "web" {
    names = ["nginx"]
  }
  file "site" {
    path    = "/etc/nginx/conf.d/s.conf"
    content = "server { listen 8081; }\n"
  }
  service "nginx" {
    check     = "nginx -t"
    on_change = [file.site]
  }
  service "cron" {
    on = "primary"
  }
`), nil)
	if c == nil {
		t.Fatalf("compile failed:\n%s", diags)
	}
	for _, n := range []string{"web1", "web2"} {
		pkg, conf := entryIndexOf(c, n+"/package/s/web"), entryIndexOf(c, n+"/file/etc/nginx/conf.d/s.conf")
		svc, reload := entryIndexOf(c, n+"/service/s/nginx"), entryIndexOf(c, n+"/service/s/nginx/reload")
		if pkg < 0 || conf < 0 || svc < 0 || reload < 0 {
			t.Fatalf("%s: entries missing: package %d file %d service %d reload %d", n, pkg, conf, svc, reload)
		}
		if len(c.graph.follows[svc]) != 0 || !containsInt(c.graph.deps[svc], conf) || !containsInt(c.graph.deps[svc], pkg) {
			t.Errorf("%s: the service must wait for the file and the package without following them: deps %v follows %v", n, c.graph.deps[svc], c.graph.follows[svc])
		}
		if len(c.graph.follows[reload]) != 1 || c.graph.follows[reload][0] != conf || !containsInt(c.graph.deps[reload], pkg) {
			t.Errorf("%s: the reload must follow its node's file only, after the package: deps %v follows %v", n, c.graph.deps[reload], c.graph.follows[reload])
		}
	}
	if entryIndexOf(c, "web1/service/s/cron") < 0 || entryIndexOf(c, "web1/service/s/cron/reload") >= 0 || entryIndexOf(c, "web2/service/s/cron") >= 0 {
		t.Error("a service without on_change is one entry, on the nodes its on names")
	}
}
