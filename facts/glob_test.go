package facts

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A pattern's wildcards stay within one name, in the tree's exclusions
// as in Glob: sites/*/files leaves out each site's files, and not a
// module's folder of the same name deeper down.
func TestPatternsMatchOneLevelPerWildcard(t *testing.T) {
	root := t.TempDir()
	makeTree(t, root, map[string]string{
		"index.php":                                "<?php",
		"sites/default/files/u.jpg":                "upload",
		"sites/example.com/files/css/a.css":        "aggregate",
		"sites/example.com/settings.php":           "<?php",
		"sites/example.org/files":                  "->/mnt/nas/d/sites/example.org/files",
		"sites/all/modules/gallery/files/icon.png": "code",
		"sites/alias.com":                          "->example.com",
		"sites/example.com/files.shoal-old/x":      "in flight",
		"sites/default/private/tmp/t":              "emptied",
		"sites/default/private/keep/k":             "kept, a level deeper",
	})
	m, err := ReadTreeManifest(context.Background(), localSet(), "n",
		TreeManifest{Root: root, Skip: []string{"sites/*/files"}, Empty: []EmptyDir{{Path: "sites/*/private/tmp"}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range m.Entries {
		got = append(got, string(e.Type)+" "+e.Path)
	}
	want := []string{
		"f index.php", "d sites", "l sites/alias.com", "d sites/all", "d sites/all/modules", "d sites/all/modules/gallery",
		"d sites/all/modules/gallery/files", "f sites/all/modules/gallery/files/icon.png",
		"d sites/default", "d sites/default/private", "d sites/default/private/keep",
		"f sites/default/private/keep/k", "d sites/default/private/tmp", "d sites/example.com",
		"d sites/example.com/files.shoal-old", "f sites/example.com/files.shoal-old/x",
		"f sites/example.com/settings.php", "d sites/example.org",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("tree listing (-want +got)\n%s", d)
	}

	g, err := ReadGlob(context.Background(), localSet(), "n", Glob{Root: root, Pattern: "sites/*/files"})
	if err != nil {
		t.Fatal(err)
	}
	wantMatches := GlobResult{RootExists: true, Matches: []GlobMatch{
		{Path: "sites/default/files"},
		{Path: "sites/example.com/files"},
		{Path: "sites/example.org/files", Symlink: true},
	}}
	if d := cmp.Diff(wantMatches, g); d != "" {
		t.Errorf("glob (-want +got)\n%s", d)
	}
}

func TestGlobOfAnAbsentRoot(t *testing.T) {
	g, err := ReadGlob(context.Background(), localSet(), "n", Glob{Root: filepath.Join(t.TempDir(), "none"), Pattern: "*"})
	if err != nil || g.RootExists || len(g.Matches) != 0 {
		t.Errorf("absent root: %+v, %v", g, err)
	}
}
