package steps

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
)

func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files in testdata")
	}
}

// updateGolden reports whether the test run was asked to rewrite golden files.
func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// manifestOutput turns a listing ("type mode uid gid size mtime path [-> link]"
// per line, "." for the root) into what facts.TreeManifest's command prints.
func manifestOutput(t *testing.T, listing string) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(listing), "\n") {
		f := strings.SplitN(line, " ", 7)
		if len(f) != 7 {
			t.Fatalf("bad listing line %q", line)
		}
		p, link, _ := strings.Cut(f[6], " -> ")
		if p == "." {
			p = ""
		}
		fmt.Fprintf(&b, "%s\x00%s\x00%s\x00", strings.Join(f[:6], " "), p, link)
	}
	return b.String()
}

func readListing(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "replicate", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReplicateDiffGolden plans a replica that is behind the primary and
// holds an install folder the primary deleted: the change must list the
// deletions (capped) and carry all of them in its params.
func TestReplicateDiffGolden(t *testing.T) {
	r := &Replicate{Site: "community", Primary: "web1", NodeName: "web2", Root: "/var/www/dolphin",
		Skip: []string{"media"}, Empty: []facts.EmptyDir{{Path: "cache"}}}
	replica := readListing(t, "replica.txt")
	for i := range 24 {
		replica += fmt.Sprintf("f 644 33 33 10 1700000000 install/step%02d.php\n", i)
	}
	digest, manifest := r.digest(r.Root).Key(), r.manifest(r.Root).Key()
	src := fixedFacts{
		"web1": {digest: {Output: "tree aaa\nreal /var/www/dolphin\ncount 3 1055744"}, manifest: {Output: manifestOutput(t, readListing(t, "primary.txt"))}},
		"web2": {digest: {Output: "count 26 7408\nreal /srv/www/dolphin\ntree bbb"}, manifest: {Output: manifestOutput(t, replica)}},
	}
	c, err := r.Diff(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "replicate", "diff.golden.json")
	if updateGolden() {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), string(got)+"\n"); d != "" {
		t.Errorf("(-want +got), rerun with -update if intended\n%s", d)
	}
}

// TestReplicateScriptsGolden keeps every script replicate sends in
// testdata/scripts/replicate, one a state, so that shellcheck reviews
// them and a change to what runs on the nodes shows in review: the
// primary's stream (the whole tree, or a list: what seeding reads too)
// and the replica's extract, delete and seed, the root's link refused or
// followed.
func TestReplicateScriptsGolden(t *testing.T) {
	r := &Replicate{Site: "it's", Primary: "web1", NodeName: "web2", Root: "/var/www/it's site",
		Skip:  []string{"sites/*/files", "media", "wp-config.php"},
		Empty: []facts.EmptyDir{{Path: "cache", Keep: []string{"index.html", ".htaccess"}}, {Path: "logs/*"}},
		Seed:  []string{"wp-config.php"}}
	follow := *r
	follow.FollowRootLink = true
	c := &plan.Change{Node: "web2", Target: r.Root}
	plan.SetPayload(c, replicatePayload{Root: r.Root, RealRoot: "/srv/www/it's site"})
	goldenScript(t, "replicate", "stream-tree", createScript(r.primaryRoot(), r.FollowRootLink, r.Skip, r.Empty))
	goldenScript(t, "replicate", "stream-tree-follow-link", createScript(follow.primaryRoot(), follow.FollowRootLink, follow.Skip, follow.Empty))
	goldenScript(t, "replicate", "stream-list", createListScript(r.primaryRoot(), r.FollowRootLink))
	goldenScript(t, "replicate", "extract", r.extractScript(c))
	goldenScript(t, "replicate", "extract-follow-link", follow.extractScript(c))
	goldenScript(t, "replicate", "delete", r.deleteScript(c))
	goldenScript(t, "replicate", "seed", r.seedScript(c, r.Seed))
}
