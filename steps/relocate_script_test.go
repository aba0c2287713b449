package steps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

// A link run as a bare script (no read first) must prove the storage is
// mounted before it makes anything under the mount point.
func TestRelocateLinkScriptChecksTheMount(t *testing.T) {
	if st, err := os.Stat("/dev/shm"); err != nil || !st.IsDir() {
		t.Skip("no /dev/shm")
	}
	root := t.TempDir()
	link := &plan.Change{Payload: state("create-link")}
	h := &transport.Local{NodeName: "web2"}

	unmounted := t.TempDir() // a plain folder: not a mount point
	s := &Relocate{NodeName: "web2", Site: "s", Root: root, Dir: "media",
		Shared: filepath.Join(unmounted, "s", "media"), Mount: unmounted, MountCheck: "tmpfs", Replica: true}
	err := h.Run(context.Background(), transport.Command{Script: s.ApplyScript(link)})
	if err == nil || !strings.Contains(err.Error(), "not mounted") {
		t.Fatalf("unmounted storage: %v", err)
	}
	if entries, _ := os.ReadDir(unmounted); len(entries) != 0 {
		t.Fatalf("the script made %v under a mount point that is not mounted", entries)
	}

	storage, err := os.MkdirTemp("/dev/shm", "shoal-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(storage) })
	// /dev/shm is the mount point; the test's folder inside it stands for the site's share
	s.Mount, s.Shared = "/dev/shm", filepath.Join(storage, "s", "media")
	for _, fstype := range []string{"fuse.sshfs", "tmpfs"} {
		s.MountCheck = fstype
		err := h.Run(context.Background(), transport.Command{Script: s.ApplyScript(link)})
		if fstype == "fuse.sshfs" {
			if err == nil || !strings.Contains(err.Error(), "not fuse.sshfs") {
				t.Fatalf("a storage of the wrong kind must be refused: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if target, err := os.Readlink(filepath.Join(root, "media")); err != nil || target != s.Shared {
		t.Fatalf("media links to %q (%v)", target, err)
	}
	if err := h.Run(context.Background(), transport.Command{Script: s.ApplyScript(link)}); err != nil {
		t.Fatalf("running the link again must pass: %v", err)
	}
	if got := s.ApplyScript(&plan.Change{Payload: state("copy")}); got != "" {
		t.Error("moving data must go through Apply, never a bare script")
	}
}
