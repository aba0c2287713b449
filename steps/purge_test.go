package steps

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

func TestPurgeDiff(t *testing.T) {
	const dir = "/var/www/d/cache/pages"
	for _, tt := range []struct {
		name string
		fact string
		want plan.Change
	}{
		{"empty", "dir 0 0 0", plan.Change{Action: plan.NoOp, Reason: "cache/pages is already empty"}},
		{"full", "dir 3 12 1024", plan.Change{Action: plan.Update,
			Summary: "empty cache/pages: remove 3 entries, 12 files (1.0 KiB)", Total: plan.Progress{Files: 12, Bytes: 1024}}},
		{"absent", "absent", plan.Change{Action: plan.Create, Summary: "create empty cache/pages owned by www-data:www-data"}},
		{"symlink", "symlink\n/mnt/nas/cache\n", plan.Change{Action: plan.Conflict,
			Reason: dir + " is a symlink to /mnt/nas/cache: a cache is never purged through a link"}},
		{"file", "file", plan.Change{Action: plan.Conflict, Reason: dir + " is a file, not a folder"}},
		{"missing on the primary", "dir 3 12 1024", plan.Change{Action: plan.NoOp,
			Reason: "cache/pages is missing on the primary web1: nothing to purge"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &Purge{NodeName: "web2", Site: "d", Root: "/var/www/d", Dir: "cache/pages", Owner: "www-data:www-data", Primary: "web1"}
			onPrimary := "dir"
			if tt.name == "missing on the primary" {
				onPrimary = "absent"
			}
			got, err := s.Diff(context.Background(), factFixtures{
				"web2": {s.contents().Key(): section(tt.fact)},
				"web1": {s.onPrimary().Key(): section(onPrimary)},
			})
			failOn(t, err)
			want := tt.want
			want.ID, want.Node, want.Site, want.Kind, want.Target = "web2/purge/var/www/d/cache/pages", "web2", "d", "purge", dir
			if d := cmp.Diff(&want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// purgeRun plans and applies s on this machine, then plans again.
func purgeRun(t *testing.T, s *Purge) (first, again *plan.Change, err error) {
	t.Helper()
	ctx, h := context.Background(), localNode()
	src := facts.NewSet(map[string]transport.Host{"web1": h})
	if first, err = s.Diff(ctx, src); err != nil {
		return nil, nil, err
	}
	if err = s.Apply(ctx, h, first, &recorder{}); err != nil {
		return first, nil, err
	}
	again, err = s.Diff(ctx, facts.NewSet(map[string]transport.Host{"web1": h}))
	return first, again, err
}

func TestPurgeApply(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	cache := filepath.Join(root, "cache dir")
	hostileTree(t, cache)
	failOn(t, os.WriteFile(filepath.Join(outside, "keep"), []byte("k"), 0o644))
	failOn(t, os.Symlink(outside, filepath.Join(cache, "-to outside")))
	// guard files ship with the code: dot-files and the names it keeps
	failOn(t, os.WriteFile(filepath.Join(cache, ".htaccess"), []byte("Deny from all"), 0o644))
	failOn(t, os.WriteFile(filepath.Join(cache, "index [1].html"), []byte("<html>"), 0o644))
	failOn(t, os.WriteFile(filepath.Join(cache, "sub dir", ".deeper"), []byte("cache"), 0o644))

	first, again, err := purgeRun(t, &Purge{NodeName: "web1", Root: root, Dir: "cache dir", Keep: []string{"index [1].html"}})
	failOn(t, err)
	if first.Action != plan.Update || again.Action != plan.NoOp {
		t.Errorf("first %s %s, then %s %s", first.Action, first.Summary, again.Action, again.Reason)
	}
	want := map[string]string{".": "dir", ".htaccess": digestOf("Deny from all"), "index [1].html": digestOf("<html>")}
	if d := cmp.Diff(want, treeDigest(t, cache)); d != "" {
		t.Errorf("cache left with (-want +got):\n%s", d)
	}
	if !exists(filepath.Join(outside, "keep")) || exists("pwned") {
		t.Error("purge reached outside the cache")
	}
}

func TestPurgeCreates(t *testing.T) {
	root := t.TempDir()
	first, again, err := purgeRun(t, &Purge{NodeName: "web1", Root: root, Dir: "new/cache", Owner: "daemon:daemon"})
	failOn(t, err)
	if first.Action != plan.Create || again.Action != plan.NoOp {
		t.Errorf("first %s %s, then %s %s", first.Action, first.Summary, again.Action, again.Reason)
	}
	if uid := ownerOf(t, filepath.Join(root, "new/cache")); uid != 1 {
		t.Errorf("created folder owned by uid %d, want daemon (1)", uid)
	}
}

// TestPurgeLeavesAFolderThePrimaryLacks: a cache folder of the recipe
// that the primary does not have (a cache plugin not installed) is not
// made on a replica, where replicate would delete it on the next run.
func TestPurgeLeavesAFolderThePrimaryLacks(t *testing.T) {
	root := t.TempDir()
	s := &Purge{NodeName: "web1", Root: root, Dir: "wp-content/cache", Primary: "web1"}
	c := planOn(t, s, localNode())
	if c.Action != plan.NoOp || c.Reason != "wp-content/cache is missing on the primary web1: nothing to purge" {
		t.Errorf("%c %q", c.Action, c.Reason)
	}
	failOn(t, os.MkdirAll(filepath.Join(root, "wp-content/cache/page"), 0o755))
	if c := planOn(t, s, localNode()); c.Action != plan.Update {
		t.Errorf("a folder there: %c %q", c.Action, c.Reason)
	}
}

func TestPurgeRefusesSymlinks(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	failOn(t, os.MkdirAll(filepath.Join(outside, "cache"), 0o755))
	failOn(t, os.WriteFile(filepath.Join(outside, "cache", "keep"), []byte("k"), 0o644))
	failOn(t, os.Symlink(outside, filepath.Join(root, "linked")))
	failOn(t, os.Symlink(filepath.Join(outside, "cache"), filepath.Join(root, "cache")))

	for _, dir := range []string{"cache", "linked/cache"} {
		s := &Purge{NodeName: "web1", Root: root, Dir: dir}
		if err := s.Apply(context.Background(), localNode(), &plan.Change{}, &recorder{}); err == nil {
			t.Errorf("%s: purged through a symlink", dir)
		}
	}
	if !exists(filepath.Join(outside, "cache", "keep")) {
		t.Error("a file behind a symlink was removed")
	}
}

// A root that is a symlink is refused unless the site follows it.
func TestPurgeRefusesARootLink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	failOn(t, os.MkdirAll(filepath.Join(real, "cache"), 0o755))
	failOn(t, os.WriteFile(filepath.Join(real, "cache", "c"), nil, 0o644))
	failOn(t, os.Symlink(real, filepath.Join(dir, "root")))
	s := &Purge{NodeName: "web1", Root: filepath.Join(dir, "root"), Dir: "cache"}
	if err := s.Apply(context.Background(), localNode(), &plan.Change{}, &recorder{}); err == nil {
		t.Fatal("purged through a root link")
	}
	if !exists(filepath.Join(real, "cache", "c")) {
		t.Fatal("a file behind the root link was removed")
	}
	s.FollowRootLink = true
	failOn(t, s.Apply(context.Background(), localNode(), &plan.Change{}, &recorder{}))
	if exists(filepath.Join(real, "cache", "c")) {
		t.Error("following the root link as told, the cache was not purged")
	}
}

// ownerOf is the uid of p itself, not of what it links to.
func ownerOf(t *testing.T, p string) int {
	t.Helper()
	c, err := facts.ReadPath(context.Background(), facts.NewSet(map[string]transport.Host{"web1": localNode()}), "web1", p)
	failOn(t, err)
	return c.UID
}
