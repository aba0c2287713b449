package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoal-sh/shoal/shell"
)

// The WordPress recipe on a real WordPress (Debian's 6.1 with php8.2-fpm,
// nginx and MariaDB) on a lab of its own: web1 the master, web2 and web3
// its slaves, backup and dns. WordPress is installed on the master as an
// admin does it, then the fixture (fixtures/wordpress) is applied.

const (
	wpRoot       = "/var/www/wordpress"
	wpDBPassword = "wp-Lab-p4ss-7q2"
	wpAdminPass  = "Adm1n-lab-pass-9x"
	// the slaves' replication login
	wpReplPassword = "r3pl-lab-pass-5k"
	wpState        = "/var/lib/shoal/wordpress/blog"
)

var wpWeb = []string{"web1", "web2", "web3"}

// wpSite is the WordPress test's lab with WordPress installed on web1.
type wpSite struct {
	*wpLab
	config string // the fixture, copied
	vars   string // its variables file
	later  wpPost // the post published after the first apply
}

func (s *wpSite) url(host, path string) string { return "http://" + s.addr[host] + path }

// shoalArgs runs shoal on the fixture with the lab's variables.
func (s *wpSite) shoalRun(t *testing.T, args ...string) result {
	t.Helper()
	return s.shoal(t, append([]string{"-C", s.config, "--var-file", s.vars}, args...)...)
}

