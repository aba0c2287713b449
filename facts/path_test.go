package facts

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shoal-sh/shoal/transport"
)

func TestPathOnDisk(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "it's $(tree)")
	must(t, os.MkdirAll(filepath.Join(tree, "-sub", "deeper"), 0o755))
	must(t, os.WriteFile(filepath.Join(tree, "a\nb"), []byte("12345"), 0o644))
	must(t, os.WriteFile(filepath.Join(tree, "-sub", "c"), []byte("1234567890"), 0o600))
	must(t, os.Symlink("/nowhere/at all", filepath.Join(tree, "link")))
	must(t, os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o640))

	set := NewSet(map[string]transport.Host{"n": &transport.Local{NodeName: "n"}})
	ignore := cmpopts.IgnoreFields(PathInfo{}, "UID", "GID", "Dev")
	shallow, err := ReadPathFact(context.Background(), set, "n", Path{Path: tree, Shallow: true})
	must(t, err)
	if d := cmp.Diff(PathInfo{Kind: PathDir, Entries: 3, Files: -1, Bytes: -1, Mode: "755"}, shallow, ignore); d != "" {
		t.Errorf("shallow (-want +got):\n%s", d)
	}
	for _, tc := range []struct {
		path string
		want PathInfo
	}{
		{tree, PathInfo{Kind: PathDir, Entries: 3, Files: 3, Bytes: 15, Mode: "755",
			LinksOut: 1, OutLinks: []Link{{Path: "link", Target: "/nowhere/at all"}}}},
		{filepath.Join(tree, "link"), PathInfo{Kind: PathSymlink, Target: "/nowhere/at all", Mode: "777"}},
		{filepath.Join(dir, "file"), PathInfo{Kind: PathFile, Mode: "640"}},
		{filepath.Join(dir, "missing"), PathInfo{Kind: PathAbsent}},
		{"/dev/null", PathInfo{Kind: PathOther, Mode: "666"}},
	} {
		got, err := ReadPath(context.Background(), set, "n", tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, got, ignore); d != "" {
			t.Errorf("%q (-want +got):\n%s", tc.path, d)
		}
	}
}

// TestPathListsLinksLeadingOut: a deep Path fact counts the symlinks whose
// target is absolute or climbs with "..", lists the first MaxListedLinks
// with their names intact, and leaves links that stay below alone.
func TestPathListsLinksLeadingOut(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "a\tb", "c"), 0o755))
	for name, target := range map[string]string{
		"stays":                 "a\tb/c",
		"a\tb/c/sibling":        "x..y/..z",
		"abs":                   "/etc/hostname",
		"a\tb/up":               "../../../etc/shadow",
		"a\tb/c/new\nline \\ x": "..",
		"a\tb/mid":              "c/../../..",
	} {
		must(t, os.Symlink(target, filepath.Join(dir, name)))
	}
	for i := range MaxListedLinks {
		must(t, os.Symlink("/", filepath.Join(dir, "a\tb", "c", fmt.Sprintf("z%02d", i))))
	}
	for _, batched := range []bool{false, true} {
		var f Fact = Path{Path: dir}
		if !batched {
			f = single{f}
		}
		// a second fact makes Script batch the first
		sections := gatherLocally(t, Script([]Fact{f, Path{Path: filepath.Join(dir, "a\tb")}}))
		info, err := ParsePath(sections[Path{Path: dir}.Key()].Output)
		must(t, err)
		if info.LinksOut != 4+MaxListedLinks {
			t.Errorf("batched %t: %d links out, want %d", batched, info.LinksOut, 4+MaxListedLinks)
		}
		if len(info.OutLinks) != MaxListedLinks {
			t.Fatalf("batched %t: %d links listed, want %d", batched, len(info.OutLinks), MaxListedLinks)
		}
		listed := map[string]string{}
		for _, l := range info.OutLinks {
			listed[l.Path] = l.Target
		}
		for name, target := range map[string]string{"abs": "/etc/hostname", "a\tb/up": "../../../etc/shadow",
			"a\tb/c/new\nline \\ x": "..", "a\tb/mid": "c/../../.."} {
			if got, ok := listed[name]; ok && got != target {
				t.Errorf("batched %t: %q listed with target %q, want %q", batched, name, got, target)
			}
		}
		for _, inside := range []string{"stays", "a\tb/c/sibling"} {
			if _, ok := listed[inside]; ok {
				t.Errorf("batched %t: %q stays below its folder but was listed", batched, inside)
			}
		}
	}
}

