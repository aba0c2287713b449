package steps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

// relocateLab is a site root and a storage folder in temp dirs, the
// storage made to look mounted.
type relocateLab struct {
	step         *Relocate
	L, S, O, P   string
	storageMount string
}

func newRelocateLab(t *testing.T) relocateLab {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "www", "site 'root'")
	storage := filepath.Join(base, "nas")
	failOn(t, os.MkdirAll(root, 0o755))
	failOn(t, os.MkdirAll(storage, 0o755))
	s := &Relocate{NodeName: "web1", Site: "community", Root: root, Dir: "media $(files)",
		Shared: filepath.Join(storage, "community", "media $(files)"), Mount: storage, Observe: observeMounted(storage)}
	return relocateLab{step: s, L: s.local(), S: s.Shared, O: s.old(), P: s.partial(), storageMount: storage}
}

func (l relocateLab) plan(t *testing.T) *plan.Change {
	t.Helper()
	c, err := l.step.Diff(context.Background(), l.step.Observe(localNode()))
	failOn(t, err)
	return c
}

func (l relocateLab) apply(t *testing.T, c *plan.Change) (*recorder, error) {
	t.Helper()
	rec := &recorder{}
	return rec, l.step.Apply(context.Background(), localNode(), c, rec)
}

// assertMoved checks L links to S, S holds want, and nothing is left over.
func (l relocateLab) assertMoved(t *testing.T, want map[string]string) {
	t.Helper()
	if target, err := os.Readlink(l.L); err != nil || target != l.S {
		t.Fatalf("%s links to %q (%v), want %s", l.L, target, err, l.S)
	}
	if d := cmp.Diff(want, treeDigest(t, l.S)); d != "" {
		t.Errorf("storage content (-want +got):\n%s", d)
	}
	for _, p := range []string{l.O, l.P, "pwned", "pwned2", filepath.Join(l.S, "pwned")} {
		if exists(p) {
			t.Errorf("%s is left over", p)
		}
	}
	if c := l.plan(t); c.Action != plan.NoOp {
		t.Errorf("plan after apply: %s %s %s", c.Action, c.Summary, c.Reason)
	}
}

func cpTree(t *testing.T, from, to string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", "--", from, to).CombinedOutput(); err != nil {
		t.Fatalf("cp -a %s %s: %v: %s", from, to, err, out)
	}
}

func TestRelocateApplyMoves(t *testing.T) {
	for _, tt := range []struct {
		name      string
		forceCopy bool
		state     string
	}{{"rename", false, "rename"}, {"copy", true, "copy"}} {
		t.Run(tt.name, func(t *testing.T) {
			lab := newRelocateLab(t)
			lab.step.ForceCopy = tt.forceCopy
			hostileTree(t, lab.L)
			stamp := filepath.Join(lab.L, "with space.jpg")
			before, infoBefore := treeDigest(t, lab.L), stat(t, stamp)

			c := lab.plan(t)
			if c.Action != plan.Create || payloadState(c) != tt.state {
				t.Fatalf("plan: %s %s (%s)", c.Action, c.Summary, payloadState(c))
			}
			rec, err := lab.apply(t, c)
			failOn(t, err)
			lab.assertMoved(t, before)

			after := stat(t, filepath.Join(lab.S, "with space.jpg"))
			if after.Mode() != infoBefore.Mode() || !after.ModTime().Equal(infoBefore.ModTime()) {
				t.Errorf("mode/mtime not kept: %v %v, was %v %v", after.Mode(), after.ModTime(), infoBefore.Mode(), infoBefore.ModTime())
			}
			if rec.last() != c.Total {
				t.Errorf("progress ended at %+v, plan said %+v", rec.last(), c.Total)
			}
		})
	}
}

func stat(t *testing.T, p string) os.FileInfo {
	t.Helper()
	info, err := os.Lstat(p)
	failOn(t, err)
	return info
}

