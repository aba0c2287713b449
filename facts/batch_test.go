package facts

import (
	"bytes"
	"context"
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
