package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/shell"
)

// The eZ Platform job: fixtures/ezplatform on the lab, with a real MariaDB
// on the db host and Debian's memcached, nginx and php-fpm on the web
// hosts. The DFS user's password holds what breaks careless quoting in an
// option file, YAML, Symfony's %parameters% and SQL.
const (
	ezRoot     = "/var/www/ezplatform"
	ezSite     = "ez"
	ezPassword = `Dfs pa"ss#w%rd\'$x`
	ezMarker   = "ezplatform front controller: "
	ezPort     = "8090"
)

var ezFixture = filepath.Join("fixtures", "ezplatform")

// ezImages is where the staged images are, and ezListing lists them (size
// and path, not following links), leaving out what the test writes.
const (
	ezImages  = ezRoot + "/public/var/site/storage/images"
	ezListing = "cd " + ezImages + " && find . -type f ! -name from-web2.txt -printf '%s %p\\n' | sort -k2"
)

// ezConfig is a config dir holding the fixture's cluster.hcl, changed by
// edit, and a 0600 file with the password variable.
func ezConfig(t *testing.T, edit func(string) string) (dir, varFile string) {
	t.Helper()
	dir = t.TempDir()
	src := readFile(t, filepath.Join(repoRoot, ezFixture, "cluster.hcl"))
	if edit != nil {
		changed := edit(src)
		if changed == src {
			t.Fatal("the edit changed nothing in cluster.hcl")
		}
		src = changed
	}
	writeFile(t, filepath.Join(dir, "cluster.hcl"), src)
	varFile = filepath.Join(t.TempDir(), "dfs.vars")
	writeFile(t, varFile, "dfs_password = "+hclString(ezPassword)+"\n")
	return dir, varFile
}

