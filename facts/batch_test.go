package facts

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/transport"
)

// single hides a fact's Batcher methods, so Script runs its own Command.
type single struct{ Fact }

// TestBatchesAnswerLikeSingleCommands proves every batched kind gives the
// same sections as the facts' own commands, on a tree with hostile names.
func TestBatchesAnswerLikeSingleCommands(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "it's $(touch x) `y` \\ %s")
	must(t, os.MkdirAll(filepath.Join(tree, "-sub", "deeper"), 0o755))
	must(t, os.Chmod(filepath.Join(tree, "-sub"), 0o700))
	must(t, os.WriteFile(filepath.Join(tree, "a\nb"), []byte("12345"), 0o644))
	must(t, os.WriteFile(filepath.Join(tree, "-sub", "c"), []byte("1234567890"), 0o600))
	must(t, os.Symlink("/nowhere/at all\nsecond line", filepath.Join(tree, "link")))
	must(t, syscall.Mkfifo(filepath.Join(tree, "fifo"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "file with space"), []byte("x"), 0o640))
	must(t, os.WriteFile(filepath.Join(dir, "suid"), nil, 0o755))
	must(t, os.Chmod(filepath.Join(dir, "suid"), os.ModeSetuid|0o755))
	must(t, os.Mkdir(filepath.Join(dir, "empty"), 0o700))
	must(t, os.Mkdir(filepath.Join(dir, "sticky"), 0o755))
	must(t, os.Chmod(filepath.Join(dir, "sticky"), os.ModeSticky|0o777))
	must(t, os.Symlink("missing", filepath.Join(dir, "dangling")))
	must(t, os.Symlink(tree, filepath.Join(dir, "linkdir")))
	if os.Geteuid() == 0 {
		must(t, os.Lchown(filepath.Join(tree, "-sub", "c"), 65534, 65534))
	}

	paths := []string{tree, filepath.Join(tree, "-sub"), filepath.Join(tree, "link"), filepath.Join(tree, "fifo"),
		filepath.Join(dir, "file with space"), filepath.Join(dir, "suid"), filepath.Join(dir, "empty"),
		filepath.Join(dir, "sticky"), filepath.Join(dir, "dangling"), filepath.Join(dir, "linkdir"),
		filepath.Join(dir, "missing"), dir + "/", "/dev/null"}
	var fs []Fact
	for i, p := range paths {
		fs = append(fs, Path{Path: p, Shallow: true})
		if i%3 != 2 { // some asked both ways, some only shallow
			fs = append(fs, Path{Path: p})
		}
	}
	fs = append(fs, Path{Path: "relative/path"}) // not batchable
	me, err := user.Current()
	must(t, err)
	group, err := user.LookupGroupId(me.Gid)
	must(t, err)
	for _, p := range paths {
		for _, o := range []Ownership{
			{User: me.Username, Group: group.Name, DirMode: "755"},
			{User: me.Username, Group: group.Name, FollowTop: true},
			{User: "nobody", Group: group.Name, DirMode: "755", FollowTop: true},
			{User: "shoal-no-such-user", Group: group.Name},
			{User: me.Username, Group: "shoal-no-such-group"},
			{User: "nobody", Group: group.Name, DirMode: "700", Shallow: true},
			{User: "nobody", Group: group.Name, FollowTop: true, Shallow: true},
		} {
			o.Path = p
			fs = append(fs, o)
		}
	}
	var singles []Fact
	for _, f := range fs {
		singles = append(singles, single{f})
	}

	batched := Script(fs)
	if n := strings.Count(batched, "\n(\n"); n != 1 {
		t.Errorf("batched script runs %d facts alone, want only the relative path", n)
	}
	want, got := gatherLocally(t, Script(singles)), gatherLocally(t, batched)
	if len(want) != len(fs) {
		t.Fatalf("single commands answered %d facts, want %d", len(want), len(fs))
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("batched sections differ from single commands (-single +batched):\n%s", d)
	}
	sub, err := ParseOwnership(got[Ownership{Path: filepath.Join(tree, "-sub"), User: me.Username, Group: group.Name, DirMode: "755"}.Key()].Output)
	must(t, err)
	if sub.WrongMode != 1 {
		t.Errorf("-sub: %d directories with a wrong mode, want 1", sub.WrongMode)
	}
	top, err := ParseOwnership(got[Ownership{Path: tree, User: "nobody", Group: group.Name, DirMode: "700", Shallow: true}.Key()].Output)
	must(t, err)
	if top.WrongOwner != 1 || top.WrongMode != 1 {
		t.Errorf("a shallow check counts the folder alone: %+v", top)
	}
}