func TestParsePath(t *testing.T) {
	for _, tc := range []struct {
		out  string
		want PathInfo
		bad  bool
	}{
		{out: "absent", want: PathInfo{Kind: PathAbsent}},
		{out: "dir 33 33 2775 64769\n4 10 2048", want: PathInfo{Kind: PathDir, UID: 33, GID: 33, Mode: "2775", Dev: 64769, Entries: 4, Files: 10, Bytes: 2048}},
		{out: "symlink 0 0 777 42\n/mnt/nas/a\nb\n", want: PathInfo{Kind: PathSymlink, Mode: "777", Dev: 42, Target: "/mnt/nas/a\nb"}},
		{out: "dir 0 0 755 1\n3 5 10 2\nevil\t/etc/hostname\nnew\\nline\t..\\\\x\n", want: PathInfo{Kind: PathDir, Mode: "755", Dev: 1, Entries: 3, Files: 5, Bytes: 10,
			LinksOut: 2, OutLinks: []Link{{"evil", "/etc/hostname"}, {"new\nline", "..\\x"}}}},
		{out: "dir 0 0 755 1\n3 5 10 1\nno tab\n", bad: true},
		{out: "dir 0 0 755 1\n", bad: true},
		{out: "fifo 0 0 644 1", bad: true},
		{out: "", bad: true},
	} {
		got, err := ParsePath(tc.out)
		if (err != nil) != tc.bad {
			t.Errorf("%q: err = %v, want error %t", tc.out, err, tc.bad)
			continue
		}
		if d := cmp.Diff(tc.want, got); d != "" && !tc.bad {
			t.Errorf("%q (-want +got):\n%s", tc.out, d)
		}
	}
}

func TestUserOnDisk(t *testing.T) {
	set := NewSet(map[string]transport.Host{"n": &transport.Local{NodeName: "n"}})
	got, err := ReadUser(context.Background(), set, "n", "root")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(UserIDs{Exists: true, UID: 0, GID: 0, Group: "root", Home: "/root"}, got); d != "" {
		t.Errorf("root (-want +got):\n%s", d)
	}
	got, err = ReadUser(context.Background(), set, "n", "no such user'$(x)")
	if err != nil {
		t.Fatal(err)
	}
	if got.Exists {
		t.Errorf("missing user reported as %+v", got)
	}
}

func TestOwnershipOnDisk(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "w", "sub"), 0o700))
	must(t, os.WriteFile(filepath.Join(dir, "w", "f"), nil, 0o644))
	must(t, os.Lchown(filepath.Join(dir, "w", "f"), 1, 1))
	set := NewSet(map[string]transport.Host{"n": &transport.Local{NodeName: "n"}})
	for _, tc := range []struct {
		fact Ownership
		want OwnershipInfo
	}{
		{Ownership{Path: filepath.Join(dir, "w"), User: "root", Group: "root", DirMode: "755"}, OwnershipInfo{WrongOwner: 1, WrongMode: 2}},
		{Ownership{Path: filepath.Join(dir, "w"), User: "daemon", Group: "root"}, OwnershipInfo{WrongOwner: 3}},
		{Ownership{Path: filepath.Join(dir, "gone"), User: "root", Group: "root"}, OwnershipInfo{Absent: true}},
		{Ownership{Path: dir, User: "nobody-here", Group: "root"}, OwnershipInfo{UnknownUser: true}},
		{Ownership{Path: dir, User: "root", Group: "no-group-here"}, OwnershipInfo{UnknownGroup: true}},
	} {
		got, err := ReadOwnership(context.Background(), set, "n", tc.fact)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%+v (-want +got):\n%s", tc.fact, d)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
