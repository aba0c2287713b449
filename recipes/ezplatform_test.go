package recipes_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	hashicl "github.com/hashicorp/hcl/v2"
	ctyyaml "github.com/zclconf/go-cty-yaml"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/cluster"
	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/steps"
)

// ezCluster is two web nodes with private addresses and an NFS storage;
// %s is more of the site's params and %n web2's address.
const ezCluster = `
variable "dfs_password" {
  sensitive = true
  default   = "p%w\"d\\x#y"
}
node "web1" {
  host    = "web1.example.com"
  address = "10.0.0.11"
  roles   = ["web"]
}
node "web2" {
  host  = "web2.example.com"
  roles = ["web"]
  %n
}
node "files" {
  host  = "files.example.com"
  roles = ["storage"]
}
storage "nas" {
  type   = "nfs"
  server = "files"
  export = "/srv/nas"
  mount  = "/mnt/nas"
}
site "ez" {
  recipe  = "ezplatform"
  root    = "/var/www/ez"
  primary = "web1"
  nodes   = ["web1", "web2"]
  storage = "nas"
  owner   = "www-data"
  params = {
    db_host     = "10.0.0.20"
    db_user     = "ezdfs"
    db_password = var.dfs_password
    %s
  }
}
`

// compileEz loads and compiles the cluster with extra params and web2
// lines; it returns the entries and the diagnostics as validate prints
// them (and whether any is an error).
func compileEz(t *testing.T, params, web2 string) ([]steps.Entry, string, bool) {
	t.Helper()
	src := ezCluster
	if strings.Contains(params, "db_password") {
		src = strings.Replace(src, "    db_password = var.dfs_password\n", "", 1)
	}
	if web2 == "" {
		web2 = `address = "10.0.0.12"`
	}
	src = strings.NewReplacer("%s", params, "%n", web2).Replace(src)
	file := filepath.Join(t.TempDir(), "cluster.hcl")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	l := hcl.NewLoader(steps.BlockKinds())
	cfg, diags := l.Load(hcl.LoadOptions{Files: []string{file}})
	var c *cluster.Compiled
	if !diags.HasErrors() {
		var ds hashicl.Diagnostics
		c, ds = cluster.Compile(cfg, nil)
		diags = append(diags, ds...)
	}
	var out bytes.Buffer
	if err := l.WriteDiagnostics(&out, diags, false); err != nil {
		t.Fatal(err)
	}
	if c == nil {
		return nil, out.String(), diags.HasErrors()
	}
	return c.Entries, out.String(), diags.HasErrors()
}

// stepsOf lists the IDs of a kind's steps.
func stepsOf(entries []steps.Entry, kind string) []string {
	var ids []string
	for _, e := range entries {
		if e.Step.Kind() == kind {
			ids = append(ids, e.Step.ID())
		}
	}
	slices.Sort(ids)
	return ids
}

func step[S steps.Step](t *testing.T, entries []steps.Entry, id string) S {
	t.Helper()
	for _, e := range entries {
		if e.Step.ID() == id {
			if s, ok := e.Step.(S); ok {
				return s
			}
		}
	}
	t.Fatalf("no step %s", id)
	var zero S
	return zero
}

