package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/shell"
)

// These tests plant what a site's users can plant — symlinks out of the
// site, hostile names — and fill the storage, on the primary and on
// replicas. Each one proves that nothing outside the site's root and its
// storage folder changed (outsideState on every host), that no user file
// changed (fileSums), and that the next apply converges.

// labHosts are every host of the lab.
var labHosts = []string{"files", "web1", "web2", "web3"}

// outsideState lists, on every lab host, what no step of a site rooted
// at root may touch: everything under /etc, /root, /opt, /var/www and
// /srv with its type, mode, owner and path, and but for folders (whose
// times move when the site's root or storage folder is made in them) its
// size, mtime, ctime (a chown or chmod moves it) and link target — all
// but the site's root, its storage folder and the fstab files, which the
// fstab step names.
func outsideState(t *testing.T, root, site string) map[string]string {
	t.Helper()
	script := fmt.Sprintf(`find /etc /root /opt /var/www /srv -xdev \( -path %s -o -path %s -o -path /srv/nas/%s -o -path '/etc/fstab*' \) -prune \
	-o -type d -printf '%%y %%m %%U:%%G %%p\n' -o -printf '%%y %%m %%U:%%G %%s %%T@ %%C@ %%p -> %%l\n' 2>/dev/null | LC_ALL=C sort`,
		shell.Quote(root), shell.Quote(root+".*"), shell.Quote(site))
	state := map[string]string{}
	for _, h := range labHosts {
		state[h] = onHost(t, h, script)
	}
	return state
}

// expectOutsideUnchanged fails when anything outside the site changed.
func expectOutsideUnchanged(t *testing.T, before map[string]string, root, site string) {
	t.Helper()
	after := outsideState(t, root, site)
	for _, h := range labHosts {
		if d := cmp.Diff(strings.Split(before[h], "\n"), strings.Split(after[h], "\n")); d != "" {
			t.Errorf("%s: outside the site (-before +after):\n%s", h, d)
		}
	}
}

// fileSums is the checksum of every regular file under dir on host, seen
// through dir itself (a folder, or the link to the storage), with the
// paths NUL-safe.
func fileSums(t *testing.T, host, dir string) string {
	t.Helper()
	return onHost(t, host, "cd "+shell.Quote(dir)+"/ && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum --")
}

// stageOn writes a tree on host: a fresh root with the shell of build
// run inside it, every file then owned by www-data like an app's.
func stageOn(t *testing.T, host, root, build string) {
	t.Helper()
	onHost(t, host, "set -e\nrm -rf "+shell.Quote(root)+"\nmkdir -p "+shell.Quote(root)+"\ncd "+shell.Quote(root)+"\n"+build+
		"\nchown -hR www-data:www-data "+shell.Quote(root))
}

// mountedEverywhere is set once mountEverywhere has succeeded.
var mountedEverywhere bool