// hclString quotes s as an HCL string.
func hclString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", "$${", "%{", "%%{").Replace(s) + `"`
}

// stageEzHosts prepares the lab as an operator would have it before
// clustering: the tree on web1 only; on every web node nginx with the
// site's server block (stopped: it cannot start before shoal writes the
// DFS rule it includes), php-fpm running, memcached stopped and listening
// on 127.0.0.1 as Debian ships it, and a logging shim in front of the
// MariaDB client; MariaDB on db with the DFS user. Cleanup puts it back.
func stageEzHosts(t *testing.T) mariaDB {
	t.Helper()
	stage := readFile(t, filepath.Join(repoRoot, ezFixture, "stage.sh"))
	vhost := readFile(t, filepath.Join(repoRoot, ezFixture, "nginx", "ezplatform.conf"))
	rewrites := readFile(t, filepath.Join(repoRoot, ezFixture, "nginx", "ez_rewrite_params"))
	for _, h := range webHosts {
		t.Cleanup(func() {
			onHost(t, h, shell.Script(`for s in nginx memcached php8.2-fpm; do
	if service "$s" status >/dev/null 2>&1; then service "$s" stop </dev/null >/dev/null 2>&1; fi
done
if [ -f /etc/memcached.conf.e2e-orig ]; then mv -f /etc/memcached.conf.e2e-orig /etc/memcached.conf; fi
rm -rf "$root" /etc/nginx/conf.d/ezplatform.conf /etc/nginx/ez_params.d /etc/shoal /usr/local/bin/mysql \
	/var/log/shoal-e2e-mysql.log /var/lib/shoal/changed/ez /var/lib/shoal/loaded/ez /var/lib/shoal/backup/var/www/ezplatform
rm -f /etc/memcached.conf.shoal.bak`, shell.Bind("root", ezRoot)))
		})
		onHost(t, h, shell.Script(`set -e
rm -rf "$root"
for s in nginx memcached; do
	if service "$s" status >/dev/null 2>&1; then service "$s" stop </dev/null >/dev/null 2>&1; fi
done
cp -p /etc/memcached.conf /etc/memcached.conf.e2e-orig
mkdir -p /etc/nginx/ez_params.d
printf '%s' "$vhost" > /etc/nginx/conf.d/ezplatform.conf
printf '%s' "$rewrites" > /etc/nginx/ez_params.d/ez_rewrite_params
cat > /usr/local/bin/mysql <<'SHIM'
#!/bin/sh
# e2e: what each MariaDB client run was given, then the real client
{ echo "argv: $*"; env; } >> /var/log/shoal-e2e-mysql.log
exec /usr/bin/mysql "$@"
SHIM
chmod 0755 /usr/local/bin/mysql
: > /var/log/shoal-e2e-mysql.log
`+startPHPFPM, shell.Bind("root", ezRoot), shell.Bind("vhost", vhost), shell.Bind("rewrites", rewrites)))
	}
	onHost(t, "web1", "set -- "+ezRoot+" 3.x\n"+stage)
	t.Cleanup(func() { onHost(t, "files", "rm -rf /srv/nas/"+ezSite) })
	db := mariaDB{lab: labShell{sshConfig: sshConfig}, host: "db"}
	db.lab.startMariaDB(t, db.host, labAddr(t, db.host))
	t.Cleanup(func() { db.lab.stopMariaDB(t, db.host) })
	db.addUser(t, "ezdfs", ezPassword, "ezdfs")
	return db
}

// ezState is what a refused run may not change: on each web node the site
// tree's top, the files shoal writes or edits, and which of its daemons
// run; on db, the databases.
func ezState(t *testing.T, db mariaDB) string {
	t.Helper()
	var b strings.Builder
	script := shell.Script(`cd "$root" && find . -maxdepth 2 -printf '%y %p %l\n' | sort
for f in /etc/memcached.conf config/packages/shoal_cluster.yaml /etc/nginx/ez_params.d/ez_rewrite_dfsimage_params /etc/shoal/ez/dfs-client.cnf; do
	if [ -e "$f" ]; then sha256sum "$f"; else echo "absent $f"; fi
done
for s in nginx memcached; do
	if service "$s" status >/dev/null 2>&1; then echo "$s running"; else echo "$s stopped"; fi
done`, shell.Bind("root", ezRoot))
	for _, h := range webHosts {
		b.WriteString("## " + h + "\n" + onHost(t, h, script))
	}
	b.WriteString("## db\n" + db.sql(t, "SHOW DATABASES;"))
	return b.String()
}

func TestEzPlatformEndToEnd(t *testing.T) {
	db := stageEzHosts(t)
	staged := onHost(t, "web1", ezListing)
	if strings.Count(staged, "\n") < 40 {
		t.Fatalf("too little staged user content to test with:\n%s", staged)
	}
	dir, vars := ezConfig(t, nil)
	run := func(args ...string) result {
		t.Helper()
		return shoal(t, append([]string{"-C", dir, "--var-file", vars}, args...)...)
	}
	var shown []string // everything shoal printed, for the password check
	must := func(r result, code int, what string) result {
		t.Helper()
		shown = append(shown, r.stdout, r.stderr)
		if r.code != code {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, r.code, code, r.stdout, r.stderr)
		}
		return r
	}

	// Bad input first, on the untouched lab: each is a diagnostic naming
	// file:line:col, and nothing changes.
	t.Run("bad input", func(t *testing.T) { testEzBadInput(t, db, vars) })

	plan := must(run("plan"), 0, "first plan")
	for _, want := range []string{
		"+ file " + ezRoot + "/config/packages/shoal_cluster.yaml", `"password": "(sensitive)"`, `"dbname": "ezdfs"`,
		`password = "(sensitive)"`, "~ exec dfs_database", "CREATE DATABASE IF NOT EXISTS `ezdfs`",
		"~ line /etc/memcached.conf (memcached_listen)", "+-l web1", "+ file /etc/nginx/ez_params.d/ez_rewrite_dfsimage_params",
		"+ relocate " + ezRoot + "/public/var",
	} {
		if !strings.Contains(plan.stdout, want) {
			t.Errorf("the first plan does not show %q:\n%s", want, plan.stdout)
		}
	}
	savedPlan := filepath.Join(t.TempDir(), "ez.plan")
	must(run("plan", "-out", savedPlan), 0, "plan -out")
	shown = append(shown, readFile(t, savedPlan))
	must(run("plan", "--json"), 0, "plan --json")

	// 1. The first apply converges, the next plan is empty and a third
	// apply changes nothing. While the first runs, web1's process list is
	// sampled.
	onHost(t, "web1", `rm -f /tmp/shoal-e2e-ps.stop; : > /tmp/shoal-e2e-ps.log
nohup sh -c 'while [ ! -e /tmp/shoal-e2e-ps.stop ]; do ps -eo args >> /tmp/shoal-e2e-ps.log; sleep 0.02; done' </dev/null >/dev/null 2>&1 &`)
	t.Cleanup(func() {
		onHost(t, "web1", "touch /tmp/shoal-e2e-ps.stop; sleep 0.1; rm -f /tmp/shoal-e2e-ps.log /tmp/shoal-e2e-ps.stop")
	})
	for _, h := range webHosts {
		onHost(t, h, "rm -f /tmp/ezplatform-console.log")
	}
	must(run("apply", "--yes", "--json"), 0, "first apply")
	psLog := onHost(t, "web1", "touch /tmp/shoal-e2e-ps.stop; sleep 0.1; cat /tmp/shoal-e2e-ps.log")
	if !strings.Contains(psLog, "sshd") || strings.Count(psLog, "\n") < 100 {
		t.Errorf("web1's process list was not sampled during the apply:\n%.2000s", psLog)
	}
	if strings.Contains(psLog, ezPassword) || strings.Contains(psLog, `pa"ss`) {
		t.Errorf("the DFS password showed in web1's process list during the apply")
	}
	pids := ezDaemonPIDs(t)
	must(run("plan", "--detailed-exitcode"), 0, "plan after the first apply")
	third := must(run("apply", "--yes"), 0, "third apply")
	if !strings.Contains(third.stdout, "No changes") {
		t.Errorf("the third apply did something:\n%s", third.stdout)
	}
	if got := ezDaemonPIDs(t); got != pids {
		t.Errorf("a no-change apply restarted daemons:\nbefore %s\nafter  %s", pids, got)
	}
	// each node cleared Symfony's cache once, after its DFS configuration
	// was written; the applies that changed nothing did not
	for _, h := range webHosts {
		if got := onHost(t, h, "cat /tmp/ezplatform-console.log 2>/dev/null || echo none"); got != "cache:clear --env=prod --no-warmup\n" {
			t.Errorf("%s: the console was asked %q, want one cache:clear", h, got)
		}
	}

	// 2. The DFS table in its own database; on each web node the rendered
	// YAML, memcached and nginx with the rewrite rule.
	if got := db.sql(t, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'ezdfs' AND TABLE_NAME = 'ezdfsfile';"); strings.TrimSpace(got) != "9" {
		t.Errorf("ezdfs.ezdfsfile has %q columns, want the 9 of the DFS schema", got)
	}
	for _, h := range webHosts {
		checkEzNode(t, h)
	}
	checkEzMemcachedFromOthers(t)
	checkEzRewrite(t)

	// 3. The storage is shared: the staged user content is on every node,
	// and a file written through one node's tree is seen on the others.
	onHost(t, "web2", "printf 'written on web2\\n' > "+ezImages+"/from-web2.txt")
	for _, h := range webHosts {
		got := onHost(t, h, "readlink "+ezRoot+"/public/var; cat "+ezImages+"/from-web2.txt; "+ezListing)
		if want := "/mnt/nas/ez/var\nwritten on web2\n" + staged; got != want {
			t.Errorf("%s: public/var's link, the file web2 wrote and the user content differ from what web1 held before the apply:\n%s", h, firstDiff(want, got))
		}
		if h != "web1" {
			// but for the dot-files shipped with the code (.gitkeep), kept everywhere
			if n := onHost(t, h, "find "+ezRoot+"/var/cache -mindepth 1 ! -name '.*' | wc -l"); n != "0\n" {
				t.Errorf("%s: var/cache holds %s entries; a replica's caches are its own", h, strings.TrimSpace(n))
			}
		}
	}

	// 4. The password: never in what shoal showed or saved, nor in a
	// MariaDB client's argv or environment, nor in any process list taken
	// while it ran; it is in the 0600 option file and the YAML only.
	for _, s := range shown {
		if strings.Contains(s, ezPassword) {
			t.Fatalf("shoal showed the DFS password:\n%s", s)
		}
	}
	log := onHost(t, "web1", "stat -c '%a %U' /etc/shoal/ez/dfs-client.cnf; cat /var/log/shoal-e2e-mysql.log")
	if !strings.HasPrefix(log, "600 root\n") {
		t.Errorf("the option file is not 600 root:\n%.200s", log)
	}
	if !strings.Contains(log, "argv: --defaults-extra-file=/etc/shoal/ez/dfs-client.cnf") {
		t.Errorf("web1: the DFS database was not set up through the option file:\n%s", log)
	}
	if strings.Contains(log, ezPassword) || strings.Contains(log, `pa"ss`) {
		t.Errorf("web1: a MariaDB client was given the password in its argv or environment")
	}

	// The 2.x layout, on the same lab and database server.
	t.Run("2.x layout", func(t *testing.T) { testEzLegacyLayout(t, db, vars) })
}

// ezLegacySite is a second site on web1 and web2 in the 2.x layout,
// without memcached and web server (the first site has them): its DFS
// configuration is imported from config.yml by a line edit, and its DFS
// table created from the schema file in its tree.
const ezLegacySite = `
site "ezlegacy" {
  recipe  = "ezplatform"
  root    = "/var/www/ezlegacy"
  primary = "web1"
  nodes   = ["web1", "web2"]
  storage = "nas"
  owner   = "www-data"
  params = {
    layout      = "2.x"
    db_host     = "db"
    db_name     = "ezdfs_legacy"
    db_user     = "ezdfs"
    db_password = var.dfs_password
    memcached   = false
    web_server  = "none"
  }
}
`

func testEzLegacyLayout(t *testing.T, db mariaDB, vars string) {
	const root = "/var/www/ezlegacy"
	t.Cleanup(func() {
		for _, h := range webHosts[:2] {
			onHost(t, h, "rm -rf "+root+" /etc/shoal/ezlegacy /var/lib/shoal/changed/ezlegacy /var/lib/shoal/loaded/ezlegacy /var/lib/shoal/backup"+root)
		}
		onHost(t, "files", "rm -rf /srv/nas/ezlegacy")
	})
	onHost(t, "web1", "set -- "+root+" 2.x\n"+readFile(t, filepath.Join(repoRoot, ezFixture, "stage.sh")))
	config := onHost(t, "web1", "cat "+root+"/app/config/config.yml")
	db.sql(t, "GRANT ALL ON `ezdfs_legacy`.* TO 'ezdfs'@'%';")
	dir, _ := ezConfig(t, func(s string) string { return s[:strings.Index(s, `site "ez" {`)] + ezLegacySite })
	for _, args := range [][]string{{"apply", "--yes"}, {"plan", "--detailed-exitcode"}} {
		if r := shoal(t, append([]string{"-C", dir, "--var-file", vars}, args...)...); r.code != 0 {
			t.Fatalf("%v: exit %d\n%s\n%s", args, r.code, r.stdout, r.stderr)
		}
	}
	if got := db.sql(t, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'ezdfs_legacy' AND TABLE_NAME = 'ezdfsfile';"); got != "1\n" {
		t.Errorf("ezdfs_legacy.ezdfsfile: %q tables, want 1 (from the tree's dfs_schema.sql)", got)
	}
	imported := strings.Replace(config, "\nimports:\n", "\nimports:\n    - { resource: shoal_cluster.yml }\n", 1)
	for _, h := range webHosts[:2] {
		out := onHost(t, h, shell.Script(`readlink "$root/web/var"
python3 -c 'import json, sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(sorted(d), d["doctrine"]["dbal"]["connections"]["dfs"]["dbname"], d["ezpublish"]["system"]["default"]["io"])' "$root/app/config/shoal_cluster.yml"
cat "$root/app/config/config.yml"`, shell.Bind("root", root)))
		want := "/mnt/nas/ezlegacy/var\n" +
			"['doctrine', 'ez_io', 'ezpublish', 'oneup_flysystem'] ezdfs_legacy {'binarydata_handler': 'nfs', 'metadata_handler': 'dfs', 'url_prefix': '$var_dir$/$storage_dir$'}\n" +
			imported
		if out != want {
			t.Errorf("%s: web/var's link, the 1.x/2.x DFS configuration and config.yml with its import:\n%s", h, firstDiff(want, out))
		}
	}
}

// ezDaemonPIDs lists memcached's and nginx's pids on every web node.
func ezDaemonPIDs(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, h := range webHosts {
		fmt.Fprintf(&b, "%s: %s; ", h, strings.TrimSpace(onHost(t, h, "cat /var/run/memcached/memcached.pid /run/nginx.pid | tr '\\n' ' '")))
	}
	return b.String()
}

// checkEzNode checks, in one round trip, what shoal set up on host: the
// rendered DFS configuration, loaded with a YAML parser (PyYAML), with the
// seed's keys and the site's values; memcached listening on the node's
// address alone (the loopback refuses); nginx -t passing with the DFS
// snippet included.
func checkEzNode(t *testing.T, host string) {
	t.Helper()
	path := ezRoot + "/config/packages/shoal_cluster.yaml"
	out := onHost(t, host, shell.Script(`stat -c '%a %U %G' "$yaml"
python3 -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' "$yaml"
grep '^-l' /etc/memcached.conf
ss -Hltn sport = :11211 | awk '{print "listen " $4}'
bash -c 'if (exec 3<>/dev/tcp/127.0.0.1/11211) 2>/dev/null; then echo "loopback open"; else echo "loopback refused"; fi'
if nginx -t 2>/dev/null; then echo "nginx -t passes"; else echo "nginx -t fails"; fi
tail -n 1 /etc/nginx/ez_params.d/ez_rewrite_dfsimage_params`, shell.Bind("yaml", path)))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 7 {
		t.Fatalf("%s: unexpected answer:\n%s", host, out)
	}
	if lines[0] != "640 root www-data" {
		t.Errorf("%s: %s is %q, want 640 root www-data", host, path, lines[0])
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &doc); err != nil {
		t.Errorf("%s: %s does not parse as YAML: %v\n%s", host, path, err, out)
	}
	want := map[string]any{
		"doctrine": map[string]any{"dbal": map[string]any{"connections": map[string]any{"dfs": map[string]any{
			"driver": "pdo_mysql", "host": "db", "port": float64(3306), "dbname": "ezdfs", "user": "ezdfs",
			"password": strings.ReplaceAll(ezPassword, "%", "%%"), "charset": "utf8mb4",
		}}}},
		"oneup_flysystem": map[string]any{"adapters": map[string]any{"nfs_adapter": map[string]any{"local": map[string]any{
			"directory": "/mnt/nas/ez/$var_dir$/$storage_dir$",
		}}}},
		"ez_io": map[string]any{
			"binarydata_handlers": map[string]any{"nfs": map[string]any{"flysystem": map[string]any{"adapter": "nfs_adapter"}}},
			"metadata_handlers":   map[string]any{"dfs": map[string]any{"legacy_dfs_cluster": map[string]any{"connection": "doctrine.dbal.dfs_connection"}}},
		},
		"ezplatform": map[string]any{"system": map[string]any{"default": map[string]any{"io": map[string]any{
			"metadata_handler": "dfs", "binarydata_handler": "nfs", "url_prefix": "$var_dir$/$storage_dir$",
		}}}},
	}
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("%s: %s (-want +got):\n%s", host, path, diff)
	}
	wantRest := []string{
		"-l " + host,
		"listen " + labAddr(t, host) + ":11211",
		"loopback refused",
		"nginx -t passes",
		`rewrite "^/var/([^/]+/)?storage/images(-versioned)?/(.*)" "/index.php" break;`,
	}
	if diff := cmp.Diff(wantRest, lines[2:]); diff != "" {
		t.Errorf("%s: memcached.conf, memcached's listeners, nginx -t and the snippet (-want +got):\n%s", host, diff)
	}
}

