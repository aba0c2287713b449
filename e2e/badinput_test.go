package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBadInput feeds shoal what operators get wrong: host keys, keys,
// hosts that are down, missing roots, conflicting data, stale plans, held
// locks and broken HCL. Each refusal must say what and where, exit with
// SPEC's code and leave every host as it was. It works in site roots of
// its own (/var/www/probe, clash, stale…), so the Dolphin job's site is
// never touched, whichever runs first.
func TestBadInput(t *testing.T) {
	t.Run("unknown host key", testUnknownHostKey)
	t.Run("changed host key", testChangedHostKey)
	t.Run("refused key", testRefusedKey)
	t.Run("unreachable host", testUnreachableHost)
	t.Run("site root missing", testSiteRootMissing)
	t.Run("conflict", testConflict)
	t.Run("stale saved plan", testStalePlan)
	t.Run("lock held", testLockHeld)
	t.Run("HCL errors", testHCLErrors)
}

func testUnknownHostKey(t *testing.T) {
	dir := siteConfig(t, probeSite)
	stageProbe(t)
	empty := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, empty, "")
	before := hostState(t)

	r := shoal(t, "-C", dir, "--known-hosts", empty, "plan")
	expectRefusal(t, r, 1, "web1", "SHA256:", "--accept-new-host-keys")
	if diff := cmp.Diff(before, hostState(t)); diff != "" {
		t.Errorf("an unknown host key changed the hosts (-before +after):\n%s", diff)
	}

	accepted := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, accepted, "")
	r = shoal(t, "-C", dir, "--known-hosts", accepted, "--accept-new-host-keys", "plan")
	if r.code != 0 {
		t.Fatalf("plan with --accept-new-host-keys exited %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	recorded := readFile(t, accepted)
	if key := labHostKey(t, "web1"); !strings.Contains(recorded, key) {
		t.Errorf("known_hosts after accept-new lacks web1's key %s:\n%s", key, recorded)
	}
}

func testChangedHostKey(t *testing.T) {
	dir := siteConfig(t, probeSite)
	stageProbe(t)
	addr := labAddr(t, "web1")
	forged := "web1," + addr + " " + freshPublicKey(t) + "\n"
	known := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, known, forged+labKnownHostsWithout(t, "web1"))
	before := hostState(t)

	r := shoal(t, "-C", dir, "--known-hosts", known, "--accept-new-host-keys", "plan")
	expectRefusal(t, r, 1, "web1", known+":1")
	if got := readFile(t, known); !strings.HasPrefix(got, forged) {
		t.Errorf("a changed host key rewrote the known_hosts entry:\n%s", got)
	}
	if diff := cmp.Diff(before, hostState(t)); diff != "" {
		t.Errorf("a changed host key changed the hosts (-before +after):\n%s", diff)
	}
}

