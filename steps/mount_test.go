package steps

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
)

const mountinfo = `22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
40 22 0:45 / /mnt/nas rw,relatime shared:20 - nfs4 10.0.0.1:/srv/nas rw,vers=4.2
`

func TestMountDiff(t *testing.T) {
	emptyDir := facts.Section{Output: "dir 755 0 0 empty"}
	tests := []struct {
		name  string
		step  Mount
		table string
		at    facts.Section
		want  plan.Change
	}{
		{"mounted", Mount{MountPoint: "/mnt/nas", ExpectSource: "10.0.0.1:/srv/nas/"}, mountinfo, emptyDir,
			plan.Change{Action: plan.NoOp, Reason: "/mnt/nas is mounted from 10.0.0.1:/srv/nas"}},
		{"other source", Mount{MountPoint: "/mnt/nas", ExpectSource: "10.0.0.9:/srv/nas"}, mountinfo, emptyDir,
			plan.Change{Action: plan.Conflict, Reason: "/mnt/nas is mounted from 10.0.0.1:/srv/nas, not 10.0.0.9:/srv/nas"}},
		{"not mounted", Mount{MountPoint: "/mnt/data"}, mountinfo, emptyDir,
			plan.Change{Action: plan.Create, Summary: "mount /mnt/data"}},
		{"no folder yet", Mount{MountPoint: "/mnt/data"}, mountinfo, facts.Section{Output: "absent"},
			plan.Change{Action: plan.Create, Summary: "mount /mnt/data"}},
		{"local files", Mount{MountPoint: "/mnt/data", Storage: "platforms"}, mountinfo, facts.Section{Output: "dir 755 0 0 full"},
			plan.Change{Action: plan.Conflict, Reason: "/mnt/data is not mounted and holds 7 entries (drupal-10.2, drupal-7.100, hostmaster, " +
				"\"odd\\nname\", README.txt, …) with 1,204 files (3.0 MiB): mounting would hide them. Move them away, or set mount_over = \"move_aside\" " +
				"in storage \"platforms\" to have shoal rename the folder to /mnt/data.shoal-local first"}},
		{"local files moved aside", Mount{MountPoint: "/mnt/data", MoveAside: true}, mountinfo, facts.Section{Output: "dir 755 0 0 full"},
			plan.Change{Action: plan.Update, Total: plan.Progress{Files: 1204, Bytes: 3 << 20},
				Summary: "move /mnt/data's own 7 entries (drupal-10.2, drupal-7.100, hostmaster, \"odd\\nname\", README.txt, …) with 1,204 files (3.0 MiB) aside to /mnt/data.shoal-local, then mount it"}},
		{"verify only", Mount{MountPoint: "/mnt/data", Type: "mounted", VerifyOnly: true}, mountinfo, emptyDir,
			plan.Change{Action: plan.Conflict, Reason: "/mnt/data is not mounted (storage type mounted: shoal only verifies)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.step
			m.NodeName = "web2"
			src := fixedFacts{"web2": {"mountinfo": {Output: tt.table}, "file:" + m.MountPoint: tt.at,
				"path:" + m.MountPoint:                          {Output: "dir 0 0 755 2049\n7 1204 3145728"},
				"dir-entries:" + m.MountPoint:                   {Output: "drupal-10.2\x00drupal-7.100\x00hostmaster\x00odd\nname\x00README.txt\x00"},
				"path-shallow:" + m.MountPoint + ".shoal-local": {Output: "absent"},
			}}
			got, err := m.Diff(context.Background(), src)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.ID, want.Node, want.Kind, want.Target = "web2/mount"+m.MountPoint, "web2", "mount", m.MountPoint
			if d := cmp.Diff(&want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// TestMountApplyThenNoOp mounts a tmpfs declared in a test fstab; it needs
// root and a kernel that lets this process mount.
func TestMountApplyThenNoOp(t *testing.T) {
	dir := t.TempDir()
	probe := filepath.Join(dir, "probe")
	if err := os.Mkdir(probe, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("mount", "-t", "tmpfs", "shoal-probe", probe).Run(); err != nil {
		t.Skipf("cannot mount here: %v", err)
	}
	if err := exec.Command("umount", probe).Run(); err != nil {
		t.Fatal(err)
	}
	mp := filepath.Join(dir, "mnt nas")
	fstab := filepath.Join(dir, "fstab")
	if err := os.WriteFile(fstab, []byte("shoal-test "+escapeFstab(mp)+" tmpfs size=1m 0 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exec.Command("umount", mp).Run() })
	m := &Mount{NodeName: "web2", MountPoint: mp, Type: "nfs", ExpectSource: "shoal-test", Fstab: fstab}
	if c := applyAndRediff(t, m); c.Action != plan.NoOp {
		t.Errorf("after apply: %+v", c)
	}
}

// TestMountScriptsGolden: the script that mounts a storage (from its
// fstab line), refusing a mount point with files of its own or moving
// them aside.
func TestMountScriptsGolden(t *testing.T) {
	for _, tt := range []struct {
		state string
		m     Mount
	}{
		{"refuse", Mount{MountPoint: "/var/aegir/platforms", Type: "nfs"}},
		{"move-aside", Mount{MountPoint: "/var/aegir/platforms", Type: "nfs", MoveAside: true}},
	} {
		t.Run(tt.state, func(t *testing.T) { goldenScript(t, "mount", tt.state, tt.m.Script()) })
	}
}

// An sshfs mount the node could not log in for is refused in the plan,
// naming what is missing and how to fix it, instead of failing at apply
// with sshfs's "Connection reset by peer".
func TestMountChecksTheSSHFSLogin(t *testing.T) {
	login := SSHFSLogin("/mnt/data", "files", MountOptions("sshfs", "/srv/nas", "", ""))
	if d := cmp.Diff([]string{"IdentityFile=/root/.ssh/id_ed25519"}, login.Options); d != "" {
		t.Errorf("ssh options taken from the mount options (-want +got)\n%s", d)
	}
	for _, tt := range []struct {
		name     string
		keyFile  string
		keyState string // FileSum output for keyFile
		out      string
		action   plan.Action
		says     []string
	}{
		{"logs in", "", "", "tried 0", plan.Create, []string{"mount /mnt/data"}},
		{"host key unknown", "", "", "tried 255\nHost key verification failed.", plan.Conflict,
			[]string{"web2 cannot mount /mnt/data with sshfs", "does not know files's SSH host key", "/root/.ssh/known_hosts", "`ssh root@files true`"}},
		{"key refused", "", "", "tried 255\nroot@files: Permission denied (publickey).", plan.Conflict,
			[]string{"files does not accept the key /root/.ssh/id_ed25519 of web2", "/root/.ssh/id_ed25519.pub", "authorized_keys of root on files"}},
		{"key missing", "", "", "tried 255\nno such identity: /root/.ssh/id_ed25519: No such file or directory", plan.Conflict,
			[]string{"the key /root/.ssh/id_ed25519 does not exist on web2", "ssh-keygen"}},
		{"key shoal writes first", "/root/.ssh/id_ed25519", "absent", "tried 255\nno such identity: /root/.ssh/id_ed25519: No such file or directory", plan.Create,
			[]string{"mount /mnt/data"}},
		{"key shoal replaces first", "/root/.ssh/id_ed25519", "file 600 0 0\nold", "tried 255\nroot@files: Permission denied (publickey).", plan.Create,
			[]string{"mount /mnt/data"}},
		{"key shoal wrote, refused", "/root/.ssh/id_ed25519", "file 600 0 0\nwanted", "tried 255\nroot@files: Permission denied (publickey).", plan.Conflict,
			[]string{"files does not accept the key /root/.ssh/id_ed25519 of web2"}},
		{"no sshfs", "", "", "no-sshfs", plan.Conflict, []string{"sshfs is not installed on web2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := &Mount{NodeName: "web2", MountPoint: "/mnt/data", Type: "sshfs", Login: login, Server: "files", KeyFile: tt.keyFile, KeySum: "wanted"}
			src := fixedFacts{"web2": {"mountinfo": {Output: mountinfo}, "file:/mnt/data": {Output: "absent"}, login.Key(): {Output: tt.out},
				"filesum:" + tt.keyFile: {Output: tt.keyState}}}
			c, err := m.Diff(context.Background(), src)
			if err != nil {
				t.Fatal(err)
			}
			if c.Action != tt.action {
				t.Errorf("action %c, want %c: %s%s", c.Action, tt.action, c.Summary, c.Reason)
			}
			for _, s := range tt.says {
				if !strings.Contains(c.Summary+c.Reason, s) {
					t.Errorf("%q does not say %q", c.Summary+c.Reason, s)
				}
			}
		})
	}
	// mounted: nothing is tried, so a plan of converged nodes opens no SSH connection
	m := &Mount{NodeName: "web2", MountPoint: "/mnt/nas", Type: "sshfs", Login: SSHFSLogin("/mnt/nas", "files", ""), ExpectSource: "10.0.0.1:/srv/nas"}
	c, err := m.Diff(context.Background(), fixedFacts{"web2": {"mountinfo": {Output: mountinfo}, "file:/mnt/nas": {Output: "dir 755 0 0 empty"}}})
	if err != nil || c.Action != plan.NoOp {
		t.Errorf("mounted: %+v %v", c, err)
	}
}
