package e2e

import (
	"fmt"
	"github.com/shoal-sh/shoal/steps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/shell"
)

const (
	siteRoot = "/var/www/dolphin"
	mount    = "/mnt/nas"
	siteName = "community"
)

var webHosts = []string{"web1", "web2", "web3"}

func loadFixture(t *testing.T) *hcl.Site {
	t.Helper()
	cfg, diags := hcl.NewLoader(steps.BlockKinds()).Load(hcl.LoadOptions{Dir: filepath.Join(repoRoot, "fixtures", "dolphin")})
	if diags.HasErrors() {
		t.Fatalf("fixture: %v", diags)
	}
	for _, s := range cfg.Sites {
		if s.Name == siteName {
			return s
		}
	}
	t.Fatalf("fixture has no site %q", siteName)
	return nil
}

// userData lists every file under each dynamic dir with its checksum, as
// seen through path (a real dir before apply, the symlink after).
func userData(t *testing.T, host string, site *hcl.Site) string {
	return userDataAt(t, host, siteRoot, site)
}

func userDataAt(t *testing.T, host, root string, site *hcl.Site) string {
	var b strings.Builder
	for _, d := range site.BlocksOf("dynamic_dir") {
		fmt.Fprintf(&b, "cd %s/ 2>/dev/null && echo '## %s' && find . -type f -exec sha256sum {} + | sort -k2\n",
			shell.Quote(filepath.Join(root, d.Label)), d.Label)
	}
	return onHost(t, host, b.String())
}

// treeListing describes the site tree apart from cache and local folders'
// contents (each node's own) but their top-level dot-files (shipped
// guard files), without following symlinks: type, mode, owner, size,
// path, link target and the checksum of every regular file.
func treeListing(t *testing.T, host string, site *hcl.Site) string {
	var prune []string
	for _, c := range site.BlocksOf("cache_dir") {
		prune = append(prune, `\( -path `+shell.Quote("./"+c.Label+"/*")+" ! -path "+shell.Quote("./"+c.Label+"/.*")+` \)`)
	}
	for _, l := range site.BlocksOf("local_dir") {
		prune = append(prune, `\( -path `+shell.Quote("./"+l.Label+"/*")+" ! -path "+shell.Quote("./"+l.Label+"/.*")+` \)`)
	}
	// a folder's size is the filesystem's business (tmpfs counts entries), so only files show theirs
	script := fmt.Sprintf(`cd %s && find . \( %s \) -prune -o -type d -printf '%%y %%m %%u %%p\n' -o -printf '%%y %%m %%u %%s %%p %%l\n' | sort
find . \( %s \) -prune -o -type f -exec sha256sum {} + | sort -k2`,
		shell.Quote(siteRoot), strings.Join(prune, " -o "), strings.Join(prune, " -o "))
	return onHost(t, host, script)
}