func TestRelocateFinishesInterruptedMoves(t *testing.T) {
	for _, tt := range []struct {
		name  string
		state string
		build func(t *testing.T, l relocateLab)
	}{
		{"a: partial copy", "copy", func(t *testing.T, l relocateLab) {
			failOn(t, os.MkdirAll(l.P, 0o755))
			failOn(t, os.WriteFile(filepath.Join(l.P, "plain.txt"), []byte("half"), 0o644))
			failOn(t, os.WriteFile(filepath.Join(l.P, "stale"), []byte("gone from L"), 0o644))
		}},
		{"b: moved aside, copy complete", "finish-partial", func(t *testing.T, l relocateLab) {
			failOn(t, os.MkdirAll(filepath.Dir(l.P), 0o755))
			cpTree(t, l.L, l.P)
			failOn(t, os.Rename(l.L, l.O))
		}},
		{"c: moved aside, storage in place", "finish-shared", func(t *testing.T, l relocateLab) {
			failOn(t, os.MkdirAll(filepath.Dir(l.S), 0o755))
			cpTree(t, l.L, l.S)
			failOn(t, os.Rename(l.L, l.O))
		}},
		{"d: linked, old copy left", "clean-old", func(t *testing.T, l relocateLab) {
			failOn(t, os.MkdirAll(filepath.Dir(l.S), 0o755))
			cpTree(t, l.L, l.S)
			failOn(t, os.Rename(l.L, l.O))
			failOn(t, os.Symlink(l.S, l.L))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lab := newRelocateLab(t)
			lab.step.ForceCopy = true
			hostileTree(t, lab.L)
			want := treeDigest(t, lab.L)
			tt.build(t, lab)

			c := lab.plan(t)
			if payloadState(c) != tt.state {
				t.Fatalf("plan: %s %s %s (%s), want state %s", c.Action, c.Summary, c.Reason, payloadState(c), tt.state)
			}
			_, err := lab.apply(t, c)
			failOn(t, err)
			lab.assertMoved(t, want)
		})
	}
}

func TestRelocateKeepsOldCopyThatDiffers(t *testing.T) {
	lab := newRelocateLab(t)
	hostileTree(t, lab.L)
	failOn(t, os.MkdirAll(filepath.Dir(lab.S), 0o755))
	cpTree(t, lab.L, lab.S)
	failOn(t, os.WriteFile(filepath.Join(lab.L, "written during the move"), []byte("new"), 0o644))
	failOn(t, os.Rename(lab.L, lab.O))
	failOn(t, os.Symlink(lab.S, lab.L))

	_, err := lab.apply(t, lab.plan(t))
	if err == nil || !strings.Contains(err.Error(), "lacks entries") || !strings.Contains(err.Error(), "written during the move") {
		t.Fatalf("apply: %v, want a verification failure", err)
	}
	if !exists(filepath.Join(lab.O, "written during the move")) {
		t.Error("the old copy was removed although it held data the storage lacks")
	}
}

func TestRelocateDropsOldCopyWhenStorageHasMore(t *testing.T) {
	lab := newRelocateLab(t)
	hostileTree(t, lab.L)
	failOn(t, os.MkdirAll(filepath.Dir(lab.S), 0o755))
	cpTree(t, lab.L, lab.S)
	failOn(t, os.Rename(lab.L, lab.O))
	failOn(t, os.Symlink(lab.S, lab.L))
	failOn(t, os.WriteFile(filepath.Join(lab.S, "uploaded after the link"), []byte("new"), 0o644))
	want := treeDigest(t, lab.S)

	_, err := lab.apply(t, lab.plan(t))
	failOn(t, err)
	lab.assertMoved(t, want)
}

func TestRelocateRefusesConflict(t *testing.T) {
	lab := newRelocateLab(t)
	hostileTree(t, lab.L)
	failOn(t, os.MkdirAll(lab.S, 0o755))
	failOn(t, os.WriteFile(filepath.Join(lab.S, "theirs"), []byte("t"), 0o644))
	local, shared := treeDigest(t, lab.L), treeDigest(t, lab.S)

	c := lab.plan(t)
	if c.Action != plan.Conflict {
		t.Fatalf("plan: %s %s", c.Action, c.Summary)
	}
	if _, err := lab.apply(t, c); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("apply: %v, want refusal", err)
	}
	if d := cmp.Diff(local, treeDigest(t, lab.L)); d != "" {
		t.Errorf("local folder changed:\n%s", d)
	}
	if d := cmp.Diff(shared, treeDigest(t, lab.S)); d != "" {
		t.Errorf("storage changed:\n%s", d)
	}
}

func TestRelocateRefusesUnmountedStorage(t *testing.T) {
	lab := newRelocateLab(t)
	lab.step.Observe = observeMounted("/somewhere/else")
	hostileTree(t, lab.L)
	want := treeDigest(t, lab.L)
	if _, err := lab.apply(t, &plan.Change{}); err == nil || !strings.Contains(err.Error(), "not mounted") {
		t.Fatalf("apply: %v, want refusal", err)
	}
	if exists(filepath.Dir(lab.S)) {
		t.Errorf("wrote into the unmounted mount point")
	}
	if d := cmp.Diff(want, treeDigest(t, lab.L)); d != "" {
		t.Errorf("local folder changed:\n%s", d)
	}
}

