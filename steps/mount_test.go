package steps

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
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