func gatherLocally(t *testing.T, script string) map[string]Section {
	t.Helper()
	var out bytes.Buffer
	if err := (&transport.Local{NodeName: "n"}).Run(context.Background(), transport.Command{Script: script, Stdout: &out}); err != nil {
		t.Fatalf("running facts script: %v", err)
	}
	sections, err := Parse(out.Bytes())
	must(t, err)
	return sections
}

func TestBatchesAreChunked(t *testing.T) {
	dir := t.TempDir()
	var fs []Fact
	for i := range 2*maxBatch + 1 {
		fs = append(fs, Path{Path: filepath.Join(dir, strconv.Itoa(i)), Shallow: true})
	}
	must(t, os.Mkdir(filepath.Join(dir, "7"), 0o755))
	script := Script(fs)
	if n := strings.Count(script, "\n(\n"); n != 1 {
		t.Errorf("%d facts run alone, want 1 (the last chunk's only fact)", n)
	}
	if n := strings.Count(script, "{ find "); n != 2 {
		t.Errorf("%d batch commands, want 2", n)
	}
	got := gatherLocally(t, script)
	for i, f := range fs {
		want := "absent\n"
		if i == 7 {
			want = "dir"
		}
		if !strings.HasPrefix(got[f.Key()].Output, want) {
			t.Errorf("%s: %q, want it to start with %q", f.Key(), got[f.Key()].Output, want)
		}
	}
}

// TestCacheContentsBatchesAndKeeps: what a purge would remove leaves out
// top-level dot-files and kept names, batched or not, links unfollowed.
func TestCacheContentsBatchesAndKeeps(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "it's [cache] $(x)")
	for p, content := range map[string]string{
		".htaccess": "Deny from all", ".dir/f": "kept", "index.html": "kept by name",
		"a.ser": "12345", "sub/.deep": "123", "sub\nnl/b": "1",
	} {
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(cache, p)), 0o755))
		must(t, os.WriteFile(filepath.Join(cache, p), []byte(content), 0o644))
	}
	must(t, os.Symlink("/etc", filepath.Join(cache, "out")))
	must(t, os.Symlink(cache, filepath.Join(dir, "link")))
	must(t, os.WriteFile(filepath.Join(dir, "file"), nil, 0o644))
	fs := []Fact{
		CacheContents{Path: cache, Keep: []string{"index.html"}},
		CacheContents{Path: cache},
		CacheContents{Path: filepath.Join(dir, "link")},
		CacheContents{Path: filepath.Join(dir, "file")},
		CacheContents{Path: filepath.Join(dir, "none")},
		CacheContents{Path: "/dev/null"},
	}
	var singles []Fact
	for _, f := range fs {
		singles = append(singles, single{f})
	}
	want, got := gatherLocally(t, Script(singles)), gatherLocally(t, Script(fs))
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("batched sections differ from single commands (-single +batched):\n%s", d)
	}
	for i, w := range []CacheInfo{
		// a.ser, sub, sub\nnl and the link out: their files and the link
		{Kind: PathDir, Entries: 4, Files: 4, Bytes: 5 + 3 + 1},
		{Kind: PathDir, Entries: 5, Files: 5, Bytes: 5 + 3 + 1 + int64(len("kept by name"))},
		{Kind: PathSymlink, Target: cache},
		{Kind: PathFile},
		{Kind: PathAbsent},
		{Kind: PathOther},
	} {
		info, err := ParseCacheContents(got[fs[i].Key()].Output)
		must(t, err)
		if d := cmp.Diff(w, info); d != "" {
			t.Errorf("%s (-want +got):\n%s", fs[i].Key(), d)
		}
	}
}