func TestRelocateMerge(t *testing.T) {
	lab := newRelocateLab(t)
	lab.step.Merge = true
	write := func(p, content string) {
		failOn(t, os.MkdirAll(filepath.Dir(p), 0o755))
		failOn(t, os.WriteFile(p, []byte(content), 0o644))
	}
	write(filepath.Join(lab.L, "only here"), "A")
	write(filepath.Join(lab.L, "-both differ"), "mine")
	write(filepath.Join(lab.L, "both same"), "same")
	write(filepath.Join(lab.L, "sub dir", "new\nline"), "C")
	failOn(t, os.Symlink("only here", filepath.Join(lab.L, "link")))
	failOn(t, os.MkdirAll(filepath.Join(lab.L, "empty only here", "deeper"), 0o755))
	write(filepath.Join(lab.S, "-both differ"), "theirs")
	write(filepath.Join(lab.S, "both same"), "same")
	write(filepath.Join(lab.S, "only there"), "D")

	c := lab.plan(t)
	if c.Action != plan.Update || payloadState(c) != "merge" {
		t.Fatalf("plan: %s %s %s", c.Action, c.Summary, c.Reason)
	}
	rec, err := lab.apply(t, c)
	failOn(t, err)

	kept, _ := filepath.Glob(lab.L + ".shoal-conflicts-*")
	if len(kept) != 1 {
		t.Fatalf("conflict folders: %q", kept)
	}
	if d := cmp.Diff(map[string]string{".": "dir", "-both differ": digestOf("mine")}, treeDigest(t, kept[0])); d != "" {
		t.Errorf("kept aside (-want +got):\n%s", d)
	}
	want := map[string]string{
		".": "dir", "only here": digestOf("A"), "-both differ": digestOf("theirs"), "both same": digestOf("same"),
		"sub dir": "dir", "sub dir/new\nline": digestOf("C"), "link": "link only here", "only there": digestOf("D"),
		"empty only here": "dir", "empty only here/deeper": "dir",
	}
	lab.assertMoved(t, want)
	if !strings.Contains(strings.Join(rec.lines, "\n"), "./-both differ") {
		t.Errorf("kept files not listed: %q", rec.lines)
	}
}