// checkEzMemcachedFromOthers: each node's memcached answers stats on the
// node's address from another node.
func checkEzMemcachedFromOthers(t *testing.T) {
	t.Helper()
	stats := `for a in $addrs; do
	printf '%s ' "$a"
	bash -c 'exec 3<>"/dev/tcp/$0/11211" && printf "stats\r\nquit\r\n" >&3 && cat <&3' "$a" | grep -c '^STAT pid '
done`
	for from, to := range map[string][]string{"web1": webHosts[1:], "web2": webHosts[:1]} {
		var addrs, want []string
		for _, h := range to {
			addrs = append(addrs, labAddr(t, h))
			want = append(want, labAddr(t, h)+" 1")
		}
		got := onHost(t, from, shell.Script(stats, shell.Bind("addrs", strings.Join(addrs, " "))))
		if got != strings.Join(want, "\n")+"\n" {
			t.Errorf("memcached's stats from %s, per address and answered (want 1 each):\n%s", from, got)
		}
	}
}

// checkEzRewrite: on every node a storage image is handed to the front
// controller (the stand-in answers a marker naming the request), while
// robots.txt is served from disk.
func checkEzRewrite(t *testing.T) {
	t.Helper()
	var bases []string
	for _, h := range webHosts {
		bases = append(bases, "http://"+labAddr(t, h)+":"+ezPort)
	}
	got := onHost(t, "web1", shell.Script(`for b in $bases; do
	curl -sS --max-time 5 "$b/var/site/storage/images/x.jpg"
	curl -sS --max-time 5 -o /dev/null -w '%{http_code}\n' "$b/robots.txt"
done`, shell.Bind("bases", strings.Join(bases, " "))))
	want := strings.Repeat(ezMarker+"/var/site/storage/images/x.jpg\n200\n", len(webHosts))
	if got != want {
		t.Errorf("an image request and robots.txt on each node answer %q, want %q", got, want)
	}
}