// TestFreeSpaceBatches: one stat answers every path, a missing one by its
// nearest existing folder.
func TestFreeSpaceBatches(t *testing.T) {
	dir := t.TempDir()
	must(t, os.Symlink(dir, filepath.Join(dir, "moved")))
	fs := []Fact{FreeSpace{Path: dir, For: dir}, FreeSpace{Path: filepath.Join(dir, "not yet", "made"), For: dir},
		FreeSpace{Path: "/proc", For: dir}, FreeSpace{Path: dir, For: filepath.Join(dir, "moved")}, FreeSpace{Path: dir, For: filepath.Join(dir, "gone")}}
	var singles []Fact
	for _, f := range fs {
		singles = append(singles, single{f})
	}
	// the disk's free space moves while the test runs: compare within 16 MiB
	want, got := gatherLocally(t, Script(singles)), gatherLocally(t, Script(fs))
	for _, f := range fs[:3] {
		var a, b int64
		_, err1 := fmt.Sscanf(want[f.Key()].Output, "%d", &a)
		_, err2 := fmt.Sscanf(got[f.Key()].Output, "%d", &b)
		if err1 != nil || err2 != nil || a-b > 1<<24 || b-a > 1<<24 {
			t.Errorf("%s: single %q, batched %q", f.Key(), want[f.Key()].Output, got[f.Key()].Output)
		}
	}
	// a folder already moved (a link) or gone is not measured
	for _, f := range fs[3:] {
		if want[f.Key()].Output != "-\n" || got[f.Key()].Output != "-\n" {
			t.Errorf("%s: single %q, batched %q, want -", f.Key(), want[f.Key()].Output, got[f.Key()].Output)
		}
	}
	var st syscall.Statfs_t
	must(t, syscall.Statfs(dir, &st))
	set := NewSet(map[string]transport.Host{"n": &transport.Local{NodeName: "n"}})
	free, err := ReadFreeSpace(context.Background(), set, "n", FreeSpace{Path: filepath.Join(dir, "not yet", "made"), For: dir})
	must(t, err)
	if exact := int64(st.Bavail) * st.Bsize; free < exact-1<<24 || free > exact+1<<24 {
		t.Errorf("free space %d, statfs says %d", free, exact)
	}
	if got[FreeSpace{Path: "/proc", For: dir}.Key()].Output != "0\n" {
		t.Errorf("/proc: %q, want no space", got[FreeSpace{Path: "/proc", For: dir}.Key()].Output)
	}
	if free, err := ReadFreeSpace(context.Background(), set, "n", fs[3].(FreeSpace)); err != nil || free != -1 {
		t.Errorf("a moved folder: %d %v, want -1 (not measured)", free, err)
	}
}

// TestFolderFindsLinksOnTheWay: a declared folder reached through a
// symlink names that link, batched or not; otherwise its kind.
func TestFolderFindsLinksOnTheWay(t *testing.T) {
	root := filepath.Join(t.TempDir(), "it's $(root)")
	must(t, os.MkdirAll(filepath.Join(root, "modules", "a b", "data"), 0o755))
	must(t, os.MkdirAll(filepath.Join(root, "cache"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "file"), nil, 0o644))
	must(t, os.Symlink("/etc\nand more", filepath.Join(root, "modules", "evil link")))
	must(t, os.Symlink("/mnt/nas/media", filepath.Join(root, "media")))
	cases := map[string]FolderInfo{
		"modules/a b/data":          {Kind: PathDir},
		"cache":                     {Kind: PathDir},
		"file":                      {Kind: PathFile},
		"media":                     {Kind: PathSymlink},
		"media/images":              {Through: "media", Target: "/mnt/nas/media"},
		"modules/evil link/x/y":     {Through: "modules/evil link", Target: "/etc\nand more"},
		"modules/missing/data/more": {Kind: PathAbsent},
		"file/below":                {Kind: PathAbsent},
	}
	var fs, singles []Fact
	for dir := range cases {
		fs = append(fs, Folder{Root: root, Dir: dir})
		singles = append(singles, single{Folder{Root: root, Dir: dir}})
	}
	want, got := gatherLocally(t, Script(singles)), gatherLocally(t, Script(fs))
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("batched sections differ from single commands (-single +batched):\n%s", d)
	}
	for dir, w := range cases {
		info, err := ParseFolder(want[Folder{Root: root, Dir: dir}.Key()].Output)
		must(t, err)
		if d := cmp.Diff(w, info); d != "" {
			t.Errorf("%q (-want +got):\n%s", dir, d)
		}
	}
}