func testRefusedKey(t *testing.T) {
	dir := siteConfig(t, probeSite)
	stageProbe(t)
	tmp := t.TempDir()
	key := filepath.Join(tmp, "id_unauthorised")
	runTool(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
	config := filepath.Join(tmp, "ssh_config")
	identity := regexp.MustCompile(`(?m)^(\s*IdentityFile)\s.*$`)
	writeFile(t, config, identity.ReplaceAllString(readFile(t, sshConfig), "${1} "+key))
	before := hostState(t)

	r := shoal(t, "-F", config, "-C", dir, "plan")
	expectRefusal(t, r, 1, "web1", "authentication refused")
	if diff := cmp.Diff(before, hostState(t)); diff != "" {
		t.Errorf("a refused key changed the hosts (-before +after):\n%s", diff)
	}
}

func testUnreachableHost(t *testing.T) {
	web1 := labAddr(t, "web1")
	unused := web1[:strings.LastIndex(web1, ".")] + ".99" // in the lab's /24, given to no host
	dir := siteConfig(t, `
node "web9" {
  host  = "`+unused+`"
  roles = ["web"]
}

site "probe" {
  recipe  = "uploads"
  root    = "/var/www/probe"
  primary = "web1"
  nodes   = ["web1", "web9"]
  storage = "nas"
}`)
	stageProbe(t)
	before := hostState(t)

	r := shoal(t, "-C", dir, "plan")
	expectRefusal(t, r, 1, "web9", unused)
	if !strings.Contains(r.stdout, "/var/www/probe/media") {
		t.Errorf("web1's relocation of /var/www/probe/media is missing from the plan while web9 is down:\n%s", r.stdout)
	}
	if diff := cmp.Diff(before, hostState(t)); diff != "" {
		t.Errorf("an unreachable node changed the hosts (-before +after):\n%s", diff)
	}
}

func testSiteRootMissing(t *testing.T) {
	dir := siteConfig(t, `
site "nowhere" {
  recipe  = "uploads"
  root    = "/var/www/nowhere"
  primary = "web1"
  nodes   = ["web1"]
  storage = "nas"
}`)
	onHost(t, "web1", "rm -rf /var/www/nowhere")
	before := hostState(t)

	r := shoal(t, "-C", dir, "apply", "--yes")
	expectRefusal(t, r, 1, "web1", "/var/www/nowhere")
	if diff := cmp.Diff(before, hostState(t)); diff != "" {
		t.Errorf("a missing site root changed the hosts (-before +after):\n%s", diff)
	}
}

func testConflict(t *testing.T) {
	mountStorage(t)
	onHost(t, "web1", `set -e
rm -rf /var/www/clash /mnt/nas/clash
mkdir -p /var/www/clash/media /mnt/nas/clash/media
echo uploaded on web1 > /var/www/clash/media/local.txt
echo already on the storage > /mnt/nas/clash/media/remote.txt`)
	site := func(onConflict string) string {
		return `
site "clash" {
  recipe  = "uploads"
  root    = "/var/www/clash"
  primary = "web1"
  nodes   = ["web1"]
  storage = "nas"
  ` + onConflict + `
}`
	}
	both := "cat /var/www/clash/media/local.txt /mnt/nas/clash/media/remote.txt"
	before := hostState(t)

	r := shoal(t, "-C", siteConfig(t, site("")), "plan")
	if !regexp.MustCompile(`(?m)^\s*!.*clash/media`).MatchString(r.stdout) {
		t.Errorf("the plan does not mark the clash as a conflict ('!'):\n%s\n%s", r.stdout, r.stderr)
	}
	// the plan ends with what apply refuses and what to do about it
	if !regexp.MustCompile(`Apply refuses this plan \(exit 3\).*\n\s*web1: relocate /var/www/clash/media: .*on_conflict = "merge"\n.*shoal plan.* again.*\n$`).MatchString(r.stdout) {
		t.Errorf("the plan does not end with the conflict and what to do:\n%s", r.stdout)
	}
	if r := shoal(t, "-C", siteConfig(t, site("")), "plan", "--detailed-exitcode"); r.code != 3 {
		t.Errorf("plan --detailed-exitcode with a conflict: exit %d, want 3\n%s", r.code, r.stdout)
	}
	r = shoal(t, "-C", siteConfig(t, site("")), "apply", "--yes")
	expectRefusal(t, r, 3, "web1", "conflict")
	if diff := cmp.Diff(before, hostState(t)); diff != "" {
		t.Errorf("a refused conflict changed the hosts (-before +after):\n%s", diff)
	}
	if got := onHost(t, "web1", both); got != "uploaded on web1\nalready on the storage\n" {
		t.Errorf("after the refusal the two files read %q", got)
	}

	r = shoal(t, "-C", siteConfig(t, site(`on_conflict = "merge"`)), "apply", "--yes")
	if r.code != 0 {
		t.Fatalf("apply with on_conflict = merge exited %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := onHost(t, "web1", "cat /mnt/nas/clash/media/local.txt /mnt/nas/clash/media/remote.txt; readlink /var/www/clash/media"); got != "uploaded on web1\nalready on the storage\n/mnt/nas/clash/media\n" {
		t.Errorf("after the merge the storage and link read %q", got)
	}
}

func testStalePlan(t *testing.T) {
	dir := siteConfig(t, staleSite)
	stageSite(t, "/var/www/stale")
	saved := filepath.Join(t.TempDir(), "stale.plan")
	if r := shoal(t, "-C", dir, "plan", "-out", saved); r.code != 0 {
		t.Fatalf("plan -out exited %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	onHost(t, "web1", "echo '<?php // edited after the plan' > /var/www/stale/index.php")
	before := hostState(t)

	r := shoal(t, "-C", dir, "apply", saved)
	expectRefusal(t, r, 3, "web1", "hosts changed")
	if diff := cmp.Diff(before, hostState(t)); diff != "" {
		t.Errorf("a stale plan changed the hosts (-before +after):\n%s", diff)
	}
}

func testLockHeld(t *testing.T) {
	dir := siteConfig(t, staleSite)
	stageSite(t, "/var/www/stale")
	holder := "ops@elsewhere pid 4242 since 2026-01-02T03:04:05Z"
	onHost(t, "web1", "rm -rf /run/shoal.lock && mkdir /run/shoal.lock && echo '"+holder+"' > /run/shoal.lock/holder")
	t.Cleanup(func() { onHost(t, "web1", "rm -rf /run/shoal.lock") })
	before := hostState(t)

	r := shoal(t, "-C", dir, "apply", "--yes")
	expectRefusal(t, r, 3, "web1", holder, "--force-unlock")
	if diff := cmp.Diff(before, hostState(t)); diff != "" {
		t.Errorf("a held lock did not stop the apply (-before +after):\n%s", diff)
	}

	r = shoal(t, "-C", dir, "apply", "--yes", "--force-unlock")
	if r.code != 0 {
		t.Fatalf("apply --force-unlock exited %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := onHost(t, "web1", "readlink /var/www/stale/media; ls -d /run/shoal.lock 2>/dev/null || echo unlocked"); got != "/mnt/nas/stale/media\nunlocked\n" {
		t.Errorf("after --force-unlock web1 reads %q, want media linked and the lock released", got)
	}
}

func testHCLErrors(t *testing.T) {
	// every host resolves to a port the test watches: no connection may come
	watch, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	var dials atomic.Int32
	go func() {
		for {
			c, err := watch.Accept()
			if err != nil {
				return
			}
			dials.Add(1)
			c.Close()
		}
	}()
	config := filepath.Join(t.TempDir(), "ssh_config")
	writeFile(t, config, "Host *\n  HostName 127.0.0.1\n  Port "+portOf(watch)+"\n")

	for _, c := range []struct{ name, site, want string }{
		{"syntax", "site \"broken\" {\n  root = \n}\n", `site\.hcl:2:\d+`},
		{"dynamic dir climbs out", `
site "escape" {
  recipe  = "uploads"
  root    = "/var/www/escape"
  primary = "web1"
  nodes   = ["web1"]
  storage = "nas"
  dynamic_dir "../etc" {}
}`, `site\.hcl:8:\d+`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := shoal(t, "-F", config, "-C", siteConfig(t, c.site), "plan")
			if r.code != 1 {
				t.Errorf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			if !regexp.MustCompile(c.want).MatchString(r.stderr) {
				t.Errorf("stderr does not point at %s:\n%s", c.want, r.stderr)
			}
			if strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("a Go stack trace reached the user:\n%s", r.stderr)
			}
		})
	}
	if n := dials.Load(); n != 0 {
		t.Errorf("bad HCL still opened %d connection(s)", n)
	}
}

const probeSite = `
site "probe" {
  recipe  = "uploads"
  root    = "/var/www/probe"
  primary = "web1"
  nodes   = ["web1"]
  storage = "nas"
}`

// staleSite has a replica, so the plan reads the primary's whole tree.
const staleSite = `
site "stale" {
  recipe  = "uploads"
  root    = "/var/www/stale"
  primary = "web1"
  nodes   = ["web1", "web2"]
  storage = "nas"
}`

// siteConfig is a config dir holding the lab's nodes, storage and the
// "uploads" recipe, plus site.
func siteConfig(t *testing.T, site string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "lab.hcl"), readFile(t, filepath.Join(repoRoot, "e2e", "testdata", "lab.hcl")))
	writeFile(t, filepath.Join(dir, "site.hcl"), site)
	return dir
}

// stageProbe makes /var/www/probe on web1 a site with one upload.
func stageProbe(t *testing.T) { stageSite(t, "/var/www/probe") }

// stageSite makes root on web1 a fresh tree with an upload in media/ and
// nothing of it on the storage or the other web nodes.
func stageSite(t *testing.T, root string) {
	t.Helper()
	shared := "/mnt/nas/" + filepath.Base(root)
	for _, h := range webHosts[1:] {
		onHost(t, h, "rm -rf "+root)
	}
	onHost(t, "web1", `set -e
rm -rf `+root+` `+shared+`
mkdir -p `+root+`/media
echo '<?php echo "hello";' > `+root+`/index.php
echo 'an upload' > `+root+`/media/upload.txt`)
}

// mountStorage mounts the nas on web1 through shoal itself (the Dolphin
// job may not have run yet), with a site of its own.
func mountStorage(t *testing.T) {
	t.Helper()
	if strings.TrimSpace(onHost(t, "web1", "mountpoint -q /mnt/nas && echo yes || echo no")) == "yes" {
		return
	}
	onHost(t, "web1", "mkdir -p /var/www/mounter")
	r := shoal(t, "-C", siteConfig(t, `
site "mounter" {
  recipe  = "uploads"
  root    = "/var/www/mounter"
  primary = "web1"
  nodes   = ["web1"]
  storage = "nas"
}`), "apply", "--yes")
	if r.code != 0 {
		t.Fatalf("mounting the nas on web1 exited %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// hostState is what the bad-input cases may not change: every web node's
// site roots, whether the storage is in its mount table (read from the
// kernel: a stat could catch sshfs reconnecting), fstab and lock, and the
// storage itself, read on the file server.
func hostState(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	script := `cd /var/www 2>/dev/null && find . -path ./dolphin -prune -o -printf '%y %m %s %p %l\n' | sort
find /var/www/dolphin -maxdepth 1 -printf '%y %p %l\n' 2>/dev/null | sort
grep -c ' /mnt/nas ' /proc/mounts || true
sha256sum /etc/fstab
ls -d /run/shoal.lock 2>/dev/null || true`
	for _, h := range webHosts {
		b.WriteString("## " + h + "\n" + onHost(t, h, script))
	}
	b.WriteString("## storage\n" + onHost(t, "files", `find /srv/nas -path /srv/nas/community -prune -o -printf '%y %s %p\n' | sort`))
	return b.String()
}

// expectRefusal checks the exit code and that the output names each of want.
func expectRefusal(t *testing.T, r result, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	all := r.stdout + r.stderr
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("output does not mention %q\nstdout:\n%s\nstderr:\n%s", w, r.stdout, r.stderr)
		}
	}
	if strings.Contains(all, "goroutine ") {
		t.Errorf("a Go stack trace reached the user:\n%s", all)
	}
}

// labAddr is a lab host's address, as the lab's ssh_config gives it.
func labAddr(t *testing.T, host string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^Host ` + regexp.QuoteMeta(host) + `\n\s*HostName (\S+)`).FindStringSubmatch(readFile(t, sshConfig))
	if m == nil {
		t.Fatalf("the lab's ssh_config has no HostName for %s", host)
	}
	return m[1]
}

// labHostKey is the "type base64" key the lab recorded for host.
func labHostKey(t *testing.T, host string) string {
	t.Helper()
	for _, line := range strings.Split(readFile(t, filepath.Join(labDir, "known_hosts")), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && strings.Split(f[0], ",")[0] == host {
			return f[1] + " " + f[2]
		}
	}
	t.Fatalf("the lab's known_hosts has no key for %s", host)
	return ""
}

// labKnownHostsWithout is the lab's known_hosts minus host's lines.
func labKnownHostsWithout(t *testing.T, host string) string {
	t.Helper()
	var keep []string
	for _, line := range strings.Split(readFile(t, filepath.Join(labDir, "known_hosts")), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.Split(f[0], ",")[0] != host {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n") + "\n"
}

// freshPublicKey is a new ed25519 public key as "type base64".
func freshPublicKey(t *testing.T) string {
	t.Helper()
	key := filepath.Join(t.TempDir(), "forged")
	runTool(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
	f := strings.Fields(readFile(t, key+".pub"))
	return f[0] + " " + f[1]
}

func portOf(l net.Listener) string {
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func runTool(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