// testEzBadInput: a node whose memcached would listen on 127.0.0.1, a DFS
// path outside the storage, a missing db param: each a diagnostic naming
// file:line:col, for plan and apply, and nothing changes.
func testEzBadInput(t *testing.T, db mariaDB, vars string) {
	before := ezState(t, db)
	defer func() {
		if diff := cmp.Diff(before, ezState(t, db)); diff != "" {
			t.Errorf("bad input changed the hosts (-before +after):\n%s", diff)
		}
	}()
	for _, c := range []struct {
		name string
		edit func(string) string
		want []string // regexps, each must match the output
	}{
		{"memcached on the loopback", func(s string) string {
			return strings.Replace(s, `host  = "web2"`, `host  = "web2"`+"\n  address = \"127.0.0.1\"", 1)
		}, []string{`recipes/ezplatform\.hcl:\d+:\d+`, `Assertion failed: memcached_not_loopback`, `memcached on web2 would listen on 127\.0\.0\.1`}},
		{"DFS path outside the storage", func(s string) string {
			return strings.Replace(s, `db_host     = "db"`, `db_host     = "db"`+"\n    dfs_nfs_path = \"/srv/ez-dfs\"", 1)
		}, []string{`recipes/ezplatform\.hcl:\d+:\d+`, `Assertion failed: dfs_nfs_path`, `/srv/ez-dfs`}},
		{"missing db param", func(s string) string {
			return strings.Replace(s, `    db_host     = "db"`+"\n", "", 1)
		}, []string{`cluster\.hcl:\d+:\d+: Missing param`, `needs param "db_host"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, _ := ezConfig(t, c.edit)
			for _, args := range [][]string{{"validate"}, {"plan"}, {"apply", "--yes"}} {
				r := shoal(t, append([]string{"-C", dir, "--var-file", vars}, args...)...)
				if r.code != 1 {
					t.Errorf("%v: exit %d, want 1\n%s\n%s", args, r.code, r.stdout, r.stderr)
				}
				for _, w := range c.want {
					if !regexp.MustCompile(w).MatchString(r.stderr) {
						t.Errorf("%v: stderr does not match %s:\n%s", args, w, r.stderr)
					}
				}
				if strings.Contains(r.stdout+r.stderr, ezPassword) {
					t.Errorf("%v printed the password", args)
				}
			}
		})
	}
}

// startPHPFPM is a script that starts Debian's php8.2-fpm (its pool
// listens on /run/php/php8.2-fpm.sock as www-data) through its init
// script; stop it with service php8.2-fpm stop.
const startPHPFPM = `service php8.2-fpm start </dev/null >/tmp/shoal-e2e-fpm.log 2>&1 || { cat /tmp/shoal-e2e-fpm.log; exit 1; }
`