// A merge refuses a storage folder holding a symlink where the upload
// folder has a folder: tar would extract through it.
func TestRelocateMergeNeverWritesThroughALink(t *testing.T) {
	lab := newRelocateLab(t)
	lab.step.Merge = true
	outside := t.TempDir()
	failOn(t, os.MkdirAll(filepath.Join(lab.L, "images"), 0o755))
	failOn(t, os.WriteFile(filepath.Join(lab.L, "images", "photo.jpg"), []byte("jpeg"), 0o644))
	failOn(t, os.MkdirAll(lab.S, 0o755))
	failOn(t, os.WriteFile(filepath.Join(lab.S, "other"), []byte("theirs"), 0o644))
	failOn(t, os.Symlink(outside, filepath.Join(lab.S, "images")))
	_, err := lab.apply(t, lab.plan(t))
	if err == nil || !strings.Contains(err.Error(), "merging would write through them") {
		t.Fatalf("apply: %v, want refusal", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("merged through the link: %v", entries)
	}
	if !exists(filepath.Join(lab.L, "images", "photo.jpg")) {
		t.Error("the upload left its folder")
	}
}

func digestOf(content string) string {
	sum := sha256.Sum256([]byte(content))
	return "file " + hex.EncodeToString(sum[:])
}

// cancelOnProgress stops the apply at the first file it copies.
type cancelOnProgress struct {
	recorder
	cancel context.CancelFunc
}

func (c *cancelOnProgress) Progress(p plan.Progress) { c.cancel() }

func TestRelocateResumesAfterCancel(t *testing.T) {
	lab := newRelocateLab(t)
	lab.step.ForceCopy = true
	hostileTree(t, lab.L)
	block := []byte(strings.Repeat("shoal", 13000))
	for i := range 300 {
		failOn(t, os.WriteFile(filepath.Join(lab.L, "sub dir", "photo "+strconv.Itoa(i)+".jpg"), block, 0o644))
	}
	want := treeDigest(t, lab.L)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := lab.step.Apply(ctx, localNode(), lab.plan(t), &cancelOnProgress{cancel: cancel})
	if err == nil {
		t.Fatal("apply survived its cancel")
	}
	c := lab.plan(t)
	if c.Action == plan.Conflict {
		t.Fatalf("interrupted state not recognised: %s", c.Reason)
	}
	t.Logf("after cancel: %s (%s)", c.Summary, payloadState(c))
	_, err = lab.apply(t, c)
	failOn(t, err)
	lab.assertMoved(t, want)
}

func TestRelocateRefusesStorageLeadingOut(t *testing.T) {
	lab := newRelocateLab(t)
	hostileTree(t, lab.L)
	want := treeDigest(t, lab.L)
	elsewhere := t.TempDir()
	failOn(t, os.Symlink(elsewhere, filepath.Dir(lab.S)))

	_, err := lab.apply(t, lab.plan(t))
	if err == nil || !strings.Contains(err.Error(), "leads out of the storage") {
		t.Fatalf("apply: %v, want refusal", err)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("wrote outside the storage: %v", entries)
	}
	if d := cmp.Diff(want, treeDigest(t, lab.L)); d != "" {
		t.Errorf("local folder changed:\n%s", d)
	}
}

// A recipe folder whose module the tree lacks (no parent) still gets its
// link, on the primary and on replicas alike, so the first apply converges.
func TestRelocateLinksAFolderWhoseParentIsMissing(t *testing.T) {
	l := newRelocateLab(t)
	l.step.Dir = "modules/absent/data/files"
	l.L = l.step.local()
	for _, sharedExists := range []bool{false, true} {
		if sharedExists {
			failOn(t, os.RemoveAll(filepath.Join(l.step.Root, "modules")))
			failOn(t, os.MkdirAll(l.S, 0o755))
		}
		c := l.plan(t)
		if _, err := l.apply(t, c); err != nil {
			t.Fatalf("storage folder exists=%v: %v", sharedExists, err)
		}
		if target, err := os.Readlink(l.L); err != nil || target != l.S {
			t.Fatalf("storage folder exists=%v: %s links to %q (%v)", sharedExists, l.L, target, err)
		}
	}
}

// payloadState is the state a relocate change's payload carries.
func payloadState(c *plan.Change) string {
	p, _ := plan.DecodePayload[relocatePayload](c)
	return p.State
}

// Links leading out of the folder are refused and named, whatever the
// storage: the folder stays as it was; a link that stays below moves as
// a link.
func TestRelocateRefusesLinksLeadingOut(t *testing.T) {
	lab := newRelocateLab(t)
	hostileTree(t, lab.L)
	failOn(t, os.Symlink("../../etc/shadow", filepath.Join(lab.L, "sub dir", "-up")))
	want := treeDigest(t, lab.L)
	c := lab.plan(t)
	if c.Action != plan.Conflict || len(c.Details) != 1 || c.Details[0] != lab.step.Dir+"/sub dir/-up -> ../../etc/shadow" {
		t.Fatalf("plan: %s %q %q", c.Action, c.Reason, c.Details)
	}
	if _, err := lab.apply(t, c); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("apply: %v, want refusal", err)
	}
	if d := cmp.Diff(want, treeDigest(t, lab.L)); d != "" {
		t.Errorf("local folder changed:\n%s", d)
	}
	if exists(lab.S) || exists(lab.P) {
		t.Error("a refused move wrote to the storage")
	}
	// the copy script refuses on its own too (a link planted after the plan)
	lab.step.ForceCopy = true
	script := lab.step.script(relocCopy, "20260101-000000")
	err := localNode().Run(context.Background(), transport.Command{Script: script})
	if err == nil || !strings.Contains(err.Error(), "shoal moves no such link") {
		t.Errorf("copy script: %v, want refusal", err)
	}
	if exists(lab.P) {
		t.Error("the copy script made a partial copy before refusing")
	}
}

// A dynamic folder reached through a symlink planted on the way is never
// read, moved or removed: the script refuses before anything else.
func TestRelocateRefusesAFolderReachedThroughALink(t *testing.T) {
	lab := newRelocateLab(t)
	elsewhere := t.TempDir()
	hostileTree(t, filepath.Join(elsewhere, "files"))
	want := treeDigest(t, elsewhere)
	failOn(t, os.Symlink(elsewhere, filepath.Join(lab.step.Root, "module")))
	lab.step.Dir = "module/files"
	lab.L = lab.step.local()
	_, err := lab.apply(t, lab.plan(t))
	if err == nil || !strings.Contains(err.Error(), "module is a symlink: refusing to work through it") {
		t.Fatalf("apply: %v, want refusal", err)
	}
	if d := cmp.Diff(want, treeDigest(t, elsewhere)); d != "" {
		t.Errorf("the folder behind the link changed:\n%s", d)
	}
	if exists(lab.S) || exists(lab.P) {
		t.Error("data behind the link reached the storage")
	}
}
