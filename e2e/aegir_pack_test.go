package e2e

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const (
	aegirHome = "/var/aegir"
	aegirUID  = "1010"
)

var aegirSlaves = []string{"web2", "web3"}

// TestAegirPackMode runs fixtures/aegir-pack on the lab: web1 an Aegir
// master with two platforms and nginx, web2 a slave with the aegir user,
// web3 a bare slave. The platforms are shared (sshfs standing in for the
// seed's NFS: a storage served in place by the master), the config folder
// is copied, nginx reloaded where the config changed. Then the UID/GID
// rule and bad input: a planted uid mismatch, a slave's old platforms
// under the mount point, the aegir user missing on the master.
func TestAegirPackMode(t *testing.T) {
	stageAegir(t)
	dir := "fixtures/aegir-pack"

	first := shoal(t, "-C", dir, "apply", "--yes")
	if first.code != 0 {
		t.Fatalf("first apply exited %d\nstdout:\n%s\nstderr:\n%s", first.code, first.stdout, first.stderr)
	}
	if !strings.Contains(first.stdout, "create user aegir (uid "+aegirUID+")") {
		t.Errorf("web3's aegir user was not created with the master's numbers:\n%s", first.stdout)
	}
	masterPlatforms := platformsListing(t, "web1")
	masterConfig := configListing(t, "web1")
	for _, h := range aegirSlaves {
		mount := onHost(t, h, "findmnt -n -o FSTYPE,SOURCE --mountpoint "+aegirHome+"/platforms || echo none")
		if strings.TrimSpace(mount) != "fuse.sshfs root@web1:"+aegirHome+"/platforms" {
			t.Errorf("%s: %s/platforms is %q, want the master's share", h, aegirHome, mount)
		}
		if got := platformsListing(t, h); got != masterPlatforms {
			t.Errorf("%s: the platforms through the share differ from the master's:\n%s", h, firstDiff(masterPlatforms, got))
		}
		if got := configListing(t, h); got != masterConfig {
			t.Errorf("%s: /var/aegir/config differs from the master's:\n%s", h, firstDiff(masterConfig, got))
		}
		if got := onHost(t, h, "id -u aegir; id -g aegir"); got != aegirUID+"\n"+aegirUID+"\n" {
			t.Errorf("%s: aegir is %q, want uid and gid %s", h, got, aegirUID)
		}
		if got := onHost(t, h, "nginx -T 2>/dev/null | grep -c 'server_name   example.com' || true"); strings.TrimSpace(got) != "1" {
			t.Errorf("%s: nginx does not run the sites' vhosts (%s)", h, got)
		}
	}
	if r := shoal(t, "-C", dir, "plan", "--detailed-exitcode"); r.code != 0 {
		t.Fatalf("plan after apply exited %d (want 0: no changes)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := shoal(t, "-C", dir, "apply", "--yes"); r.code != 0 || !strings.Contains(r.stdout, "No changes") {
		t.Fatalf("third apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	t.Run("config change reloads the slaves once", func(t *testing.T) { testAegirReload(t, dir) })
	t.Run("uid mismatch", func(t *testing.T) { testAegirUIDs(t, dir) })
	t.Run("mount over local files", func(t *testing.T) { testAegirMountOver(t, dir) })
	t.Run("aegir missing on the master", func(t *testing.T) { testAegirMissingOnMaster(t, dir) })
}

// testAegirReload: Aegir adds a site on the master; the next apply copies
// its vhost to the slaves and reloads nginx there once (same master
// process, new workers), and never on the master.
func testAegirReload(t *testing.T, dir string) {
	before := map[string]string{}
	for _, h := range webHosts {
		before[h] = nginxProcesses(t, h)
	}
	onHost(t, "web1", `set -e
cd `+aegirHome+`/config/server_master/nginx/vhost.d
sed 's/example.com/new.example.com/g' example.com > new.example.com
chown aegir:aegir new.example.com`)
	r := shoal(t, "-C", dir, "plan", "--json")
	if r.code != 0 {
		t.Fatalf("plan: exit %d\n%s", r.code, r.stderr)
	}
	var changed []string
	for _, c := range planChanges(t, r.stdout) {
		if c.Action != "=" {
			changed = append(changed, c.ID)
		}
	}
	want := []string{
		"web2/replicate/var/aegir/config", "web3/replicate/var/aegir/config",
		"web2/service/aegir/nginx/reload", "web3/service/aegir/nginx/reload",
	}
	if strings.Join(sortedCopy(changed), "\n") != strings.Join(sortedCopy(want), "\n") {
		t.Errorf("plan after a vhost was added on the master:\n%s\nwant:\n%s", strings.Join(changed, "\n"), strings.Join(want, "\n"))
	}
	if r := shoal(t, "-C", dir, "apply", "--yes"); r.code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, h := range webHosts {
		after := nginxProcesses(t, h)
		master := func(s string) string { return strings.SplitN(s, "\n", 2)[0] }
		if master(after) != master(before[h]) {
			t.Errorf("%s: nginx's master process changed: restarted, not reloaded (%q → %q)", h, before[h], after)
		}
		if reloaded := after != before[h]; reloaded != (h != "web1") {
			t.Errorf("%s: workers before %q, after %q: want new workers on the slaves only", h, before[h], after)
		}
		if h != "web1" && !strings.Contains(onHost(t, h, "nginx -T 2>/dev/null"), "new.example.com") {
			t.Errorf("%s: nginx does not run the new vhost", h)
		}
	}
	if r := shoal(t, "-C", dir, "plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("plan after the reload: exit %d\n%s", r.code, r.stdout)
	}
}

// testAegirUIDs plants another uid and gid for aegir on web2: the plan
// stops naming both nodes' numbers and the fix; with fix_ids = true the
// apply renumbers web2's aegir, its own files follow, the share is left
// alone.
func testAegirUIDs(t *testing.T, dir string) {
	onHost(t, "web2", `set -e
sed -i 's/^aegir:x:1010:1010:/aegir:x:1011:1011:/' /etc/passwd
sed -i 's/^aegir:x:1010:/aegir:x:1011:/' /etc/group
find `+aegirHome+`/config -xdev -uid 1010 -exec chown -h 1011:1011 {} +
mkdir -p `+aegirHome+`/.drush
echo 'notes of web2' > `+aegirHome+`/.drush/web2-notes.txt
chown -R aegir:aegir `+aegirHome+`/.drush`)
	share := onHost(t, "web1", "find "+aegirHome+"/platforms -printf '%U:%G %p\\n' | sort")
	r := shoal(t, "-C", dir, "plan")
	expectRefusal(t, r, 1, "web2", "aegir uid is 1011 on web2 but 1010 on web1", "aegir gid is 1011 on web2 but 1010 on web1",
		"usermod -u 1010 aegir", "groupmod -g 1010 aegir", "fix_ids = true")
	if got := onHost(t, "web2", "id -u aegir"); got != "1011\n" {
		t.Fatalf("a refused plan changed aegir on web2: %q", got)
	}

	fixed := t.TempDir()
	cluster := readFile(t, filepath.Join(repoRoot, dir, "cluster.hcl"))
	writeFile(t, filepath.Join(fixed, "cluster.hcl"), strings.Replace(cluster, `  group   = "www-data"`, "  group   = \"www-data\"\n  fix_ids = true", 1))
	plan := shoal(t, "-C", fixed, "plan")
	if plan.code != 0 || !strings.Contains(plan.stdout, "fix_ids: give aegir web1's numbers (aegir uid 1011 → 1010, aegir gid 1011 → 1010)") {
		t.Fatalf("plan with fix_ids: exit %d\n%s\n%s", plan.code, plan.stdout, plan.stderr)
	}
	if r := shoal(t, "-C", fixed, "apply", "--yes"); r.code != 0 {
		t.Fatalf("apply with fix_ids: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := onHost(t, "web2", "id -u aegir; id -g aegir; stat -c '%U:%G %u' "+aegirHome+"/.drush/web2-notes.txt "+aegirHome+"/config/server_master/nginx.conf"); got != "1010\n1010\naegir:aegir 1010\naegir:aegir 1010\n" {
		t.Errorf("web2 after fix_ids: %q, want aegir 1010 owning its files", got)
	}
	if got := onHost(t, "web2", "findmnt -n -o FSTYPE --mountpoint "+aegirHome+"/platforms || echo none"); got != "fuse.sshfs\n" {
		t.Errorf("web2's share after fix_ids: %q, want it still mounted", got)
	}
	if got := onHost(t, "web1", "find "+aegirHome+"/platforms -printf '%U:%G %p\\n' | sort"); got != share {
		t.Errorf("fix_ids on web2 changed owners on the share:\n%s", firstDiff(share, got))
	}
	if r := shoal(t, "-C", fixed, "plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("plan after fix_ids: exit %d\n%s", r.code, r.stdout)
	}
}

// testAegirMountOver: web3's mount point holds a folder of its own (an
// old platform left from before): the plan names it and refuses, nothing
// moves; with mount_over = "move_aside" it is kept aside and the share
// mounted.
func testAegirMountOver(t *testing.T, dir string) {
	onHost(t, "web3", `set -e
umount `+aegirHome+`/platforms
mkdir -p `+aegirHome+`/platforms/drupal-6.38
echo '<?php // old' > `+aegirHome+`/platforms/drupal-6.38/index.php`)
	state := func() string {
		return onHost(t, "web3", "findmnt -n --mountpoint "+aegirHome+"/platforms || echo unmounted; find "+aegirHome+"/platforms "+aegirHome+"/platforms.shoal-local 2>/dev/null | sort")
	}
	before := state()
	r := shoal(t, "-C", dir, "apply", "--yes")
	expectRefusal(t, r, 3, "web3", aegirHome+"/platforms is not mounted and holds 1 entry (drupal-6.38)", `mount_over = "move_aside"`)
	if got := state(); got != before {
		t.Errorf("a refused mount changed web3:\n%s", firstDiff(before, got))
	}

	aside := t.TempDir()
	cluster := readFile(t, filepath.Join(repoRoot, dir, "cluster.hcl"))
	writeFile(t, filepath.Join(aside, "cluster.hcl"), strings.Replace(cluster, `  mount   = "`+aegirHome+`/platforms"`,
		"  mount   = \""+aegirHome+"/platforms\"\n  mount_over = \"move_aside\"", 1))
	if r := shoal(t, "-C", aside, "apply", "--yes"); r.code != 0 {
		t.Fatalf("apply with move_aside: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := onHost(t, "web3", "findmnt -n -o FSTYPE --mountpoint "+aegirHome+"/platforms; cat "+aegirHome+"/platforms.shoal-local/drupal-6.38/index.php"); got != "fuse.sshfs\n<?php // old\n" {
		t.Errorf("web3 after move_aside: %q", got)
	}
	if r := shoal(t, "-C", aside, "plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("plan after move_aside: exit %d\n%s", r.code, r.stdout)
	}
}

// testAegirMissingOnMaster: every node takes the master's numbers, so an
// aegir user missing there stops the plan and the apply.
func testAegirMissingOnMaster(t *testing.T, dir string) {
	onHost(t, "web1", `set -e
cp -p /etc/passwd /etc/passwd.e2e; cp -p /etc/group /etc/group.e2e
sed -i '/^aegir:/d' /etc/passwd /etc/group`)
	defer onHost(t, "web1", "mv /etc/passwd.e2e /etc/passwd; mv /etc/group.e2e /etc/group")
	before := configListing(t, "web2")
	for _, cmd := range [][]string{{"plan"}, {"apply", "--yes"}} {
		r := shoal(t, append([]string{"-C", dir}, cmd...)...)
		expectRefusal(t, r, 1, "user aegir does not exist on web1, the primary")
	}
	if got := configListing(t, "web2"); got != before {
		t.Errorf("a refused apply changed web2:\n%s", firstDiff(before, got))
	}
}

// stageAegir makes web1 an Aegir master with two platforms (Drupal 10
// and 7, two sites each) and nginx running, web2 a slave with the aegir
// user, web3 a bare host; both slaves know the master's host key (the
// sshfs login). Cleanup puts the hosts back.
func stageAegir(t *testing.T) {
	t.Helper()
	drupal := readFile(t, filepath.Join(repoRoot, "fixtures", "drupal", "stage.sh"))
	aegir := readFile(t, filepath.Join(repoRoot, "fixtures", "aegir-pack", "stage.sh"))
	t.Cleanup(func() { unstageAegir(t) })
	unstageAegir(t)
	onHost(t, "web1", `set -e
groupadd -g `+aegirUID+` aegir
useradd -u `+aegirUID+` -g aegir -G www-data -d `+aegirHome+` -s /bin/sh aegir
mkdir -p `+aegirHome+`/platforms`)
	onHost(t, "web1", "set -- "+aegirHome+"/platforms/drupal-10.2.5 --sites example.com,example.org\n"+drupal)
	onHost(t, "web1", "set -- "+aegirHome+"/platforms/drupal-7.100 --d7 --sites legacy.example.net,shop.example.net\n"+drupal)
	onHost(t, "web1", "set -- "+aegirHome+"\n"+aegir)
	onHost(t, "web1", "chown aegir:aegir "+aegirHome+" "+aegirHome+"/platforms; service nginx start >/dev/null")
	onHost(t, "web2", `set -e
groupadd -g `+aegirUID+` aegir
useradd -u `+aegirUID+` -g aegir -G www-data -d `+aegirHome+` -s /bin/sh aegir
mkdir -p `+aegirHome+`
chown aegir:aegir `+aegirHome)
	var master string
	for _, l := range strings.Split(readFile(t, filepath.Join(labDir, "known_hosts")), "\n") {
		if strings.HasPrefix(l, "web1,") {
			master = l
		}
	}
	if master == "" {
		t.Fatal("the lab's known_hosts has no line for web1")
	}
	for _, h := range aegirSlaves {
		onHost(t, h, "mkdir -p /root/.ssh; grep -qxF '"+master+"' /root/.ssh/known_hosts 2>/dev/null || echo '"+master+"' >> /root/.ssh/known_hosts")
	}
}

// unstageAegir removes what the Pack test made on every web host.
func unstageAegir(t *testing.T) {
	t.Helper()
	for _, h := range webHosts {
		onHost(t, h, `if service nginx status >/dev/null 2>&1; then service nginx stop >/dev/null; fi
if mountpoint -q `+aegirHome+`/platforms; then umount -l `+aegirHome+`/platforms; fi
if [ -f /etc/fstab ]; then sed -i '\# `+aegirHome+`/platforms #d' /etc/fstab; fi
rm -f /etc/nginx/conf.d/aegir.conf
rm -rf `+aegirHome+` `+aegirHome+`/platforms.shoal-local /var/lib/shoal/changed/aegir /var/lib/shoal/loaded/aegir
if [ -f /etc/passwd.e2e ]; then mv /etc/passwd.e2e /etc/passwd; mv /etc/group.e2e /etc/group; fi
userdel aegir 2>/dev/null || :
groupdel aegir 2>/dev/null || :`)
	}
}

// platformsListing lists the platforms as a node sees them: paths, types,
// sizes and checksums (owners differ by how a share maps them).
func platformsListing(t *testing.T, host string) string {
	t.Helper()
	return onHost(t, host, `cd `+aegirHome+`/platforms && find . -printf '%y %s %p %l\n' | sort
find . -type f -exec sha256sum {} + | sort -k2`)
}

// configListing describes /var/aegir/config without following links:
// type, mode, numeric owner, size, link target, checksum of every file.
func configListing(t *testing.T, host string) string {
	t.Helper()
	return onHost(t, host, `cd `+aegirHome+`/config && find . -type d -printf '%y %m %U:%G %p\n' -o -printf '%y %m %U:%G %s %p %l\n' | sort
find . -type f -exec sha256sum {} + | sort -k2`)
}

// nginxProcesses is nginx's master pid, then its workers' pids, sorted.
func nginxProcesses(t *testing.T, host string) string {
	t.Helper()
	return onHost(t, host, `m=$(cat /run/nginx.pid)
echo "$m"
ps -o pid= --ppid "$m" | sort -n | tr -d ' '`)
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
