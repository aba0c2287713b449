package recipes_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/cluster"
	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/steps"
)

// wordpressCluster is a master, two slaves, a backup node and a storage,
// with a site of the wordpress recipe whose params are %s.
const wordpressCluster = `
node "master" {
  address = "10.0.0.11"
  roles   = ["master"]
}
node "slave1" {
  address = "10.0.0.12"
  roles   = ["slave"]
}
node "slave2" {
  address = "10.0.0.13"
}
node "vault" {
  address = "10.0.0.20"
  roles   = ["backup"]
}
node "ns1" {
  address = "10.0.0.53"
  roles   = ["dns"]
}
storage "nas" {
  type  = "mounted"
  mount = "/mnt/nas"
}
site "blog" {
  recipe  = "wordpress"
  root    = "/var/www/blog"
  primary = "master"
  nodes   = ["master", "slave1", "slave2"]
  storage = "nas"
  owner   = "www-data"
  params  = { db_password = "s3cret", %s }
}
`

// loadWordPress loads wordpressCluster with params and returns the
// configuration and its diagnostics as text.
func loadWordPress(t *testing.T, params string) (*hcl.Config, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "c.hcl")
	if err := os.WriteFile(file, []byte(strings.Replace(wordpressCluster, "%s", params, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	l := hcl.NewLoader(steps.BlockKinds())
	cfg, diags := l.Load(hcl.LoadOptions{Files: []string{file}})
	if !diags.HasErrors() {
		_, ds := cluster.Compile(cfg, nil)
		diags = append(diags, ds...)
	}
	var out bytes.Buffer
	if err := l.WriteDiagnostics(&out, diags, false); err != nil {
		t.Fatal(err)
	}
	if diags.HasErrors() {
		return nil, out.String()
	}
	return cfg, out.String()
}

// compiled is each entry of the site by step ID.
func compiled(t *testing.T, cfg *hcl.Config) map[string]steps.Step {
	t.Helper()
	c, diags := cluster.Compile(cfg, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	out := map[string]steps.Step{}
	for _, e := range c.Entries {
		out[e.Step.ID()] = e.Step
	}
	return out
}

// TestWordPressRecipe: by default uploads are replicated with the rest
// and the sync job leaves out only each node's wp-config.php and the
// caches' contents, which are the recipe's cache folders and what a
// snapshot leaves out too; wp-config.php is seeded once and edited per
// node, DISALLOW_FILE_MODS on slaves only; shared uploads live on the
// storage and are left out of the pull.
func TestWordPressRecipe(t *testing.T) {
	cfg, diags := loadWordPress(t, `snapshots = true`)
	if cfg == nil {
		t.Fatalf("the default mode does not load:\n%s", diags)
	}
	s := cfg.Site("blog")
	if n := len(s.BlocksOf("dynamic_dir")); n != 0 {
		t.Errorf("uploads replicated, yet %d dynamic folders", n)
	}
	var caches []string
	for _, c := range s.BlocksOf("cache_dir") {
		caches = append(caches, c.Label)
	}
	entries := compiled(t, cfg)

	conf := entries["slave1/file/var/lib/shoal/wordpress/blog/wp-sync.conf"].(*steps.File).Content
	var excluded, purged []string
	for _, line := range strings.Split(conf, "\n") {
		if x, ok := strings.CutPrefix(line, "exclude="); ok {
			excluded = append(excluded, x)
		}
		if c, ok := strings.CutPrefix(line, "cache="); ok {
			purged = append(purged, c)
		}
	}
	wantExcluded := []string{"/wp-config.php"}
	for _, c := range caches {
		wantExcluded = append(wantExcluded, "/"+c+"/*")
	}
	if d := cmp.Diff(wantExcluded, excluded); d != "" {
		t.Errorf("the pull leaves out (-want +got):\n%s", d)
	}
	if d := cmp.Diff(caches, purged); d != "" {
		t.Errorf("a sync empties (-want cache_dir blocks, +got):\n%s", d)
	}
	if !strings.Contains(conf, "master=root@10.0.0.11\n") {
		t.Errorf("the slaves pull from:\n%s", conf)
	}

	snap := entries["vault/snapshot/srv/snapshots/blog/master"].(*steps.Snapshot)
	for _, src := range snap.Sources {
		if src.Name != "site" {
			continue
		}
		for _, c := range caches {
			if !slices.Contains(src.Exclude, "/"+c+"/*") {
				t.Errorf("a snapshot of the site keeps the cache %s: %q", c, src.Exclude)
			}
		}
	}

	r := entries["slave1/replicate/var/www/blog"].(*steps.Replicate)
	if d := cmp.Diff([]string{"wp-config.php"}, r.Seed); d != "" {
		t.Errorf("seeded once (-want +got):\n%s", d)
	}
	for _, node := range []string{"master", "slave1", "slave2"} {
		siteurl := entries[node+"/line/var/www/blog/wp-config.php#siteurl"].(*steps.Line)
		if siteurl.Line != "define( 'WP_SITEURL', 'http://10.0.0.11' );" {
			t.Errorf("%s: %s", node, siteurl.Line)
		}
		home := entries[node+"/line/var/www/blog/wp-config.php#home"].(*steps.Line)
		if !strings.Contains(home.Line, "$_SERVER['HTTP_HOST']") {
			t.Errorf("%s: WP_HOME is not the request's host: %s", node, home.Line)
		}
		_, mods := entries[node+"/line/var/www/blog/wp-config.php#file_mods"]
		if mods != (node != "master") {
			t.Errorf("%s: DISALLOW_FILE_MODS %v", node, mods)
		}
		content := entries[node+"/line/var/www/blog/wp-config.php#content_url"].(*steps.Line)
		if content.Line != "define( 'WP_CONTENT_URL', ( defined( 'WP_HOME' ) ? WP_HOME : 'http://10.0.0.11' ) . '/wp-content' );" {
			t.Errorf("%s: WP_CONTENT_URL does not follow WP_HOME: %s", node, content.Line)
		}
	}

	cfg, diags = loadWordPress(t, `uploads = "shared", home = "node", master_url = "https://admin.blog.example", node_urls = { slave1 = "https://eu.blog.example" }`)
	if cfg == nil {
		t.Fatalf("shared uploads, a URL per node:\n%s", diags)
	}
	if d := cfg.Site("blog").BlocksOf("dynamic_dir"); len(d) != 1 || d[0].Label != "wp-content/uploads" {
		t.Errorf("uploads shared: %v", d)
	}
	entries = compiled(t, cfg)
	if conf := entries["slave1/file/var/lib/shoal/wordpress/blog/wp-sync.conf"].(*steps.File).Content; !strings.Contains(conf, "exclude=/wp-content/uploads\n") {
		t.Errorf("shared uploads are pulled:\n%s", conf)
	}
	for node, want := range map[string]string{
		"master": "define( 'WP_HOME', 'http://10.0.0.11' );",
		"slave1": "define( 'WP_HOME', 'https://eu.blog.example' );",
		"slave2": "define( 'WP_HOME', 'http://10.0.0.13' );",
	} {
		if got := entries[node+"/line/var/www/blog/wp-config.php#home"].(*steps.Line).Line; got != want {
			t.Errorf("%s: %s, want %s", node, got, want)
		}
		if got := entries[node+"/line/var/www/blog/wp-config.php#siteurl"].(*steps.Line).Line; got != "define( 'WP_SITEURL', 'https://admin.blog.example' );" {
			t.Errorf("%s: %s", node, got)
		}
	}

	// content_url: a CDN's URL as it is; "" leaves WordPress's default
	for params, want := range map[string]string{
		`content_url = "https://cdn.blog.example/wp-content"`: "define( 'WP_CONTENT_URL', 'https://cdn.blog.example/wp-content' );",
		`content_url = ""`: "",
	} {
		cfg, diags := loadWordPress(t, params)
		if cfg == nil {
			t.Fatalf("%s:\n%s", params, diags)
		}
		var got string
		if line, ok := compiled(t, cfg)["slave1/line/var/www/blog/wp-config.php#content_url"]; ok {
			got = line.(*steps.Line).Line
		}
		if got != want {
			t.Errorf("%s: WP_CONTENT_URL line %q, want %q", params, got, want)
		}
	}
}

// TestWordPressReplicationMode: with database = "replication" the master
// writes a binary log and listens on its address, each slave replicates
// read-only with a server id of its own, MariaDB restarts on a change of
// that, the replication user exists once per slave address and its
// password reaches mysql on stdin only.
func TestWordPressReplicationMode(t *testing.T) {
	cfg, diags := loadWordPress(t, `database = "replication", replication_password = "repl-secret-42"`)
	if cfg == nil {
		t.Fatalf("replication mode does not load:\n%s", diags)
	}
	entries := compiled(t, cfg)
	cnf := func(node string) string {
		return entries[node+"/file/etc/mysql/mariadb.conf.d/61-shoal-blog.cnf"].(*steps.File).Content
	}
	for node, want := range map[string][]string{
		"master": {"server_id = 1\n", "log_bin = mysql-bin\n", "bind_address = 10.0.0.11\n"},
		"slave1": {"server_id = 2\n", "read_only = 1\n", "replicate_do_db = wordpress\n"},
		"slave2": {"server_id = 3\n", "read_only = 1\n"},
	} {
		for _, w := range want {
			if !strings.Contains(cnf(node), w) {
				t.Errorf("%s's MariaDB configuration lacks %q:\n%s", node, w, cnf(node))
			}
		}
	}
	for _, id := range []string{"master/service/blog/mariadb", "slave1/service/blog/mariadb", "slave1/exec/blog/replicate", "slave2/exec/blog/replicate", "master/exec/blog/replication_user"} {
		if entries[id] == nil {
			t.Errorf("no %s", id)
		}
	}
	for _, id := range []string{"master/exec/blog/replicate", "slave1/exec/blog/replication_user"} {
		if entries[id] != nil {
			t.Errorf("%s runs where it should not", id)
		}
	}
	if conf := entries["slave1/file/var/lib/shoal/wordpress/blog/wp-sync.conf"].(*steps.File).Content; !strings.Contains(conf, "database=replication\n") || !strings.Contains(conf, "master_host=10.0.0.11\n") {
		t.Errorf("the jobs do not know the mode:\n%s", conf)
	}

	_, diags = loadWordPress(t, `database = "replication"`)
	if !strings.Contains(diags, "needs a replication_password of") {
		t.Errorf("replication without a password:\n%s", diags)
	}
	cfg, _ = loadWordPress(t, ``)
	for id := range compiled(t, cfg) {
		if strings.Contains(id, "mariadb") || strings.Contains(id, "/exec/blog/replicat") {
			t.Errorf("database = dump, yet %s", id)
		}
	}
}

// TestWordPressBadInput: what a site gets wrong is a diagnostic naming
// the problem.
func TestWordPressBadInput(t *testing.T) {
	for _, tt := range []struct {
		name, params string
		edit         func(string) string
		want         string
	}{
		{"a slave with the master's address", `snapshots = false`, func(s string) string {
			return strings.Replace(s, `address = "10.0.0.12"`, `address = "10.0.0.11"`, 1)
		}, "slave1 has the master's address, 10.0.0.11, so it is the master"},
		{"the master with the role slave", `snapshots = false`, func(s string) string {
			return strings.Replace(s, `roles   = ["master"]`, `roles   = ["master", "slave"]`, 1)
		}, `master is the site's master (its primary) but has the role "slave"`},
		{"keep = 0", `snapshots = true, snapshot_keep = 0`, nil, "keep is how many complete snapshots of a node are kept, a whole number from 1 to 1000, not 0"},
		{"a URL that is not http", `master_url = "ftp://blog.example"`, nil, "master_url and node_urls are http:// or https:// URLs"},
		{"a password with a quote", `snapshots = false, uploads = "replicated"`, func(s string) string {
			return strings.Replace(s, `db_password = "s3cret"`, `db_password = "it's"`, 1)
		}, "db_password may not hold a quote"},
		{"uploads", `uploads = "nfs"`, nil, `uploads is "replicated" or "shared", not "nfs"`},
		{"master_url on the failover name", `dns = "dns", domain = "Blog.example", master_url = "https://www.blog.example/"`, nil,
			"master_url https://www.blog.example/ is on Blog.example, whose records lead to slaves too (once the master fails)"},
		{"master_url on the round robin name", `dns = "dns", domain = "blog.example", dns_mode = "round_robin", master_url = "http://blog.example:8080"`, nil,
			"master_url http://blog.example:8080 is on blog.example, whose records lead to slaves too (round robin)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(wordpressCluster, "%s", tt.params, 1)
			if tt.edit != nil {
				src = tt.edit(src)
			}
			file := filepath.Join(t.TempDir(), "c.hcl")
			if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			l := hcl.NewLoader(steps.BlockKinds())
			cfg, diags := l.Load(hcl.LoadOptions{Files: []string{file}})
			if !diags.HasErrors() {
				_, ds := cluster.Compile(cfg, nil)
				diags = append(diags, ds...)
			}
			var out bytes.Buffer
			_ = l.WriteDiagnostics(&out, diags, false)
			text := regexp.MustCompile(`\s+`).ReplaceAllString(out.String(), " ")
			if !diags.HasErrors() || !strings.Contains(text, tt.want) {
				t.Errorf("diagnostics lack %q:\n%s", tt.want, out.String())
			}
		})
	}
}

// TestWordPressJobsArePOSIX: the jobs run on the nodes' sh.
func TestWordPressJobsArePOSIX(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("shellcheck is not installed: scripts/test.sh installs it")
		}
		t.Skip("shellcheck is not installed")
	}
	if out, err := exec.Command("shellcheck", "-s", "sh", "wordpress/wp-sync.sh").CombinedOutput(); err != nil {
		t.Errorf("shellcheck wordpress/wp-sync.sh: %v\n%s", err, out)
	}
}

