package lab

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMain(m *testing.M) {
	RunHostIfRequested()
	os.Exit(m.Run())
}

// needLab skips when the lab cannot run here, except in CI, where the lab
// tests must run: there a missing prerequisite is a failure.
func needLab(t *testing.T) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, bin := range []string{"/usr/sbin/sshd", "ssh", "sshfs", "ip"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but the lab cannot run: missing %s", strings.Join(missing, ", "))
	}
	t.Skipf("lab needs %s", strings.Join(missing, ", "))
}

// testNet is where this package's labs start looking for a free network,
// leaving network 0 to labs that tests of other packages start meanwhile.
const testNet = 8

func upLab(t *testing.T, o Options) *Lab {
	t.Helper()
	o.firstNet = testNet
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	lab, err := Up(ctx, o)
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	t.Logf("lab with %d web hosts up on %s in %v", o.Web, lab.Bridge, time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := Down(lab.Dir); err != nil {
			t.Errorf("Down: %v", err)
		}
	})
	return lab
}

// sshRun runs a command on a lab host with the real OpenSSH client.
func sshRun(t *testing.T, lab *Lab, host, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ssh", "-F", lab.SSHConfig, "-o", "BatchMode=yes", host, script).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh %s %q: %v: %s", host, script, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestLabSSHFS(t *testing.T) {
	needLab(t)
	t.Parallel() // with the next test: two labs at once
	lab := upLab(t, Options{Dir: filepath.Join(t.TempDir(), "lab"), Web: 2})

	for _, h := range []string{"files", "web1", "web2"} {
		if got := sshRun(t, lab, h, "hostname"); got != h {
			t.Errorf("hostname on %s = %q", h, got)
		}
	}
	keys := map[string]string{}
	for _, h := range lab.Hosts {
		key := sshRun(t, lab, h.Name, "cat /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f2")
		if other, seen := keys[key]; seen {
			t.Errorf("%s and %s share a host key", h.Name, other)
		}
		keys[key] = h.Name
	}
	machineKey, err := os.ReadFile("/etc/ssh/ssh_host_ed25519_key.pub")
	if err == nil {
		if name, seen := keys[strings.Fields(string(machineKey))[1]]; seen {
			t.Errorf("%s presents this machine's host key", name)
		}
	}

	wantMount := "fuse.sshfs root@files:/srv/nas"
	if got := sshRun(t, lab, "web1", "findmnt -n -o FSTYPE,SOURCE /mnt/nas"); got != wantMount {
		t.Errorf("/mnt/nas on web1 is %q, want %q", got, wantMount)
	}
	sshRun(t, lab, "web1", "echo from-web1 > /mnt/nas/shared.txt")
	if got := sshRun(t, lab, "web2", "cat /mnt/nas/shared.txt"); got != "from-web1" {
		t.Errorf("web2 reads %q from the share, want from-web1", got)
	}
	if got := sshRun(t, lab, "files", "cat /srv/nas/shared.txt"); got != "from-web1" {
		t.Errorf("files reads %q from /srv/nas, want from-web1", got)
	}
	hidden := sshRun(t, lab, "web1", "echo /work: $(ls -A /work) /home: $(ls -A /home) /root: $(ls -A /root) /tmp: $(ls -A /tmp)")
	if diff := cmp.Diff("/work: /home: /root: .ssh /tmp:", hidden); diff != "" {
		t.Errorf("web1 sees this machine's folders (-want +got):\n%s", diff)
	}
	if got := sshRun(t, lab, "web1", "stat -c %a /run/lock"); got != "1777" {
		t.Errorf("/run/lock on web1 has mode %q, want 1777 as at boot (jobs keep their flock files there)", got)
	}
	if got := sshRun(t, lab, "web1", "ip route show default"); got != "" {
		t.Errorf("web1 has a route out: %s", got)
	}
	// known_hosts holds each key under the address too, not only the alias.
	web2 := lab.Hosts[2]
	out, err := exec.Command("ssh", "-i", lab.IdentityFile, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "UserKnownHostsFile="+lab.KnownHosts, "-o", "StrictHostKeyChecking=yes", "root@"+web2.Addr, "hostname").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "web2" {
		t.Errorf("ssh root@%s with the lab's known_hosts: %v: %s", web2.Addr, err, out)
	}
	if got := sshRun(t, lab, "web1", "id -u www-data && getent hosts files"); !strings.Contains(got, lab.Hosts[0].Addr) {
		t.Errorf("web1: www-data or files missing: %s", got)
	}
}

func TestLabDownRemovesEverythingAndUpAgain(t *testing.T) {
	needLab(t)
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "lab")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	lab, err := Up(ctx, Options{Dir: dir, Web: 1, Storage: StorageBind, firstNet: testNet})
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	t.Logf("bind lab up on %s", lab.Bridge)
	if _, err := Up(ctx, Options{Dir: dir, Web: 1, firstNet: testNet}); err == nil || !strings.Contains(err.Error(), "already up") {
		t.Errorf("second Up in the same dir: err = %v, want 'already up'", err)
	}
	sshRun(t, lab, "web1", "echo bound > /mnt/nas/f")
	if got := sshRun(t, lab, "files", "cat /srv/nas/f"); got != "bound" {
		t.Errorf("files reads %q, want bound", got)
	}
	st, err := readState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := Down(dir); err != nil {
		t.Fatalf("Down: %v", err)
	}
	for _, h := range lab.Hosts {
		if _, err := os.Stat("/proc/" + strconv.Itoa(h.PID)); err == nil {
			if start, zombie, ok := procStart(h.PID); ok && !zombie && start != 0 {
				t.Errorf("%s: pid %d still runs after Down", h.Name, h.PID)
			}
		}
	}
	for _, link := range []string{lab.Bridge, st.Net.veth("files"), st.Net.veth("web1")} {
		if exec.Command("ip", "link", "show", "dev", link).Run() == nil {
			t.Errorf("link %s still exists after Down", link)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("lab dir %s still exists after Down (err %v)", dir, err)
	}
	if err := Down(dir); err != nil {
		t.Errorf("second Down: %v", err)
	}

	// Up again in a directory that holds something of the user's: the
	// second lab must answer (no stale ARP), and Down must leave that alone.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(dir, "keep.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	lab, err = Up(ctx, Options{Dir: dir, Web: 1, Storage: StorageBind, firstNet: testNet})
	if err != nil {
		t.Fatalf("Up after Down: %v", err)
	}
	if got := sshRun(t, lab, "web1", "hostname"); got != "web1" {
		t.Errorf("after up/down/up, web1 hostname = %q", got)
	}

	// A host that died: Status says so, Down still cleans up.
	if err := syscall.Kill(lab.Hosts[1].PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	_, statuses, err := Status(dir)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	got := map[string][2]bool{}
	for _, s := range statuses {
		got[s.Host.Name] = [2]bool{s.Running, s.SSH}
	}
	want := map[string][2]bool{"files": {true, true}, "web1": {false, false}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Status after killing web1: [running, ssh] (-want +got):\n%s", diff)
	}
	if err := Down(dir); err != nil {
		t.Fatalf("Down with a dead host: %v", err)
	}
	if linkExists(lab.Bridge) {
		t.Errorf("bridge %s still exists after Down", lab.Bridge)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("Down removed the user's dir: %v", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"keep.txt"}, names); diff != "" {
		t.Errorf("left in the lab dir after Down (-want +got):\n%s", diff)
	}
}

func TestUpCleansUpWhenItFails(t *testing.T) {
	needLab(t)
	dir := filepath.Join(t.TempDir(), "lab")
	before := labBridges(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // hosts start, but Up gives up waiting for them at once
	if _, err := Up(ctx, Options{Dir: dir, Web: 1, firstNet: testNet}); err == nil {
		t.Fatal("Up with a cancelled context succeeded")
	}
	if diff := cmp.Diff(before, labBridges(t)); diff != "" {
		t.Errorf("lab bridges before and after a failed Up (-before +after):\n%s", diff)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("lab dir left behind by a failed Up (err %v)", err)
	}
}

// labBridges lists the bridges of networks this package's tests use (other
// packages' labs may come and go meanwhile on lower ones).
func labBridges(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("ip", "-o", "link", "show", "type", "bridge").Output()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		name := strings.TrimSuffix(f[1], ":")
		if index, err := strconv.Atoi(strings.TrimPrefix(name, "shoal-lab")); err == nil && index >= testNet {
			names = append(names, name)
		}
	}
	return names
}