func TestWordPressEndToEnd(t *testing.T) {
	lab := startWPLab(t)
	each(wpWeb, func(h string) { lab.startMariaDB(t, h, "") })
	each(wpWeb, func(h string) { lab.web(t, h) })
	lab.startNamed(t, "dns")
	if t.Failed() {
		t.FailNow()
	}
	s := &wpSite{wpLab: lab, config: t.TempDir()}
	fixture, err := os.ReadFile(filepath.Join(repoRoot, "fixtures", "wordpress", "cluster.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(s.config, "cluster.hcl"), string(fixture))
	s.vars = filepath.Join(t.TempDir(), "lab.vars")
	writeFile(t, s.vars, fmt.Sprintf("lab_net = %q\ndb_password = %q\n", lab.net(), wpDBPassword))

	s.install(t)
	image := wpImage(0x33)
	post := s.publish(t, "Hello from the master", "lab-photo.png", image)

	// 1. the first apply converges: the next plan is empty, a third
	// apply changes nothing
	start := time.Now()
	apply := s.shoalRun(t, "apply", "--yes")
	if apply.code != 0 {
		t.Fatalf("first apply: exit %d\n%s\n%s", apply.code, apply.stdout, apply.stderr)
	}
	t.Logf("first apply: %s", time.Since(start).Round(time.Millisecond)) // for bench/README.md, not a target
	if strings.Contains(apply.stdout+apply.stderr, wpDBPassword) {
		t.Errorf("the apply printed the database password:\n%s", apply.stdout)
	}
	start = time.Now()
	if r := s.shoalRun(t, "plan", "--detailed-exitcode"); r.code != 0 {
		t.Fatalf("second plan: exit %d, want no changes\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("no-change plan: %s", time.Since(start).Round(time.Millisecond))
	before := s.state(t)
	time.Sleep(1100 * time.Millisecond) // a rewrite would show in mtimes
	if r := s.shoalRun(t, "apply", "--yes"); r.code != 0 {
		t.Fatalf("third apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if after := s.state(t); after != before {
		t.Errorf("the third apply changed something:\n%s", firstDiff(before, after))
	}

	// 2. each slave serves the post and its image; its login link and
	// comment form go to the master
	for _, slave := range []string{"web2", "web3"} {
		s.servesPost(t, slave, post, image)
		page := s.get(t, slave, "/?p="+post.id, 200)
		master := regexp.QuoteMeta("http://" + s.addr["web1"])
		if !regexp.MustCompile(`<a href="` + master + `/wp-login\.php[^"]*">Log in</a>`).MatchString(page) {
			t.Errorf("%s: the login link does not go to the master:\n%s", slave, wpExcerpt(page, "wp-login"))
		}
		if !regexp.MustCompile(`<form action="` + master + `/wp-comments-post\.php"`).MatchString(page) {
			t.Errorf("%s: the comment form does not post to the master:\n%s", slave, wpExcerpt(page, "<form"))
		}
		if !strings.Contains(page, `href="http://`+s.addr[slave]+`/20`) {
			t.Errorf("%s: the post's own link leaves the slave:\n%s", slave, wpExcerpt(page, "entry-title"))
		}
		config := s.run(t, slave, "cat "+wpRoot+"/wp-config.php")
		for _, want := range []string{"define( 'DISALLOW_FILE_MODS', true );", "define( 'WP_SITEURL', 'http://" + s.addr["web1"] + "' );"} {
			if !strings.Contains(config, want) {
				t.Errorf("%s: wp-config.php lacks %s", slave, want)
			}
		}
	}
	if config := s.run(t, "web1", "cat "+wpRoot+"/wp-config.php"); strings.Contains(config, "DISALLOW_FILE_MODS") {
		t.Error("the master's wp-config.php has DISALLOW_FILE_MODS")
	}

	// 3. a post and an upload made on the master reach the slaves once
	// the jobs ran; a file made on a slave by hand is drift
	image2 := wpImage(0x77)
	post2 := s.publish(t, "Written after the apply", "later.png", image2)
	s.later = post2
	// a cache plugin's page cache, on every node (each fills its own)
	each(wpWeb, func(h string) {
		s.run(t, h, "cd "+wpRoot+"/wp-content && mkdir -p cache/pages && echo old > cache/pages/index.html && chown -R www-data:www-data cache")
	})
	s.cronJob(t, "web1", "dump")
	each([]string{"web2", "web3"}, func(h string) { s.cronJob(t, h, "sync") })
	for _, slave := range []string{"web2", "web3"} {
		s.servesPost(t, slave, post2, image2)
		if got := s.run(t, slave, "cd "+wpRoot+"/wp-content/cache && ls -A"); got != "" {
			t.Errorf("%s: after a sync that brought a post, wp-content/cache still holds %q", slave, got)
		}
	}
	s.run(t, "web3", "echo 'hacked' > "+wpRoot+"/wp-content/by-hand.php")
	r := s.shoalRun(t, "plan", "--detailed-exitcode")
	if r.code != 2 || !regexp.MustCompile(`(?s)slave2  1 to change.*~ replicate `+regexp.QuoteMeta(wpRoot)+`\s+delete 1\s+delete wp-content/by-hand\.php`).MatchString(r.stdout) {
		t.Errorf("a file made on a slave: plan exit %d\n%s", r.code, r.stdout)
	}
	if r := s.shoalRun(t, "apply", "--yes"); r.code != 0 {
		t.Fatalf("apply after the drift: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if out := s.run(t, "web3", "test -e "+wpRoot+"/wp-content/by-hand.php && echo there || echo gone"); out != "gone\n" {
		t.Errorf("the file made by hand on web3 is %s", out)
	}
	if r := s.shoalRun(t, "plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("plan after removing the drift: exit %d\n%s", r.code, r.stdout)
	}

	s.snapshots(t)
	s.failover(t)
	s.replication(t)
}

// failover: the zone points blog.test at the master; with the master's
// nginx stopped the next plan moves it to the first slave and says why,
// and dig shows it once applied; with nginx back, the plan moves it back.
func (s *wpSite) failover(t *testing.T) {
	at := func(host string) []string {
		return []string{"blog.test. 60 IN A " + s.addr[host], "www.blog.test. 60 IN A " + s.addr[host]}
	}
	dig := func() []string {
		return append(s.dig(t, "backup", s.addr["dns"], "blog.test", "A"), s.dig(t, "backup", s.addr["dns"], "www.blog.test", "A")...)
	}
	if got := dig(); !slices.Equal(got, at("web1")) {
		t.Fatalf("blog.test after the first apply: %q, want the master's address", got)
	}
	s.stopNginx(t, "web1")
	r := s.shoalRun(t, "plan", "--detailed-exitcode")
	why := "@ → slave1 (" + s.addr["web2"] + "): master (" + s.addr["web1"] + ") fails its health check (http://blog.test/ at " + s.addr["web1"] + " from dns: connection refused)"
	if r.code != 2 || !strings.Contains(r.stdout, "~ dns blog.test") || !strings.Contains(r.stdout, "@ → slave1, www → slave1") || !strings.Contains(r.stdout, why) {
		t.Errorf("the master down: plan exit %d, want it to move blog.test to slave1 saying %q:\n%s\n%s", r.code, why, r.stdout, r.stderr)
	}
	if r := s.shoalRun(t, "apply", "--yes"); r.code != 0 {
		t.Fatalf("failover apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := dig(); !slices.Equal(got, at("web2")) {
		t.Errorf("blog.test after the failover: %q, want slave1's address", got)
	}
	if r := s.shoalRun(t, "plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("the master still down: plan exit %d\n%s", r.code, r.stdout)
	}
	s.startNginx(t, "web1")
	r = s.shoalRun(t, "plan", "--detailed-exitcode")
	if r.code != 2 || !strings.Contains(r.stdout, "@ → master, www → master") {
		t.Errorf("the master back: plan exit %d, want blog.test back on the master:\n%s", r.code, r.stdout)
	}
	if r := s.shoalRun(t, "apply", "--yes"); r.code != 0 {
		t.Fatalf("failback apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := dig(); !slices.Equal(got, at("web1")) {
		t.Errorf("blog.test after the master came back: %q, want the master's address", got)
	}

	// The master dead, its link down: neither SSH nor HTTP reaches it. A
	// plan of every node cannot be applied, but one of the dns nodes
	// (what docs/apps/wordpress.md tells cron to run) moves the name.
	link := linkOf(t, s.lab, "web1")
	ip(t, "link", "set", link, "down")
	t.Cleanup(func() { ip(t, "link", "set", link, "up") })
	if r := s.shoalRun(t, "apply", "--yes"); r.code != 1 || !strings.Contains(r.stderr, "could not be planned") {
		t.Errorf("apply with the master unreachable: exit %d, want 1 naming the nodes not planned\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := s.shoalRun(t, "apply", "--yes", "--target", "dns"); r.code != 0 || !strings.Contains(r.stdout, "@ → slave1, www → slave1") {
		t.Errorf("apply --target dns with the master unreachable: exit %d, want it to move blog.test to slave1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := dig(); !slices.Equal(got, at("web2")) {
		t.Errorf("blog.test with the master unreachable: %q, want slave1's address", got)
	}
	ip(t, "link", "set", link, "up")
	if r := s.shoalRun(t, "apply", "--yes", "--target", "dns"); r.code != 0 {
		t.Errorf("apply --target dns with the master back: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := dig(); !slices.Equal(got, at("web1")) {
		t.Errorf("blog.test with the master reachable again: %q, want the master's address", got)
	}
}

// replication: with database = "replication" one apply makes MariaDB on
// the master write a binary log and each slave replicate it, and a post
// published on the master then shows on the slaves at once, without
// their jobs.
func (s *wpSite) replication(t *testing.T) {
	each(wpWeb, func(h string) { s.mariaDBUnderInit(t, h) })
	writeFile(t, s.vars, fmt.Sprintf("lab_net = %q\ndb_password = %q\nsnapshot_keep = 2\ndatabase = \"replication\"\nreplication_password = %q\n",
		s.net(), wpDBPassword, wpReplPassword))
	r := s.shoalRun(t, "apply", "--yes")
	if r.code != 0 {
		t.Fatalf("apply with database = replication: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, wpReplPassword) {
		t.Errorf("the apply printed the replication password:\n%s", r.stdout)
	}
	if r := s.shoalRun(t, "plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("plan after switching to replication: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	post := s.publish(t, "Replicated at once", "instant.png", wpImage(0x5a))
	for _, slave := range []string{"web2", "web3"} {
		status := s.run(t, slave, `mysql -e 'SHOW SLAVE STATUS\G' | grep -E 'Slave_(IO|SQL)_Running:|Master_Host:'`)
		if strings.Count(status, ": Yes") != 2 || !strings.Contains(status, "Master_Host: "+s.addr["web1"]) {
			t.Errorf("%s does not replicate the master:\n%s", slave, status)
		}
		var title string
		for range 50 {
			title = s.run(t, slave, `mysql -N wordpress -e "SELECT post_title FROM wp_posts WHERE ID = `+post.id+`"`)
			if title != "" {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if title != post.title+"\n" {
			t.Errorf("%s: the post published on the master is %q there", slave, title)
		}
		if out, _, err := s.try(slave, `mysql -u wordpress -p`+wpDBPassword+` wordpress -e "DELETE FROM wp_posts WHERE ID = `+post.id+`"`); err == nil {
			t.Errorf("%s is not read-only: the site's user deleted a post\n%s", slave, out)
		}
	}
}

// mariaDBUnderInit hands a host's MariaDB, its data as it is, to
// Debian's init script, which reads /etc/mysql (where the recipe writes
// its replication settings) and which a service block restarts.
func (s *wpSite) mariaDBUnderInit(t *testing.T, host string) {
	t.Helper()
	s.run(t, host, `set -e
printf '[mariadbd]\ndatadir = `+mariaDBDir+`\ninnodb_buffer_pool_size = 16M\n' > /etc/mysql/mariadb.conf.d/99-shoal-lab.cnf
mysqladmin shutdown
i=0
while [ -e /run/mysqld/mysqld.pid ] && [ "$i" -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
/etc/init.d/mariadb start >/dev/null`)
}

// snapshots: apply took one before it changed the master; two runs of
// the cron job make three, whose unchanged files are hard links; keep =
// 2 deletes the oldest; the newest restores the site byte for byte.
func (s *wpSite) snapshots(t *testing.T) {
	const dir = "/srv/snapshots/blog/master"
	list := func() []string {
		return strings.Fields(s.run(t, "backup", "cd "+dir+" && ls -d [0-9]*"))
	}
	if got := list(); len(got) != 1 {
		t.Fatalf("snapshots after the applies: %q, want the one taken before the first changed the master", got)
	}
	s.cronJob(t, "backup", "snapshot-master-master")
	time.Sleep(1100 * time.Millisecond) // one folder per second
	s.cronJob(t, "backup", "snapshot-master-master")
	snaps := list()
	if len(snaps) != 3 {
		t.Fatalf("three runs left %q", snaps)
	}
	// version.php never changed; wp-config.php was edited by the first
	// apply, after the first snapshot; the second post changed the dump
	// and brought an image, before the second
	paths := []string{"site/wp-includes/version.php", "site/wp-config.php", "database/wordpress.sql", "site" + s.later.image}
	inode := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(s.run(t, "backup", "cd "+dir+" && for s in */; do for p in "+shell.Join(paths...)+`; do printf '%s %s %s\n' "${s%/}" "$p" "$(stat -c %i "$s$p" 2>/dev/null || echo none)"; done; done`)), "\n") {
		f := strings.Fields(line)
		inode[f[0]+" "+f[1]] = f[2]
	}
	same := func(p string, a, b int) bool { return inode[snaps[a]+" "+p] == inode[snaps[b]+" "+p] }
	if !same(paths[0], 0, 1) || !same(paths[0], 1, 2) || inode[snaps[0]+" "+paths[0]] == "none" {
		t.Errorf("%s is not one hard-linked file in the three snapshots: %v", paths[0], inode)
	}
	for _, p := range paths[1:3] {
		if same(p, 0, 1) || !same(p, 1, 2) {
			t.Errorf("%s: changed between the first two snapshots only, yet: %v", p, inode)
		}
	}
	if inode[snaps[0]+" "+paths[3]] != "none" || !same(paths[3], 1, 2) || inode[snaps[1]+" "+paths[3]] == "none" {
		t.Errorf("%s: uploaded before the second snapshot, yet: %v", paths[3], inode)
	}
	if dump := s.run(t, "backup", "tail -n 1 "+dir+"/"+snaps[2]+"/database/wordpress.sql"); dump != "-- Dump completed\n" {
		t.Errorf("the newest snapshot's dump ends with %q", dump)
	}

	// keep = 2: the plan deletes the oldest, and the newest stays
	writeFile(t, s.vars, fmt.Sprintf("lab_net = %q\ndb_password = %q\nsnapshot_keep = 2\n", s.net(), wpDBPassword))
	r := s.shoalRun(t, "plan")
	if !strings.Contains(r.stdout, "- snapshot "+dir+"\n      delete the 1 oldest snapshot of master beyond keep = 2; the newest, "+snaps[2]+", is kept\n        delete "+snaps[0]+"\n") {
		t.Errorf("keep = 2: the plan does not delete the oldest snapshot:\n%s", r.stdout)
	}
	if r := s.shoalRun(t, "apply", "--yes"); r.code != 0 {
		t.Fatalf("apply with keep = 2: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := list(); len(got) != 2 || got[0] != snaps[1] || got[1] != snaps[2] {
		t.Errorf("keep = 2 left %q, want %q", got, snaps[1:])
	}
	if r := s.shoalRun(t, "plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("plan after keep = 2: exit %d\n%s", r.code, r.stdout)
	}

	// the newest snapshot, restored, is the site
	s.pipe(t, "backup", "tar -C "+dir+"/"+snaps[2]+"/site -cf - --numeric-owner .", "web1", "mkdir -p /var/www/restored && tar -C /var/www/restored -xpf - --numeric-owner")
	live, restored := s.tree(t, "web1", wpRoot), s.tree(t, "web1", "/var/www/restored")
	if live != restored {
		t.Errorf("the restored snapshot differs from the site:\n%s", firstDiff(live, restored))
	}
	if strings.Count(live, "\n") < 2500 {
		t.Errorf("the site's listing has %d lines: not the whole site", strings.Count(live, "\n"))
	}
}

// tree lists a tree without following links: type, mode, owner, size,
// mtime, path, link target, and each file's sha256; the page cache,
// which snapshots leave out, is not listed.
func (s *wpSite) tree(t *testing.T, host, root string) string {
	t.Helper()
	return s.run(t, host, "cd "+shell.Quote(root)+` && find . -path ./wp-content/cache -prune -o -printf '%y %m %u:%g %s %Ts %p %l\n' | grep -v '^d .* \.$' | sort
find . -path ./wp-content/cache -prune -o -type f -exec sha256sum {} + | sort -k2`)
}

// pipe streams from's output into to's input, over the lab's ssh.
func (s *wpSite) pipe(t *testing.T, from, read, to, write string) {
	t.Helper()
	src := exec.Command("ssh", "-F", s.sshConfig, from, read)
	dst := exec.Command("ssh", "-F", s.sshConfig, to, write)
	var errs bytes.Buffer
	src.Stderr, dst.Stderr = &errs, &errs
	out, err := src.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	dst.Stdin = out
	if err := src.Start(); err != nil {
		t.Fatal(err)
	}
	if err := dst.Run(); err != nil {
		t.Fatalf("%s | %s: %v\n%s", read, write, err, errs.String())
	}
	if err := src.Wait(); err != nil {
		t.Fatalf("%s: %v\n%s", read, err, errs.String())
	}
}

// install installs WordPress on web1 as an admin does: database, files,
// wp-config.php (fixtures/wordpress/install.sh), then WordPress's own
// installer over HTTP, as the admin's browser.
func (s *wpSite) install(t *testing.T) {
	t.Helper()
	script, err := os.ReadFile(filepath.Join(repoRoot, "fixtures", "wordpress", "install.sh"))
	if err != nil {
		t.Fatal(err)
	}
	s.run(t, "web1", "set -- "+shell.Join(wpRoot, "wordpress", "wordpress", wpDBPassword)+"\n"+string(script))
	form := url.Values{
		"weblog_title": {"Lab Blog"}, "user_name": {"admin"}, "admin_password": {wpAdminPass}, "admin_password2": {wpAdminPass},
		"pw_weak": {"1"}, "admin_email": {"admin@blog.test"}, "blog_public": {"0"}, "language": {""},
	}
	resp, err := http.PostForm(s.url("web1", "/wp-admin/install.php?step=2"), form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Success!") {
		t.Fatalf("WordPress's installer: %s\n%s", resp.Status, body)
	}
	// the admin picks the theme (Appearance, Themes)
	s.run(t, "web1", `mysql wordpress -e "UPDATE wp_options SET option_value = 'shoal-lab' WHERE option_name IN ('template', 'stylesheet')"`)
}

// wpPost is a published post and the path of its image.
type wpPost struct {
	id, title, image string
}

// publish uploads an image and publishes a post showing it, through
// WordPress's XML-RPC API, as the admin's client would.
func (s *wpSite) publish(t *testing.T, title, name string, image []byte) wpPost {
	t.Helper()
	up := s.xmlrpc(t, "wp.uploadFile", `<value><struct>
<member><name>name</name><value><string>`+name+`</string></value></member>
<member><name>type</name><value><string>image/png</string></value></member>
<member><name>bits</name><value><base64>`+base64.StdEncoding.EncodeToString(image)+`</base64></value></member>
</struct></value>`)
	u, err := url.Parse(up["url"])
	if err != nil || up["url"] == "" {
		t.Fatalf("wp.uploadFile answered %v", up)
	}
	p := wpPost{title: title, image: u.Path}
	id := s.xmlrpc(t, "wp.newPost", `<value><struct>
<member><name>post_title</name><value><string>`+title+`</string></value></member>
<member><name>post_content</name><value><string>&lt;p&gt;A photo: &lt;img src="`+p.image+`" alt="lab"&gt;&lt;/p&gt;</string></value></member>
<member><name>post_status</name><value><string>publish</string></value></member>
<member><name>comment_status</name><value><string>open</string></value></member>
</struct></value>`)
	p.id = id[""]
	if p.id == "" {
		t.Fatalf("wp.newPost answered %v", id)
	}
	return p
}

// xmlrpc calls method on the master as the admin, with one more
// parameter, and returns the answer: a string (key ""), or a struct's
// string members.
func (s *wpSite) xmlrpc(t *testing.T, method, param string) map[string]string {
	t.Helper()
	call := `<?xml version="1.0"?><methodCall><methodName>` + method + `</methodName><params>
<param><value><int>1</int></value></param>
<param><value><string>admin</string></value></param>
<param><value><string>` + wpAdminPass + `</string></value></param>
<param>` + param + `</param></params></methodCall>`
	resp, err := http.Post(s.url("web1", "/xmlrpc.php"), "text/xml", strings.NewReader(call))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var answer struct {
		String  string `xml:"params>param>value>string"`
		Members []struct {
			Name  string `xml:"name"`
			Value string `xml:"value>string"`
		} `xml:"params>param>value>struct>member"`
		Fault string `xml:"fault>value>struct>member>value>string"`
	}
	if err := xml.Unmarshal(body, &answer); err != nil || answer.Fault != "" {
		t.Fatalf("%s: %v %s\n%s", method, err, answer.Fault, body)
	}
	out := map[string]string{"": answer.String}
	for _, m := range answer.Members {
		out[m.Name] = m.Value
	}
	return out
}

// get fetches path from host's nginx and checks the status. Redirects
// (to a post's permalink) are followed, but only on host itself: a
// slave that sent its visitors to the master would fail here.
func (s *wpSite) get(t *testing.T, host, path string, status int) string {
	t.Helper()
	client := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host != s.addr[host] {
			return fmt.Errorf("%s redirects to %s", host, req.URL)
		}
		return nil
	}}
	resp, err := client.Get(s.url(host, path))
	if err != nil {
		t.Fatalf("GET %s on %s: %v", path, host, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("GET %s on %s: %s (Location %q), want %d\n%s", path, host, resp.Status, resp.Header.Get("Location"), status, wpExcerpt(string(body), ""))
	}
	return string(body)
}

// servesPost: host's page of the post shows its title and image, and
// host serves the image's bytes.
func (s *wpSite) servesPost(t *testing.T, host string, p wpPost, image []byte) {
	t.Helper()
	page := s.get(t, host, "/?p="+p.id, 200)
	if !strings.Contains(page, p.title) || !strings.Contains(page, `src="`+p.image+`"`) {
		t.Errorf("%s: the post %s lacks its title or image:\n%s", host, p.id, wpExcerpt(page, "entry-title"))
	}
	if got := s.get(t, host, p.image, 200); !bytes.Equal([]byte(got), image) {
		t.Errorf("%s: %s is not the uploaded image (%d bytes)", host, p.image, len(got))
	}
	// the theme's stylesheet comes from the node asked (WP_CONTENT_URL),
	// not from the master
	css := regexp.MustCompile(`href='https?://([^/'\s]+)(/wp-content/themes/shoal-lab/style\.css)`).FindStringSubmatch(page)
	if css == nil || css[1] != s.addr[host] {
		t.Errorf("%s: the theme's stylesheet is not linked from %s: %q\n%s", host, s.addr[host], css, wpExcerpt(page, "stylesheet"))
	} else if got := s.get(t, host, css[2], 200); !strings.Contains(got, "Theme Name: Shoal Lab") {
		t.Errorf("%s: %s is not the theme's stylesheet:\n%s", host, css[2], got)
	}
}

// cronJob runs a job of the site's cron file on host as cron would:
// the command of /etc/cron.d/shoal-blog-<job>, as its user.
func (s *wpSite) cronJob(t *testing.T, host, job string) {
	t.Helper()
	s.run(t, host, `set -e
line=$(grep -v '^#' /etc/cron.d/shoal-blog-`+job+` | grep -v '^[A-Z_]*=' | head -n 1)
set -f
set -- $line
shift 5
user=$1
shift
runuser -u "$user" -- sh -c "$*"`)
}

// state is what an apply that changes nothing leaves as it was: on each
// node the site's files with their mtimes, the jobs' files, shoal's own
// keys and lines.
func (s *wpSite) state(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, h := range []string{"web1", "web2", "web3", "backup"} {
		fmt.Fprintf(&b, "## %s\n", h)
		b.WriteString(s.run(t, h, `cd /; for d in `+wpRoot+` `+wpState+` /etc/cron.d /var/lib/shoal/snapshot; do
	[ -d "$d" ] && find "$d" \( -path '*/wp-content/cache/*' -o -path '*/incoming/*' \) -prune -o -printf '%y %m %u %s %T@ %p\n'
done | sort
sort /root/.ssh/authorized_keys 2>/dev/null; ls -l --time-style=+%s /root/.ssh 2>/dev/null | sort`))
	}
	return b.String()
}

// wpImage is a small PNG-looking image whose bytes depend on seed.
func wpImage(seed byte) []byte {
	img := []byte("\x89PNG\r\n\x1a\n")
	for i := 0; i < 4096; i++ {
		img = append(img, seed^byte(i*7))
	}
	return img
}

// wpExcerpt is the part of a page around the first match of near.
func wpExcerpt(page, near string) string {
	i := strings.Index(page, near)
	if i < 0 || near == "" {
		i = 0
	}
	return page[max(0, i-200):min(len(page), i+600)]
}

// TestWordPressBadInput: what an operator gets wrong in the fixture is a
// diagnostic naming the file and line, before anything connects.
func TestWordPressBadInput(t *testing.T) {
	fixture := readFile(t, filepath.Join(repoRoot, "fixtures", "wordpress", "cluster.hcl"))
	for _, tt := range []struct {
		name, from, to string
		want           []string
	}{
		{"a slave that is also the master", `address = "${var.lab_net}.12"`, `address = "${var.lab_net}.11"`,
			[]string{"Assertion failed: slave_is_master", "slave1 has the master's address, 10.77.0.11, so it is the master"}},
		{"the master with the role slave", `roles   = ["web", "master"]`, `roles   = ["web", "master", "slave"]`,
			[]string{"Assertion failed: master_role", `master is the site's master (its primary) but has the role "slave"`}},
		{"keep = 0", `default = 3`, `default = 0`,
			[]string{"recipes/wordpress.hcl:", "Invalid keep", "not 0: the newest complete snapshot is never deleted"}},
		{"a health URL that is not http(s)", `domain               = "blog.test"`, "domain               = \"blog.test\"\n    health_url           = \"ftp://blog.test/\"",
			[]string{"recipes/wordpress.hcl:", "Invalid health_url", `health_url "ftp://blog.test/" is not an http:// or https:// URL`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(fixture, tt.from) {
				t.Fatalf("the fixture has no %q", tt.from)
			}
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "cluster.hcl"), strings.Replace(fixture, tt.from, tt.to, 1))
			r := shoal(t, "-C", dir, "validate", "--var", "db_password="+wpDBPassword)
			out := regexp.MustCompile(`\s+`).ReplaceAllString(r.stdout+r.stderr, " ")
			if r.code != 1 {
				t.Errorf("validate: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("the diagnostics lack %q:\n%s%s", w, r.stdout, r.stderr)
				}
			}
			if strings.Contains(r.stdout+r.stderr, wpDBPassword) || strings.Contains(r.stdout+r.stderr, "goroutine ") {
				t.Errorf("the diagnostics show a secret or a stack:\n%s", r.stderr)
			}
		})
	}
}