// TestWordPressDNS: with dns and domain, the dns nodes point the site's
// name and www at the master first, then its slaves, by failover with a
// health check of http://<domain>/ by default, or at every node by
// round_robin; without dns there is no zone.
func TestWordPressDNS(t *testing.T) {
	cfg, diags := loadWordPress(t, `dns = "dns", domain = "blog.example"`)
	if cfg == nil {
		t.Fatalf("failover does not load:\n%s", diags)
	}
	zone, ok := compiled(t, cfg)["ns1/dns/blog.example"].(*steps.DNS)
	if !ok {
		t.Fatalf("no zone on ns1")
	}
	if zone.Mode != "failover" || zone.Health == nil || zone.Health.URL != "http://blog.example/" || zone.Health.Status != 200 {
		t.Errorf("failover: mode %q, health %+v", zone.Mode, zone.Health)
	}
	for _, n := range zone.Names {
		var order []string
		for _, h := range n.Targets {
			order = append(order, h.Node)
		}
		if d := cmp.Diff([]string{"master", "slave1", "slave2"}, order); d != "" {
			t.Errorf("%s points at (-want +got):\n%s", n.Name, d)
		}
	}

	// a master_url of its own
	if cfg, diags := loadWordPress(t, `dns = "dns", domain = "blog.example", master_url = "https://admin.blog.example"`); cfg == nil {
		t.Errorf("master_url on admin.blog.example:\n%s", diags)
	}
	cfg, diags = loadWordPress(t, `dns = "dns", domain = "blog.example", dns_mode = "round_robin"`)
	if cfg == nil {
		t.Fatalf("round robin does not load:\n%s", diags)
	}
	if zone := compiled(t, cfg)["ns1/dns/blog.example"].(*steps.DNS); zone.Mode != "round_robin" || zone.Health != nil {
		t.Errorf("round robin: mode %q, health %+v", zone.Mode, zone.Health)
	}

	_, diags = loadWordPress(t, `dns = "dns"`)
	if !strings.Contains(diags, "dns needs a domain") {
		t.Errorf("dns without a domain:\n%s", diags)
	}
	_, diags = loadWordPress(t, `dns = "dns", domain = "blog.example", health_url = "ftp://blog.example/"`)
	if !strings.Contains(diags, "Invalid health_url") {
		t.Errorf("an ftp health URL:\n%s", diags)
	}
	cfg, _ = loadWordPress(t, ``)
	for id := range compiled(t, cfg) {
		if strings.Contains(id, "/dns/") {
			t.Errorf("no dns param, yet %s", id)
		}
	}
}