// TestEzPlatformLayouts compiles the site in each layout: the layout's
// folders, its DFS configuration file (and for 1.x/2.x the import in
// config.yml), its front controller in the rewrite rule; memcached, nginx
// and the DFS database whatever the layout.
func TestEzPlatformLayouts(t *testing.T) {
	for _, tc := range []struct {
		layout, web, front, config string
		relocate, purge            []string
	}{
		{"3.x", "public", "index.php", "config/packages/shoal_cluster.yaml",
			[]string{"web1/relocate/var/www/ez/public/var", "web2/relocate/var/www/ez/public/var"},
			[]string{"web2/purge/var/www/ez/var/cache"}},
		{"2.x", "web", "app.php", "app/config/shoal_cluster.yml",
			[]string{"web1/relocate/var/www/ez/web/var", "web2/relocate/var/www/ez/web/var"},
			[]string{"web2/purge/var/www/ez/var/cache"}},
		{"1.x", "web", "app.php", "app/config/shoal_cluster.yml",
			[]string{"web1/relocate/var/www/ez/web/var", "web2/relocate/var/www/ez/web/var"},
			[]string{"web2/purge/var/www/ez/app/cache"}},
	} {
		t.Run(tc.layout, func(t *testing.T) {
			entries, diags, failed := compileEz(t, `layout = "`+tc.layout+`"`, "")
			if failed {
				t.Fatalf("does not compile:\n%s", diags)
			}
			if diff := cmp.Diff(tc.relocate, stepsOf(entries, "relocate")); diff != "" {
				t.Errorf("relocations (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.purge, stepsOf(entries, "purge")); diff != "" {
				t.Errorf("purges (-want +got):\n%s", diff)
			}
			wantFiles := []string{
				"web1/file/etc/nginx/ez_params.d/ez_rewrite_dfsimage_params",
				"web1/file/etc/shoal/ez/dfs-client.cnf",
				"web1/file/var/www/ez/" + tc.config,
				"web2/file/etc/nginx/ez_params.d/ez_rewrite_dfsimage_params",
				"web2/file/var/www/ez/" + tc.config,
			}
			if diff := cmp.Diff(wantFiles, stepsOf(entries, "file")); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			wantLines := []string{"web1/line/etc/memcached.conf#memcached_listen", "web2/line/etc/memcached.conf#memcached_listen"}
			if tc.layout != "3.x" {
				wantLines = append(wantLines, "web1/line/var/www/ez/app/config/config.yml#dfs_import", "web2/line/var/www/ez/app/config/config.yml#dfs_import")
				slices.Sort(wantLines)
				imp := step[*steps.Line](t, entries, "web2/line/var/www/ez/app/config/config.yml#dfs_import")
				if imp.Line != "    - { resource: shoal_cluster.yml }" || imp.InsertAfter != "^imports:" {
					t.Errorf("the import line: %q after %q", imp.Line, imp.InsertAfter)
				}
			}
			if diff := cmp.Diff(wantLines, stepsOf(entries, "line")); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			rewrite := step[*steps.File](t, entries, "web2/file/etc/nginx/ez_params.d/ez_rewrite_dfsimage_params")
			if want := `rewrite "^/var/([^/]+/)?storage/images(-versioned)?/(.*)" "/` + tc.front + `" break;`; !strings.Contains(rewrite.Content, want+"\n") {
				t.Errorf("the nginx snippet lacks %s:\n%s", want, rewrite.Content)
			}
			if got := stepsOf(entries, "exec"); !slices.Equal(got, []string{"web1/exec/ez/cache_clear", "web1/exec/ez/dfs_database", "web2/exec/ez/cache_clear"}) {
				t.Errorf("execs: %v, want the DFS database on the primary alone and the cache cleared on both nodes", got)
			}
			if got := len(stepsOf(entries, "service")); got != 8 {
				t.Errorf("%d service steps, want memcached and nginx, each kept and reloaded, on both nodes", got)
			}
		})
	}
}

// TestEzPlatformDFSConfiguration reads the rendered YAML back: the seed's
// keys with the site's values, % written %% for Symfony, the file only
// the web server's group reads, its plan shown without the password.
func TestEzPlatformDFSConfiguration(t *testing.T) {
	for _, layout := range []string{"3.x", "1.x"} {
		entries, diags, failed := compileEz(t, `layout = "`+layout+`"
    dfs_nfs_path = "/mnt/nas/ez/dfs"
    url_prefix   = "storage"`, "")
		if failed {
			t.Fatalf("%s does not compile:\n%s", layout, diags)
		}
		path, top := "/var/www/ez/config/packages/shoal_cluster.yaml", "ezplatform"
		if layout == "1.x" {
			path, top = "/var/www/ez/app/config/shoal_cluster.yml", "ezpublish"
		}
		f := step[*steps.File](t, entries, "web2/file"+path)
		if f.Mode != "0640" || f.Owner != "root" || f.Group != "www-data" || !f.Hidden {
			t.Errorf("%s: mode %s, owner %s:%s, hidden %v; want 0640 root:www-data, hidden", layout, f.Mode, f.Owner, f.Group, f.Hidden)
		}
		for name, content := range map[string]string{"content": f.Content, "shown": f.Shown} {
			ty, err := ctyyaml.ImpliedType([]byte(content))
			if err != nil {
				t.Fatalf("%s: the %s does not parse: %v\n%s", layout, name, err, content)
			}
			doc, err := ctyyaml.Unmarshal([]byte(content), ty)
			if err != nil {
				t.Fatal(err)
			}
			dfs := doc.GetAttr("doctrine").GetAttr("dbal").GetAttr("connections").GetAttr("dfs")
			password := `p%%w"d\x#y`
			if name == "shown" {
				password = "(sensitive)"
			}
			got := map[string]string{
				"host":      dfs.GetAttr("host").AsString(),
				"dbname":    dfs.GetAttr("dbname").AsString(),
				"user":      dfs.GetAttr("user").AsString(),
				"password":  dfs.GetAttr("password").AsString(),
				"directory": doc.GetAttr("oneup_flysystem").GetAttr("adapters").GetAttr("nfs_adapter").GetAttr("local").GetAttr("directory").AsString(),
				"metadata":  doc.GetAttr("ez_io").GetAttr("metadata_handlers").GetAttr("dfs").GetAttr("legacy_dfs_cluster").GetAttr("connection").AsString(),
				"binary":    doc.GetAttr("ez_io").GetAttr("binarydata_handlers").GetAttr("nfs").GetAttr("flysystem").GetAttr("adapter").AsString(),
				"io":        doc.GetAttr(top).GetAttr("system").GetAttr("default").GetAttr("io").GetAttr("url_prefix").AsString(),
			}
			want := map[string]string{
				"host": "10.0.0.20", "dbname": "ezdfs", "user": "ezdfs", "password": password,
				"directory": "/mnt/nas/ez/dfs/$var_dir$/$storage_dir$", "metadata": "doctrine.dbal.dfs_connection",
				"binary": "nfs_adapter", "io": "storage",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s, %s (-want +got):\n%s", layout, name, diff)
			}
			if port := dfs.GetAttr("port"); !port.Type().Equals(cty.Number) || !port.Equals(cty.NumberIntVal(3306)).True() {
				t.Errorf("%s: port %#v, want the number 3306", layout, port)
			}
		}
		relocate := step[*steps.Relocate](t, entries, "web1/relocate/var/www/ez/"+map[string]string{"3.x": "public", "1.x": "web"}[layout]+"/var")
		if relocate.Shared != "/mnt/nas/ez/dfs/var" {
			t.Errorf("%s: the web root's var moves to %s, want the adapter's root's var, /mnt/nas/ez/dfs/var", layout, relocate.Shared)
		}
	}
}

// TestEzPlatformDFSDatabase: the credentials are in a 0600 option file,
// quoted for the MariaDB client; the exec reads it, is guarded by the
// table, and holds no secret; the schema comes from the tree (1.x/2.x, or
// dfs_schema) or, for 3.x, on standard input.
func TestEzPlatformDFSDatabase(t *testing.T) {
	entries, diags, failed := compileEz(t, "", "")
	if failed {
		t.Fatalf("does not compile:\n%s", diags)
	}
	cnf := step[*steps.File](t, entries, "web1/file/etc/shoal/ez/dfs-client.cnf")
	if cnf.Mode != "0600" || cnf.Owner != "root" || !strings.Contains(cnf.Content, "\npassword = \"p%w\\\"d\\\\x#y\"\n") || !strings.Contains(cnf.Shown, `password = "(sensitive)"`) {
		t.Errorf("option file: mode %s owner %s\n%s\nshown:\n%s", cnf.Mode, cnf.Owner, cnf.Content, cnf.Shown)
	}
	exec := step[*steps.Exec](t, entries, "web1/exec/ez/dfs_database")
	for _, s := range []string{exec.Command, exec.Unless, exec.Stdin} {
		if strings.Contains(s, "p%w") {
			t.Errorf("the exec holds the password:\n%s", s)
		}
	}
	if !strings.Contains(exec.Unless, "TABLE_SCHEMA = 'ezdfs' AND TABLE_NAME = 'ezdfsfile'") || !strings.Contains(exec.Command, "--defaults-extra-file=/etc/shoal/ez/dfs-client.cnf") {
		t.Errorf("unless %q\ncommand %q", exec.Unless, exec.Command)
	}
	if !strings.HasSuffix(exec.Command, "dfs-client.cnf ezdfs") || !strings.Contains(exec.Stdin, "CREATE TABLE IF NOT EXISTS ezdfsfile") {
		t.Errorf("3.x: the table should come on stdin:\n%s\n%s", exec.Command, exec.Stdin)
	}
	for params, schema := range map[string]string{
		`layout = "2.x"`:             "vendor/ezsystems/ezpublish-kernel/data/mysql/dfs_schema.sql",
		`dfs_schema = "var/dfs.sql"`: "var/dfs.sql",
	} {
		entries, diags, failed := compileEz(t, params, "")
		if failed {
			t.Fatalf("%s does not compile:\n%s", params, diags)
		}
		exec := step[*steps.Exec](t, entries, "web1/exec/ez/dfs_database")
		if !strings.HasSuffix(exec.Command, "dfs-client.cnf ezdfs < "+schema) {
			t.Errorf("%s: the table should come from %s:\n%s", params, schema, exec.Command)
		}
	}
}

// TestEzPlatformClearsSymfonysCache: a node whose DFS configuration
// changed clears Symfony's cache with the layout's console, as the site's
// owner, and only then.
func TestEzPlatformClearsSymfonysCache(t *testing.T) {
	for params, command := range map[string]string{
		"":               "php bin/console cache:clear --env=prod --no-warmup",
		`layout = "2.x"`: "php bin/console cache:clear --env=prod --no-warmup",
		`layout = "1.x", symfony_env = "ezp_prod"`: "php app/console cache:clear --env=ezp_prod --no-warmup",
	} {
		entries, diags, failed := compileEz(t, params, "")
		if failed {
			t.Fatalf("%s does not compile:\n%s", params, diags)
		}
		for _, node := range []string{"web1", "web2"} {
			exec := step[*steps.Exec](t, entries, node+"/exec/ez/cache_clear")
			if exec.Command != command || exec.User != "www-data" || !slices.Equal(exec.OnChange, []string{"file.dfs_config", "line.dfs_import"}) {
				t.Errorf("%s: %s: %q as %q, on change of %v; want %q as www-data on change of the DFS configuration",
					params, node, exec.Command, exec.User, exec.OnChange, command)
			}
		}
	}
}

// TestEzPlatformMemcached: -l is the node's address and the extra ones;
// the service restarts when that line changed.
func TestEzPlatformMemcached(t *testing.T) {
	entries, diags, failed := compileEz(t, `memcached_listen = ["192.168.5.1", "127.0.0.1"]`, "")
	if failed {
		t.Fatalf("does not compile:\n%s", diags)
	}
	for node, want := range map[string]string{"web1": "-l 10.0.0.11,192.168.5.1,127.0.0.1", "web2": "-l 10.0.0.12,192.168.5.1,127.0.0.1"} {
		if l := step[*steps.Line](t, entries, node+"/line/etc/memcached.conf#memcached_listen"); l.Line != want || l.Match != `^-l\s` {
			t.Errorf("%s: %q (match %q), want %q", node, l.Line, l.Match, want)
		}
	}
	for _, e := range entries {
		if _, ok := e.Step.(steps.ServiceReload); ok && strings.HasSuffix(e.Step.ID(), "/memcached/restart") {
			if len(e.OnChange) == 0 {
				t.Errorf("%s follows nothing", e.Step.ID())
			}
			return
		}
	}
	t.Error("no restart of memcached that follows its -l line")
}

// TestEzPlatformRefusesBadValues: what a site gets wrong is a diagnostic
// before anything connects, naming the site (warnings let it through).
func TestEzPlatformRefusesBadValues(t *testing.T) {
	for _, tc := range []struct {
		name, params, web2, want string
		warning                  bool
	}{
		{"memcached on the loopback", "", `address = "127.0.0.1"`, "memcached on web2 would listen on 127.0.0.1, the loopback", false},
		{"memcached on ::1", "", `address = "::1"`, "memcached on web2 would listen on ::1, the loopback", false},
		{"memcached everywhere", `memcached_listen = ["0.0.0.0"]`, "", "memcached on web1 would listen on 0.0.0.0", true},
		{"DFS path elsewhere on the storage", `dfs_nfs_path = "/mnt/nas/other"`, "", `dfs_nfs_path "/mnt/nas/other" must be`, false},
		{"DFS path off the storage", `dfs_nfs_path = "/srv/ez"`, "", `dfs_nfs_path "/srv/ez" must be`, false},
		{"DFS path climbing out", `dfs_nfs_path = "/mnt/nas/ez/../other"`, "", `dfs_nfs_path "/mnt/nas/ez/../other" must be`, false},
		{"DFS path relative", `dfs_nfs_path = "mnt/nas/ez"`, "", `dfs_nfs_path "mnt/nas/ez" must be`, false},
		{"unknown layout", `layout = "4.x"`, "", `layout is "3.x", "2.x" or "1.x" (a string), not "4.x"`, false},
		{"layout as a number", `layout = 3`, "", `layout is "3.x", "2.x" or "1.x" (a string), not 3`, false},
		{"unknown web server", `web_server = "caddy"`, "", `web_server is "nginx", "apache" or "none", not "caddy"`, false},
		{"database name", `db_name = "ez-dfs; DROP"`, "", `db_name "ez-dfs; DROP" must be 1 to 64 letters`, false},
		{"port", `db_port = 70000`, "", "db_port must be a port number", false},
		{"newline in the password", `db_password = "a\nb"`, "", "neither it nor db_password may hold a newline", false},
		{"schema outside the root", `dfs_schema = "../dfs.sql"`, "", `dfs_schema "../dfs.sql" must be a path relative`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags, failed := compileEz(t, tc.params, tc.web2)
			checkRefusal(t, diags, failed, tc.want, tc.warning)
		})
	}
}

func checkRefusal(t *testing.T, diags string, failed bool, want string, warning bool) {
	t.Helper()
	text := strings.Join(strings.Fields(diags), " ")
	if !strings.Contains(text, want) || !strings.Contains(text, `site "ez"`) {
		t.Errorf("diagnostics do not say %q for site ez:\n%s", want, diags)
	}
	if failed == warning {
		t.Errorf("an error: %v, want %v:\n%s", failed, !warning, diags)
	}
	if strings.Contains(diags, `p%w"d`) {
		t.Errorf("a diagnostic shows the password:\n%s", diags)
	}
}
