package facts

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// makeTree writes files (path → content) under root; a content starting
// with "->" makes a symlink instead.
func makeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	mtime := time.Unix(1700000000, 0)
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(full, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
}

func digest(t *testing.T, root string, skip []string, empty []EmptyDir) TreeSummary {
	t.Helper()
	s, err := ReadTreeDigest(context.Background(), localSet(), "n", TreeDigest{Root: root, Skip: skip, Empty: empty})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTreeDigestIgnoresSkippedAndCacheContents(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	common := map[string]string{
		"index.php":          "<?php",
		"inc/a b.php":        "spaces",
		"-dash\nnewline'q\"": "hostile",
		"link":               "->index.php",
		"cache/.keep":        "",
	}
	makeTree(t, a, common)
	makeTree(t, b, common)
	makeTree(t, a, map[string]string{"media/u1.jpg": "jpeg", "cache/x.cache": "cached"})
	makeTree(t, b, map[string]string{"media": "->/mnt/nas/site/media", "cache/y.cache": "other"})
	skip, empty := []string{"media"}, []EmptyDir{{Path: "cache"}}
	da, db := digest(t, a, skip, empty), digest(t, b, skip, empty)
	if d := cmp.Diff(da, db, cmpopts.IgnoreFields(TreeSummary{}, "Real")); d != "" {
		t.Fatalf("trees equal but for skipped paths and cache contents differ (-a +b)\n%s", d)
	}
	// cache/.keep is a guard file: part of the tree
	if !da.Exists || da.Files != 4 || da.Bytes != int64(len("<?php")+len("spaces")+len("hostile")) {
		t.Errorf("counts: %+v", da)
	}
	if full := digest(t, a, nil, nil); full.Digest == da.Digest || full.Files != 6 {
		t.Errorf("without exclusions the digest must change and count 6 files: %+v", full)
	}
	makeTree(t, b, map[string]string{"inc/new.php": "x"})
	if db2 := digest(t, b, skip, empty); db2.Digest == da.Digest {
		t.Error("a new file must change the digest")
	}
}

func TestTreeDigestAbsentRoot(t *testing.T) {
	if s := digest(t, filepath.Join(t.TempDir(), "none"), nil, nil); s.Exists {
		t.Errorf("absent root: %+v", s)
	}
}

func TestTreeManifest(t *testing.T) {
	root := t.TempDir()
	makeTree(t, root, map[string]string{
		"a\nb":                       "12",
		"d/l":                        "->../a\nb",
		"media/x":                    "skipped",
		"cache/c":                    "emptied",
		"[glob]*":                    "literal",
		"[glob]more":                 "not skipped by the glob",
		"d/app.ini.shoal-tmp.Ab12Cd": "a file shoal is writing",
	})
	m, err := ReadTreeManifest(context.Background(), localSet(), "n",
		TreeManifest{Root: root, Skip: []string{"media", `\[glob\]\*`}, Empty: []EmptyDir{{Path: "cache/"}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range m.Entries {
		got = append(got, string(e.Type)+" "+e.Path+" "+e.Link)
	}
	want := []string{"f [glob]more ", "f a\nb ", "d cache ", "d d ", "l d/l ../a\nb"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	if e := m.Entries[1]; e.Size != 2 || e.MTime != 1700000000 || e.Mode != 0o644 {
		t.Errorf("entry a\\nb: %+v", e)
	}
}

func TestTreeDigestOfATreeWithoutFiles(t *testing.T) {
	dir := t.TempDir()
	makeTree(t, dir, map[string]string{"only/links": "->nowhere"})
	if s := digest(t, dir, nil, nil); !s.Exists || s.Files != 0 || s.Bytes != 0 || s.Digest == "" {
		t.Errorf("a tree of folders and links: %+v", s)
	}
}

// TestTreeKeepsGuardFiles: an empty dir's top-level dot-files and kept
// names, with what is under them, belong to the tree; the rest of its
// contents, and dot-files deeper down, do not.
func TestTreeKeepsGuardFiles(t *testing.T) {
	root := t.TempDir()
	makeTree(t, root, map[string]string{
		"cache/.htaccess":       "Deny from all",
		"cache/.dotdir/inside":  "kept with its folder",
		"cache/index.html":      "kept by name",
		"cache/[k]*/f":          "kept by a name with glob characters",
		"cache/x.ser":           "cached",
		"cache/sub/.hidden":     "a deeper dot-file is cache",
		"cache/index.html.bak":  "not the kept name",
		"log/.gitignore":        "*",
		"log/today.log":         "the node's own",
		"cachedir/.not-a-guard": "a sibling folder is not the cache",
	})
	m, err := ReadTreeManifest(context.Background(), localSet(), "n", TreeManifest{Root: root,
		Empty: []EmptyDir{{Path: "cache", Keep: []string{"index.html", "[k]*", "../x", "a/b"}}, {Path: "log"}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range m.Entries {
		got = append(got, string(e.Type)+" "+e.Path)
	}
	sort.Strings(got)
	want := []string{"d cache", "f cache/.dotdir/inside", "d cache/.dotdir", "f cache/.htaccess", "d cache/[k]*", "f cache/[k]*/f",
		"f cache/index.html", "d cachedir", "f cachedir/.not-a-guard", "d log", "f log/.gitignore"}
	sort.Strings(want)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

// TestTreeRootSymlink: a root that is a symlink is reported, not entered,
// unless the fact follows it; the summary names the physical root.
func TestTreeRootSymlink(t *testing.T) {
	dir := t.TempDir()
	makeTree(t, dir, map[string]string{"other/important.txt": "keep me", "root": "->other"})
	root := filepath.Join(dir, "root")
	s, err := ReadTreeDigest(context.Background(), localSet(), "n", TreeDigest{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Symlink || s.Exists {
		t.Errorf("a symlinked root must be reported as such: %+v", s)
	}
	if _, err := ReadTreeManifest(context.Background(), localSet(), "n", TreeManifest{Root: root}); err == nil {
		t.Error("a manifest of a symlinked root must fail")
	}
	s, err = ReadTreeDigest(context.Background(), localSet(), "n", TreeDigest{Root: root, FollowLink: true})
	if err != nil {
		t.Fatal(err)
	}
	real, err := filepath.EvalSymlinks(filepath.Join(dir, "other"))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Exists || s.Symlink || s.Files != 1 || s.Real != real {
		t.Errorf("following the link: %+v, want 1 file under %s", s, real)
	}
}
