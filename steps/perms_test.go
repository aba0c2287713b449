package steps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

func TestPermsDiff(t *testing.T) {
	const dir = "/var/www/d/media"
	for _, tt := range []struct {
		name       string
		onlyTarget bool
		path, own  string
		want       plan.Change
	}{
		{"right", false, dirOut(2, 2, 2, 1), "0 0", plan.Change{Action: plan.NoOp, Reason: "media is owned by www-data:www-data, directories 2775"}},
		{"wrong owners", false, dirOut(2, 2, 2, 1), "7 0", plan.Change{Action: plan.Update, Summary: "chown 7 entries in media to www-data:www-data"}},
		{"wrong both", false, dirOut(2, 2, 2, 1), "1 3", plan.Change{Action: plan.Update,
			Summary: "chown 1 entry in media to www-data:www-data, chmod 3 directories to 2775"}},
		{"wrong modes", false, dirOut(2, 2, 2, 1), "0 3", plan.Change{Action: plan.Update, Summary: "chmod 3 directories in media to 2775"}},
		{"absent", false, absentOut, "absent", plan.Change{Action: plan.Create, Summary: "create media owned by www-data:www-data, directories 2775"}},
		{"replica link", false, linkOut("/mnt/nas/d/media"), "5 5", plan.Change{Action: plan.NoOp,
			Reason: "media links to /mnt/nas/d/media: its owners are managed on the primary"}},
		{"primary link", true, linkOut("/mnt/nas/d/media"), "5 0", plan.Change{Action: plan.Update, Summary: "chown 5 entries in media to www-data:www-data"}},
		{"no such user", false, dirOut(2, 2, 2, 1), "unknown-user", plan.Change{Action: plan.Conflict, Reason: "user www-data does not exist on web1"}},
		{"a file", false, fileOut(), "0 0", plan.Change{Action: plan.Conflict, Reason: dir + " is a file, not a folder"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &Perms{NodeName: "web1", Site: "d", Root: "/var/www/d", Dir: "media", Owner: "www-data", Group: "www-data", Mode: "2775", OnlyTarget: tt.onlyTarget}
			src := factFixtures{"web1": {"path-shallow:" + dir: section(tt.path), s.ownership().Key(): section(tt.own)}}
			got, err := s.Diff(context.Background(), src)
			failOn(t, err)
			want := tt.want
			want.ID, want.Node, want.Site, want.Kind, want.Target = "web1/perms/var/www/d/media", "web1", "d", "perms", dir
			if d := cmp.Diff(&want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// permsRun plans and applies s on this machine, then plans again.
func permsRun(t *testing.T, s *Perms) (first, again *plan.Change) {
	t.Helper()
	ctx, h := context.Background(), localNode()
	first, err := s.Diff(ctx, facts.NewSet(map[string]transport.Host{"web1": h}))
	failOn(t, err)
	if first.Action != plan.NoOp {
		failOn(t, s.Apply(ctx, h, first, &recorder{}))
	}
	again, err = s.Diff(ctx, facts.NewSet(map[string]transport.Host{"web1": h}))
	failOn(t, err)
	return first, again
}

func TestPermsApplyNeverFollowsLinks(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	media := filepath.Join(root, "media")
	hostileTree(t, media)
	failOn(t, os.WriteFile(filepath.Join(outside, "theirs"), nil, 0o644))
	failOn(t, os.Symlink(outside, filepath.Join(media, "-escape")))

	first, again := permsRun(t, &Perms{NodeName: "web1", Root: root, Dir: "media", Owner: "daemon", Group: "daemon", Mode: "2775"})
	if first.Action != plan.Update || again.Action != plan.NoOp {
		t.Fatalf("first %s %s, then %s %s", first.Action, first.Summary, again.Action, again.Summary)
	}
	for _, p := range []string{media, filepath.Join(media, "sub dir", "-x", "deep file.png"), filepath.Join(media, "-escape")} {
		if uid := ownerOf(t, p); uid != 1 {
			t.Errorf("%s owned by %d, want daemon", p, uid)
		}
	}
	for _, p := range []string{outside, filepath.Join(outside, "theirs")} {
		if uid := ownerOf(t, p); uid != 0 {
			t.Errorf("%s behind a link was chowned to %d", p, uid)
		}
	}
	if info := stat(t, filepath.Join(media, "empty dir")); info.Mode()&os.ModePerm != 0o775 || info.Mode()&os.ModeSetgid == 0 {
		t.Errorf("directory mode %v, want 2775", info.Mode())
	}
}

func TestPermsLinkedFolder(t *testing.T) {
	root, storage, outside := t.TempDir(), t.TempDir(), t.TempDir()
	failOn(t, os.WriteFile(filepath.Join(storage, "photo"), nil, 0o644))
	failOn(t, os.Symlink(outside, filepath.Join(storage, "escape")))
	failOn(t, os.Symlink(storage, filepath.Join(root, "media")))

	replica := &Perms{NodeName: "web1", Root: root, Dir: "media", Owner: "daemon", Group: "daemon"}
	if first, _ := permsRun(t, replica); first.Action != plan.NoOp || ownerOf(t, filepath.Join(storage, "photo")) != 0 {
		t.Fatalf("a replica changed the storage: %s %s", first.Action, first.Summary)
	}
	primary := &Perms{NodeName: "web1", Root: root, Dir: "media", Owner: "daemon", Group: "daemon", OnlyTarget: true}
	first, again := permsRun(t, primary)
	if first.Action != plan.Update || again.Action != plan.NoOp {
		t.Fatalf("first %s %s, then %s %s", first.Action, first.Summary, again.Action, again.Summary)
	}
	if ownerOf(t, storage) != 1 || ownerOf(t, filepath.Join(storage, "photo")) != 1 {
		t.Error("the primary did not chown the storage folder")
	}
	if ownerOf(t, outside) != 0 {
		t.Error("chowned through a link inside the storage")
	}
}

// A shallow Perms (a writable folder on the storage) owns the folder and
// leaves the uploads under it, and their owners, alone.
func TestPermsShallowLeavesTheContentAlone(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root: chown needs it")
		}
		t.Skip("chown needs root")
	}
	root := t.TempDir()
	dir := filepath.Join(root, "media", "images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	upload := filepath.Join(dir, "upload.jpg")
	if err := os.WriteFile(upload, []byte("jpeg"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Perms{NodeName: "web1", Site: "s", Root: root, Dir: "media/images", Owner: "nobody", Group: "nogroup", Shallow: true}
	h := &transport.Local{NodeName: "web1"}
	src := facts.NewSet(map[string]transport.Host{"web1": h})
	c, err := s.Diff(context.Background(), src)
	if err != nil || c.Action != plan.Update {
		t.Fatalf("plan: %v %+v", err, c)
	}
	if err := s.Apply(context.Background(), h, c, &recorder{}); err != nil {
		t.Fatal(err)
	}
	owner := func(p string) uint32 {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return st.Sys().(*syscall.Stat_t).Uid
	}
	if owner(dir) == 0 || owner(upload) != 0 {
		t.Errorf("folder uid %d (want nobody), upload uid %d (want untouched root)", owner(dir), owner(upload))
	}
	again, err := s.Diff(context.Background(), facts.NewSet(map[string]transport.Host{"web1": h}))
	if err != nil || again.Action != plan.NoOp {
		t.Errorf("re-plan: %v %+v", err, again)
	}
}

// A writable folder reached through a symlink the site's users planted
// (or a root that is one) is refused; the dynamic folder's own link to
// the storage is the one link passed on the way.
func TestPermsRefusesFoldersReachedThroughLinks(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root: chown needs it")
		}
		t.Skip("chown needs root")
	}
	root, outside, storage := t.TempDir(), t.TempDir(), t.TempDir()
	failOn(t, os.MkdirAll(filepath.Join(outside, "conf"), 0o755))
	failOn(t, os.MkdirAll(filepath.Join(storage, "images"), 0o755))
	failOn(t, os.Symlink(outside, filepath.Join(root, "forum")))
	failOn(t, os.Symlink(storage, filepath.Join(root, "media")))
	failOn(t, os.Symlink(root, filepath.Join(outside, "root link")))
	for _, s := range []*Perms{
		{NodeName: "web1", Root: root, Dir: "forum/conf", Owner: "daemon", Group: "daemon"},
		{NodeName: "web1", Root: root, Dir: "media/images", Owner: "daemon", Group: "daemon", Shallow: true},
		{NodeName: "web1", Root: root, Dir: "media/images", Owner: "daemon", Group: "daemon", Shallow: true, Via: "media", ViaTarget: "/elsewhere"},
		{NodeName: "web1", Root: filepath.Join(outside, "root link"), Dir: "media/images", Owner: "daemon", Group: "daemon",
			Shallow: true, Via: "media", ViaTarget: storage},
	} {
		err := s.Apply(context.Background(), localNode(), &plan.Change{}, &recorder{})
		if err == nil || !strings.Contains(err.Error(), "is a symlink: refusing to work through it") {
			t.Errorf("%s in %s: %v, want a refusal", s.Dir, s.Root, err)
		}
	}
	if ownerOf(t, filepath.Join(outside, "conf")) != 0 || ownerOf(t, filepath.Join(storage, "images")) != 0 {
		t.Fatal("chowned through a link")
	}
	onStorage := &Perms{NodeName: "web1", Root: root, Dir: "media/images", Owner: "daemon", Group: "daemon", Shallow: true, Via: "media", ViaTarget: storage}
	failOn(t, onStorage.Apply(context.Background(), localNode(), &plan.Change{}, &recorder{}))
	if ownerOf(t, filepath.Join(storage, "images")) != 1 {
		t.Error("a writable folder on the storage was not owned through its dynamic folder's link")
	}
}