func TestDolphinEndToEnd(t *testing.T) {
	site := loadFixture(t)
	stage, err := os.ReadFile(filepath.Join(repoRoot, "fixtures", "dolphin", "stage.sh"))
	if err != nil {
		t.Fatal(err)
	}
	onHost(t, "web1", "set -- "+siteRoot+"\n"+string(stage))
	before := userData(t, "web1", site)
	if strings.Count(before, "\n") < 2*len(site.BlocksOf("dynamic_dir")) {
		t.Fatalf("staging left too little user data to test with:\n%s", before)
	}

	first := shoal(t, "-C", "fixtures/dolphin", "apply", "--yes")
	if first.code != 0 {
		t.Fatalf("first apply exited %d\nstdout:\n%s\nstderr:\n%s", first.code, first.stdout, first.stderr)
	}

	primaryTree := treeListing(t, "web1", site)
	for _, h := range webHosts {
		for _, d := range site.BlocksOf("dynamic_dir") {
			shared := d.Label
			if d.Known("shared") {
				shared = d.String("shared")
			}
			want := filepath.Join(mount, siteName, shared)
			got := strings.TrimSpace(onHost(t, h, "readlink "+shell.Quote(filepath.Join(siteRoot, d.Label))))
			if got != want {
				t.Errorf("%s: %s links to %q, want %q", h, d.Label, got, want)
			}
		}
		if got := userData(t, h, site); got != before {
			t.Errorf("%s: user data through the links differs from what web1 had before apply", h)
		}
		for _, c := range site.BlocksOf("cache_dir") {
			if h == "web1" {
				break // the primary's caches are its own; replicas never get them
			}
			n := strings.TrimSpace(onHost(t, h, "find "+shell.Quote(filepath.Join(siteRoot, c.Label))+" -mindepth 1 ! -name '.*' | wc -l"))
			if n != "0" {
				t.Errorf("%s: cache %s holds %s entries after apply", h, c.Label, n)
			}
		}
		// Dolphin ships guard files in its caches: "Deny from all", or
		// PHP served as source in cache_public
		if got := onHost(t, h, guardFiles); got != onHost(t, "web1", guardFiles) || got == "" {
			t.Errorf("%s: the caches' guard files read %q, not web1's", h, got)
		}
		if n := strings.TrimSpace(onHost(t, h, "awk '$2 == \""+mount+"\"' /etc/fstab | wc -l")); n != "1" {
			t.Errorf("%s: %s fstab lines for %s, want 1", h, n, mount)
		}
		if h != "web1" {
			if tree := treeListing(t, h, site); tree != primaryTree {
				t.Errorf("%s: tree differs from web1's apart from caches:\n%s", h, firstDiff(primaryTree, tree))
			}
		}
	}

	second := shoal(t, "-C", "fixtures/dolphin", "plan", "--detailed-exitcode")
	if second.code != 0 {
		t.Fatalf("plan after apply exited %d (want 0: no changes)\n%s\n%s", second.code, second.stdout, second.stderr)
	}

	third := shoal(t, "-C", "fixtures/dolphin", "apply", "--yes")
	if third.code != 0 || !strings.Contains(third.stdout, "No changes") {
		t.Fatalf("third apply: exit %d\n%s\n%s", third.code, third.stdout, third.stderr)
	}
	for _, h := range webHosts {
		if got := treeListing(t, h, site); got != primaryTree {
			t.Errorf("%s: a no-change apply changed the tree", h)
		}
	}

	// A deploy on the primary reaches the replicas; what a replica logged
	// in a local_dir stays.
	const logLine = "written by web2 alone"
	onHost(t, "web2", "echo '"+logLine+"' >> "+siteRoot+"/modules/boonex/forum/log/forum.log")
	onHost(t, "web1", "echo '<?php // deployed' > "+siteRoot+"/index.php")
	if deploy := shoal(t, "-C", "fixtures/dolphin", "apply", "--yes"); deploy.code != 0 || !strings.Contains(deploy.stdout, "replicate") {
		t.Fatalf("deploy: exit %d\n%s\n%s", deploy.code, deploy.stdout, deploy.stderr)
	}
	if got := onHost(t, "web2", "cat "+siteRoot+"/index.php"); got != "<?php // deployed\n" {
		t.Errorf("web2 did not get the deployed index.php: %q", got)
	}
	if got := onHost(t, "web2", "cat "+siteRoot+"/modules/boonex/forum/log/forum.log"); !strings.Contains(got, logLine) {
		t.Errorf("web2's own log line was lost to replication: %q", got)
	}
	for _, h := range webHosts[1:] {
		if got := onHost(t, h, guardFiles); got != onHost(t, "web1", guardFiles) {
			t.Errorf("%s: the deploy's purge left the caches' guard files as %q", h, got)
		}
	}
}

// guardFiles prints the .htaccess files Dolphin ships in its caches.
const guardFiles = "cd " + siteRoot + " && cat cache/.htaccess tmp/.htaccess cache_public/.htaccess"

// firstDiff shows the first differing line of two listings.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  web1: %s\n  here: %s", i+1, x, y)
		}
	}
	return "(equal)"
}