// mountEverywhere mounts the nas on every web node through shoal (once per
// run), so the tests' outside state is taken after the fstab step's edits.
func mountEverywhere(t *testing.T) {
	t.Helper()
	if mountedEverywhere {
		return
	}
	for _, h := range webHosts {
		onHost(t, h, "mkdir -p /var/www/mounter-all")
	}
	r := shoal(t, "-C", siteConfig(t, `
site "mounter-all" {
  recipe  = "uploads"
  root    = "/var/www/mounter-all"
  primary = "web1"
  nodes   = ["web1", "web2", "web3"]
  storage = "nas"
}`), "apply", "--yes")
	if r.code != 0 {
		t.Fatalf("mounting the nas everywhere: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	mountedEverywhere = true
}

// applyConverges applies and then plans: both must succeed, the plan
// with no changes.
func applyConverges(t *testing.T, dir string) {
	t.Helper()
	if r := shoal(t, "-C", dir, "apply", "--yes"); r.code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := shoal(t, "-C", dir, "plan", "--detailed-exitcode"); r.code != 0 {
		t.Fatalf("plan after apply: exit %d (want 0: converged)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// Must-fix 1: a symlink planted in an upload folder made relocate chown
// the file server's /etc/hostname (tar restoring a link's owner over
// SFTP sets it on the target), and the move then failed forever with
// "find: Operation not permitted". Such links are refused, named in the
// plan with their node and target; links that stay below their folder
// move as links; nothing outside the site changes on any host.
func TestSymlinksOutOfDynamicFolders(t *testing.T) {
	const root, site = "/var/www/leak", "leak"
	mountEverywhere(t)
	cfg := siteConfig(t, `
site "leak" {
  recipe  = "uploads"
  root    = "`+root+`"
  primary = "web1"
  nodes   = ["web1", "web2"]
  storage = "nas"
  owner   = "www-data"
}`)
	onHost(t, "files", "rm -rf /srv/nas/leak")
	// web2 holds an upload folder of its own with a link planted in it
	stageOn(t, "web2", root, "mkdir media\nln -s /etc/passwd media/passwd")
	stageOn(t, "web1", root, `mkdir -p media/sub
echo '<?php' > index.php
echo upload > media/a.txt
echo nested > media/sub/b.txt
ln -s /etc/hostname media/evil
ln -s ../../../../etc/shadow media/shadow
ln -s /root media/sub/rootdir
ln -s a.txt media/alias`)
	before := outsideState(t, root, site)
	sums := fileSums(t, "web1", root+"/media")

	r := shoal(t, "-C", cfg, "apply", "--yes")
	expectRefusal(t, r, 3, "web1", "media/evil -> /etc/hostname", "media/shadow -> ../../../../etc/shadow",
		"media/sub/rootdir -> /root", "3 symlinks", "web2", "media/passwd -> /etc/passwd")
	if strings.Contains(r.stdout, "media/alias") {
		t.Errorf("a link that stays in its folder was reported:\n%s", r.stdout)
	}
	expectOutsideUnchanged(t, before, root, site)
	if got := fileSums(t, "web1", root+"/media"); got != sums {
		t.Errorf("user files changed by a refused apply:\n%s\nwas\n%s", got, sums)
	}

	// The operator removes the links; the move then goes through, the
	// link that stays moving as a link.
	onHost(t, "web1", "cd "+root+"/media && rm evil shadow sub/rootdir")
	onHost(t, "web2", "rm "+root+"/media/passwd")
	applyConverges(t, cfg)
	expectOutsideUnchanged(t, before, root, site)
	for _, h := range []string{"web1", "web2"} {
		if got := fileSums(t, h, root+"/media"); got != sums {
			t.Errorf("%s: files through the link differ from web1's before the move:\n%s\nwas\n%s", h, got, sums)
		}
	}
	if got := onHost(t, "files", "readlink /srv/nas/leak/media/alias"); got != "a.txt\n" {
		t.Errorf("the link that stays in media moved as %q, want a link to a.txt", got)
	}
}

// A move left half done by an older shoal, its partial copy on the
// storage holding a link sshfs refuses to read back, fails with that
// reason instead of "find: Operation not permitted" and a list of
// unrelated files, and removes nothing.
func TestUnreadableCopyNamesTheCause(t *testing.T) {
	const root, site = "/var/www/unreadable", "unreadable"
	mountEverywhere(t)
	cfg := siteConfig(t, `
site "unreadable" {
  recipe  = "uploads"
  root    = "`+root+`"
  primary = "web1"
  nodes   = ["web1"]
  storage = "nas"
}`)
	stageOn(t, "web1", root, "mkdir -p media.shoal-old\necho upload > media.shoal-old/a.txt\nln -s /etc/hostname media.shoal-old/evil")
	onHost(t, "files", `set -e
rm -rf /srv/nas/unreadable
mkdir -p /srv/nas/unreadable/media.shoal-partial
echo upload > /srv/nas/unreadable/media.shoal-partial/a.txt
ln -s /etc/hostname /srv/nas/unreadable/media.shoal-partial/evil`)
	before := outsideState(t, root, site)
	r := shoal(t, "-C", cfg, "apply", "--yes")
	expectRefusal(t, r, 1, "web1", "could not read all of", "Operation not permitted", "sshfs refuses to read a symlink")
	if strings.Contains(r.stdout+r.stderr, "lacks entries") {
		t.Errorf("the failure still blames differing entries:\n%s\n%s", r.stdout, r.stderr)
	}
	expectOutsideUnchanged(t, before, root, site)
	if got := onHost(t, "web1", "cat "+root+"/media.shoal-old/a.txt"); got != "upload\n" {
		t.Errorf("the old copy lost its data: %q", got)
	}
}

// Must-fix 2: a replica whose root was a symlink to /opt/other got
// /opt/other overwritten and cleaned. Every node's root is checked; a
// root that is a symlink is refused (exit 3) naming node, link and
// target, unless the site says follow_root_link; the primary's too.
func TestSymlinkedRootIsRefused(t *testing.T) {
	const root, site = "/var/www/rootlink", "rootlink"
	mountEverywhere(t)
	cfg := func(extra string) string {
		return siteConfig(t, `
site "rootlink" {
  recipe  = "uploads"
  root    = "`+root+`"
  primary = "web1"
  nodes   = ["web1", "web2"]
  storage = "nas"
  `+extra+`
}`)
	}
	onHost(t, "files", "rm -rf /srv/nas/rootlink")
	onHost(t, "web2", "rm -rf "+root+" "+root+".old /opt/other")
	stageOn(t, "web1", root, "mkdir media\necho '<?php' > index.php\necho upload > media/a.txt")
	applyConverges(t, cfg(""))

	onHost(t, "web2", `set -e
mv `+root+` `+root+`.old
mkdir -p /opt/other
echo precious > /opt/other/important.txt
ln -s /opt/other `+root)
	onHost(t, "web1", "echo '<?php // changed' > "+root+"/index.php")
	before := outsideState(t, root, site)
	r := shoal(t, "-C", cfg(""), "apply", "--yes")
	expectRefusal(t, r, 3, "web2", root+" on web2 is a symlink to /opt/other", "follow_root_link")
	if strings.Contains(r.stdout, "important.txt") {
		t.Errorf("the plan read through the link:\n%s", r.stdout)
	}
	expectOutsideUnchanged(t, before, root, site)

	// a primary whose root is a symlink is refused the same way
	onHost(t, "web1", "mv "+root+" "+root+".real && ln -s "+root+".real "+root)
	r = shoal(t, "-C", cfg(""), "apply", "--yes")
	expectRefusal(t, r, 3, "web1", root+" on web1 is a symlink to "+root+".real")
	expectOutsideUnchanged(t, before, root, site)
	onHost(t, "web1", "rm "+root+" && mv "+root+".real "+root)

	// the operator opts in: the replica's tree is written where its root
	// leads, and converges
	applyConverges(t, cfg("follow_root_link = true"))
	if got := onHost(t, "web2", "cat /opt/other/index.php; readlink "+root); got != "<?php // changed\n/opt/other\n" {
		t.Errorf("following the root link, web2 reads %q", got)
	}
	onHost(t, "web2", "rm -rf "+root+" "+root+".old /opt/other")
}

// Must-fix 4: replicas lost the cache folders' guard files
// (.htaccess "Deny from all"), so cached data was served. A cache's and a
// local folder's top-level dot-files, and the names a cache_dir keeps,
// are replicated and never purged; the rest stays each node's own.
func TestCacheGuardFilesStay(t *testing.T) {
	const root, site = "/var/www/guards", "guards"
	mountEverywhere(t)
	cfg := siteConfig(t, `
recipe "guarded" {
  dynamic_dir "media" {}
  cache_dir "cache" {
    keep = ["index.html"]
  }
  cache_dir "tmp" {}
  local_dir "log" {}
}

site "guards" {
  recipe  = "guarded"
  root    = "`+root+`"
  primary = "web1"
  nodes   = ["web1", "web2"]
  storage = "nas"
}`)
	onHost(t, "files", "rm -rf /srv/nas/guards")
	onHost(t, "web2", "rm -rf "+root)
	stageOn(t, "web1", root, `mkdir media cache cache/pages tmp log
echo '<?php' > index.php
echo upload > media/a.txt
echo 'Deny from all' > cache/.htaccess
echo '<html></html>' > cache/index.html
echo cached > cache/pages/p1
echo 'Deny from all' > tmp/.htaccess
echo tmp > tmp/session
echo '*' > log/.gitignore
echo 'web1 log' > log/today.log`)
	guards := "cat cache/.htaccess cache/index.html tmp/.htaccess log/.gitignore"
	want := onHost(t, "web1", "cd "+root+" && "+guards)
	applyConverges(t, cfg)
	if got := onHost(t, "web2", "cd "+root+" && "+guards); got != want {
		t.Errorf("web2's guard files read %q, want web1's %q", got, want)
	}
	if got := onHost(t, "web2", "cd "+root+" && ls -A cache tmp log"); got != "cache:\n.htaccess\nindex.html\n\nlog:\n.gitignore\n\ntmp:\n.htaccess\n" {
		t.Errorf("web2 got more than the guard files:\n%s", got)
	}

	// web2 caches and logs on its own; a deploy on web1 replicates and
	// purges web2's caches, which keep their guard files
	onHost(t, "web2", "cd "+root+" && echo junk > cache/junk && mkdir tmp/sess && echo s > tmp/sess/1 && echo 'web2 log' > log/today.log")
	onHost(t, "web1", "echo '<?php // deployed' > "+root+"/index.php")
	applyConverges(t, cfg)
	if got := onHost(t, "web2", "cd "+root+" && "+guards); got != want {
		t.Errorf("after a purge web2's guard files read %q, want %q", got, want)
	}
	if got := onHost(t, "web2", "cd "+root+" && ls -A cache tmp && cat log/today.log"); got != "cache:\n.htaccess\nindex.html\n\ntmp:\n.htaccess\nweb2 log\n" {
		t.Errorf("after the deploy web2 holds:\n%s", got)
	}
}

// A site naming folders its primary lacks converges in one apply (it took
// two: the first made a cache folder on the replicas that the next plan
// deleted), and the plan says which folders are missing.
func TestDeclaredFoldersMissingOnThePrimary(t *testing.T) {
	const root, site = "/var/www/sparse", "sparse"
	mountEverywhere(t)
	cfg := siteConfig(t, `
site "sparse" {
  recipe  = "uploads"
  root    = "`+root+`"
  primary = "web1"
  nodes   = ["web1", "web2"]
  storage = "nas"
  owner   = "www-data"

  dynamic_dir "modules/acme/gallery/data/files" {}
  cache_dir "modules/acme/gallery/cache" {}
  local_dir "modules/acme/gallery/log" {}
  writable "modules/other/uploads" {}
}`)
	onHost(t, "files", "rm -rf /srv/nas/sparse")
	onHost(t, "web2", "rm -rf "+root)
	stageOn(t, "web1", root, "mkdir media\necho '<?php' > index.php\necho upload > media/a.txt")
	r := shoal(t, "-C", cfg, "plan")
	for _, want := range []string{"missing on web1: cache_dir modules/acme/gallery/cache", "missing on web1: local_dir modules/acme/gallery/log",
		"missing on web1: dynamic_dir modules/acme/gallery/data/files", "missing on web1: writable modules/other/uploads"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the plan does not say %q:\n%s", want, r.stdout)
		}
	}
	applyConverges(t, cfg)
}

// A cache folder that is a symlink on the primary was copied to replicas
// as a link, which every later plan refused to purge. It is refused on
// the primary, before anything is copied.
func TestCacheFolderSymlinkOnThePrimary(t *testing.T) {
	const root, site = "/var/www/cachelink", "cachelink"
	mountEverywhere(t)
	cfg := siteConfig(t, `
recipe "cached" {
  dynamic_dir "media" {}
  cache_dir "cache" {}
}

site "cachelink" {
  recipe  = "cached"
  root    = "`+root+`"
  primary = "web1"
  nodes   = ["web1", "web2"]
  storage = "nas"
}`)
	onHost(t, "files", "rm -rf /srv/nas/cachelink")
	onHost(t, "web2", "rm -rf "+root)
	onHost(t, "web1", "rm -rf /opt/cachelink-cache && mkdir -p /opt/cachelink-cache && echo outside > /opt/cachelink-cache/keep")
	stageOn(t, "web1", root, "mkdir media\necho '<?php' > index.php\necho upload > media/a.txt\nln -s /opt/cachelink-cache cache")
	before := outsideState(t, root, site)
	r := shoal(t, "-C", cfg, "apply", "--yes")
	expectRefusal(t, r, 3, "web1", "cache_dir cache is a symlink")
	if got := onHost(t, "web2", "ls -A "+root+" 2>/dev/null || true"); got != "" {
		t.Errorf("web2 got a tree while the primary is refused: %q", got)
	}
	expectOutsideUnchanged(t, before, root, site)
	onHost(t, "web1", "rm "+root+"/cache && mkdir "+root+"/cache")
	applyConverges(t, cfg)
	expectOutsideUnchanged(t, before, root, site)
	onHost(t, "web1", "rm -rf /opt/cachelink-cache")
}

// Symlinks out of the code tree, out of cache folders and in place of
// folders, planted on the primary or on a replica: replicate copies the
// primary's links as links and replaces a replica's own, purge removes
// links without following them, and a declared folder reached through a
// link is refused. Nothing outside the site changes.
func TestSymlinksInTheTree(t *testing.T) {
	const root, site = "/var/www/tree", "tree"
	mountEverywhere(t)
	cfg := siteConfig(t, `
recipe "tree" {
  dynamic_dir "media" {}
  cache_dir "cache" {}
  writable "langs" {}
  writable "modules/forum/conf" {}
}

site "tree" {
  recipe  = "tree"
  root    = "`+root+`"
  primary = "web1"
  nodes   = ["web1", "web2", "web3"]
  storage = "nas"
  owner   = "www-data"
}`)
	onHost(t, "files", "rm -rf /srv/nas/tree")
	for _, h := range []string{"web2", "web3"} {
		onHost(t, h, "rm -rf "+root)
	}
	stageOn(t, "web1", root, `mkdir -p media cache inc modules/forum/conf langs
echo '<?php' > index.php
echo upload > media/a.txt
echo c > cache/c1
echo conf > modules/forum/conf/x.php
echo en > langs/en.php
ln -s /etc/hostname inc/hostname
ln -s /root inc/rootdir
ln -s ../../../../etc/shadow inc/shadow
ln -s /etc langs/etc`)
	before := outsideState(t, root, site)
	applyConverges(t, cfg)
	expectOutsideUnchanged(t, before, root, site)
	for _, h := range []string{"web2", "web3"} {
		if got := onHost(t, h, "readlink "+root+"/inc/hostname "+root+"/inc/shadow "+root+"/langs/etc"); got != "/etc/hostname\n../../../../etc/shadow\n/etc\n" {
			t.Errorf("%s: the primary's links arrived as %q", h, got)
		}
	}

	// web2's users plant links: one in place of a folder the primary
	// has, one the primary lacks, one out of the cache; web3's cache
	// folder itself becomes a link
	onHost(t, "web2", `set -e
cd `+root+`
rm -rf modules/forum && ln -s /opt/trap-forum modules/forum
ln -s /etc/passwd inc/planted
ln -s /etc cache/out
echo junk > cache/junk`)
	onHost(t, "web2", "rm -rf /opt/trap-forum && mkdir -p /opt/trap-forum/conf && echo trap > /opt/trap-forum/conf/x.php")
	onHost(t, "web3", "cd "+root+" && rm -rf cache && ln -s /opt cache")
	onHost(t, "web1", "echo '<?php // deployed' > "+root+"/index.php")
	before = outsideState(t, root, site)
	r := shoal(t, "-C", cfg, "apply", "--yes")
	expectRefusal(t, r, 3, "web3", root+"/cache is a symlink to /opt")
	expectOutsideUnchanged(t, before, root, site)
	onHost(t, "web3", "rm "+root+"/cache")
	applyConverges(t, cfg)
	expectOutsideUnchanged(t, before, root, site)
	if got := onHost(t, "web2", "cd "+root+" && ls -A cache inc && [ -d modules/forum ] && [ ! -L modules/forum ] && cat modules/forum/conf/x.php"); got != "cache:\n\ninc:\nhostname\nrootdir\nshadow\nconf\n" {
		t.Errorf("web2 after replicating over its planted links:\n%s", got)
	}

	// on the primary, a writable folder reached through a link is refused
	onHost(t, "web1", "cd "+root+" && mv modules/forum /opt/trap-primary && ln -s /opt/trap-primary modules/forum")
	before = outsideState(t, root, site)
	r = shoal(t, "-C", cfg, "apply", "--yes")
	expectRefusal(t, r, 3, "web1", "writable modules/forum/conf is reached through the symlink modules/forum -> /opt/trap-primary")
	expectOutsideUnchanged(t, before, root, site)
	onHost(t, "web1", "cd "+root+" && rm modules/forum && mv /opt/trap-primary modules/forum")
	applyConverges(t, cfg)
	onHost(t, "web2", "rm -rf /opt/trap-forum")
}

// hostileNames is shell that makes, in folder $1, files whose names try
// to break quoting, parsing and path limits: quotes, a newline, $() and
// backticks, a leading dash, bytes that are not UTF-8, a 250-byte name
// and a file 60 folders deep.
const hostileNames = `hostile() (
	cd "$1"
	echo q > "q'uote\"s"
	echo n > "$(printf 'new\nline')"
	echo s > '$(touch shoal-pwned)'
	echo b > '` + "`touch shoal-pwned2`" + `'
	echo d > ./-leading-dash
	echo u > "$(printf 'bad\377\376utf8')"
	echo l > "$(printf '%250s' '' | tr ' ' l)"
	p=.
	i=0
	while [ $i -lt 60 ]; do p=$p/level$i; i=$((i + 1)); done
	mkdir -p "$p"
	echo deep > "$p/bottom"
)
`

// treeDigest is one hash of the code tree under root on host (media left
// out): every entry's type, mode, owner, size and path, and every
// file's checksum, names NUL-safe.
func treeDigest(t *testing.T, host, root string) string {
	t.Helper()
	return onHost(t, host, "cd "+shell.Quote(root)+` && {
	find . -path ./media -prune -o -path ./media.shoal-old -prune -o -printf '%y %m %U %G %s %p\0'
	find . -path ./media -prune -o -type f -print0 | xargs -0 sha256sum -z --
} | LC_ALL=C sort -z | sha256sum`)
}

// Hostile names in a dynamic folder and in the code tree move, replicate
// and are deleted exactly, on every node; nothing runs that a name says.
func TestHostileNames(t *testing.T) {
	const root, site = "/var/www/hostile", "hostile"
	mountEverywhere(t)
	cfg := siteConfig(t, `
site "hostile" {
  recipe  = "uploads"
  root    = "`+root+`"
  primary = "web1"
  nodes   = ["web1", "web2", "web3"]
  storage = "nas"
}`)
	onHost(t, "files", "rm -rf /srv/nas/hostile")
	for _, h := range webHosts {
		onHost(t, h, "rm -rf "+root)
	}
	stageOn(t, "web1", root, hostileNames+"mkdir media inc\nhostile media\nhostile inc\necho '<?php' > index.php")
	before := outsideState(t, root, site)
	sums := fileSums(t, "web1", root+"/media")
	if strings.Count(sums, "\n") < 8 {
		t.Fatalf("staging made too few files:\n%s", sums)
	}
	applyConverges(t, cfg)
	expectOutsideUnchanged(t, before, root, site)
	code := treeDigest(t, "web1", root)
	for _, h := range webHosts {
		if got := fileSums(t, h, root+"/media"); got != sums {
			t.Errorf("%s: the uploads through the link differ from web1's before the move", h)
		}
		if got := treeDigest(t, h, root); got != code {
			t.Errorf("%s: the code tree differs from web1's", h)
		}
		if got := onHost(t, h, "find / -xdev -maxdepth 3 -name 'shoal-pwned*'; find "+root+"/ -name 'shoal-pwned*'"); got != "" {
			t.Errorf("%s: a name was run: %s", h, got)
		}
	}

	// a deploy renames hostile files: the replicas get the new names and
	// lose the old ones, through the plan's lists of paths
	onHost(t, "web1", "cd "+root+`/inc && mv "$(printf 'bad\377\376utf8')" "$(printf 'now\377\nworse')" && rm -- -leading-dash "$(printf 'new\nline')"`)
	applyConverges(t, cfg)
	code = treeDigest(t, "web1", root)
	for _, h := range webHosts[1:] {
		if got := treeDigest(t, h, root); got != code {
			t.Errorf("%s: after the deploy the code tree differs from web1's", h)
		}
	}
	expectOutsideUnchanged(t, before, root, site)
}

// The storage filling up: a move that cannot fit is refused before
// anything is copied; one that fills the storage midway (its files take
// more room than their bytes) fails saying so, the partial copy removed
// and the uploads intact; with room made, the next apply converges.
func TestStorageFull(t *testing.T) {
	const root, site = "/var/www/full", "full"
	mountEverywhere(t)
	cfg := siteConfig(t, `
site "full" {
  recipe  = "uploads"
  root    = "`+root+`"
  primary = "web1"
  nodes   = ["web1"]
  storage = "nas"
}`)
	onHost(t, "files", "umount /srv/nas/full 2>/dev/null; rm -rf /srv/nas/full && mkdir /srv/nas/full && mount -t tmpfs -o size=1m shoal-full /srv/nas/full")
	t.Cleanup(func() { onHost(t, "files", "umount /srv/nas/full; rm -rf /srv/nas/full") })
	stageOn(t, "web1", root, "mkdir media\necho '<?php' > index.php\nhead -c 3145728 /dev/urandom > media/big.bin")
	before := outsideState(t, root, site)
	r := shoal(t, "-C", cfg, "apply", "--yes")
	expectRefusal(t, r, 3, "web1", "media holds 1 file (3.0 MiB) but the storage has", "free at /mnt/nas/full")
	if got := onHost(t, "files", "ls -A /srv/nas/full"); got != "" {
		t.Errorf("a refused move left %q on the storage", got)
	}

	onHost(t, "web1", "cd "+root+`/media && rm big.bin && i=0 && while [ $i -lt 600 ]; do head -c 1000 /dev/urandom > f$i; i=$((i + 1)); done`)
	sums := fileSums(t, "web1", root+"/media")
	r = shoal(t, "-C", cfg, "apply", "--yes")
	expectRefusal(t, r, 1, "web1", "No space left on device: the storage has 0 KiB free at /mnt/nas/full", "Input/output error",
		"removed the failed copy /mnt/nas/full/media.shoal-partial")
	if got := onHost(t, "files", "ls -A /srv/nas/full"); got != "" {
		t.Errorf("the failed copy left %q on the storage", got)
	}
	if got := fileSums(t, "web1", root+"/media"); got != sums {
		t.Error("the uploads changed after the failed copy")
	}
	expectOutsideUnchanged(t, before, root, site)

	onHost(t, "files", "mount -o remount,size=20m /srv/nas/full")
	applyConverges(t, cfg)
	if got := fileSums(t, "web1", root+"/media"); got != sums {
		t.Error("the uploads through the link differ from before the move")
	}
	expectOutsideUnchanged(t, before, root, site)
}
