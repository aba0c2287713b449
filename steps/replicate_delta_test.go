package steps

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
)

func TestCompareTrees(t *testing.T) {
	file := func(p string, size, mtime int64) facts.Entry {
		return facts.Entry{Path: p, Type: 'f', Mode: 0o644, Size: size, MTime: mtime}
	}
	dir := func(p string, mtime int64) facts.Entry {
		return facts.Entry{Path: p, Type: 'd', Mode: 0o755, Size: 4096, MTime: mtime}
	}
	primary := []facts.Entry{dir("inc", 1), file("inc/a.php", 10, 1), file("inc/b.php", 20, 2), file("new.php", 5<<20, 1),
		{Path: "link", Type: 'l', Mode: 0o777, Link: "inc/b.php"}, file("x", 1, 1)}
	replica := []facts.Entry{dir("inc", 99), file("inc/a.php", 10, 1), file("inc/b.php", 20, 1), file("old.php", 1, 1),
		{Path: "link", Type: 'l', Mode: 0o777, Link: "inc/a.php"}, dir("x", 1), file("x/y", 1, 1), dir("gone", 1), file("gone/z", 1, 1)}
	got := compareTrees(primary, replica)
	want := treeDelta{
		Copy:      plan.Progress{Files: 3, Bytes: 20 + 5<<20 + 1},
		Fix:       1,
		Deletions: []string{"x/y", "gone/z", "x", "old.php", "gone"},
		// what the stream carries: new or changed entries, not inc or inc/a.php
		Send: []facts.Entry{primary[2], primary[3], primary[4], primary[5]},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	if s, want := got.summary(), "copy 3 files (5.0 MiB), update 1 other entry, delete 5"; s != want {
		t.Errorf("summary %q, want %q", s, want)
	}
}

func TestDeletionDetailsAreCapped(t *testing.T) {
	var paths []string
	for i := range 25 {
		paths = append(paths, fmt.Sprintf("f%02d", i))
	}
	paths[0] = "a\nb"
	d := deletionDetails(paths)
	if len(d) != 21 || d[0] != `delete "a\nb"` || d[19] != "delete f19" || d[20] != "… and 5 more" {
		t.Errorf("details: %q", d)
	}
}

func TestReplicateDiffNoOpFromDigests(t *testing.T) {
	r := &Replicate{Site: "community", Primary: "web1", NodeName: "web2", Root: "/var/www/dolphin", Skip: []string{"media"}}
	key := r.digest(r.Root).Key()
	src := fixedFacts{
		"web1": {key: {Output: "count 1234 999\nreal /var/www/dolphin\ntree abc\n"}},
		"web2": {key: {Output: "count 1234 999\nreal /var/www/dolphin\ntree abc\n"}},
	}
	got, err := r.Diff(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	want := &plan.Change{ID: "web2/replicate/var/www/dolphin", Node: "web2", Site: "community", Kind: "replicate",
		Target: "/var/www/dolphin", Batch: "replicate/community", Action: plan.NoOp, Reason: "tree equals web1's (1,234 files)"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}
