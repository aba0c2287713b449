package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-sh/shoal/plan"
)

// seedSetup is newReplicaSetup with wp-config.php edited per node: in
// Skip and in Seed, as cluster compiles a line block's claim.
func seedSetup(t *testing.T, replicas ...string) *replicaSetup {
	s := newReplicaSetup(t, replicas...)
	makeFiles(t, s.root("web1"), map[string]string{"wp-config.php": "<?php // the primary's\n"})
	for _, r := range s.steps {
		r.Skip = append(r.Skip, "wp-config.php")
		r.Seed = []string{"wp-config.php"}
	}
	return s
}

func readOr(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		return "(absent)"
	}
	failOn(t, err)
	return string(b)
}

// TestReplicateSeedsEditedFilesOnce: a replica without wp-config.php gets
// the primary's copy with the tree; one with its own keeps it, and a
// copy edited since is never compared or overwritten: the next plan has
// nothing to do. A replica whose tree is already equal but lacks the file
// gets only the file, not the tree.
func TestReplicateSeedsEditedFilesOnce(t *testing.T) {
	s := seedSetup(t, "web2", "web3")
	makeFiles(t, s.root("web3"), map[string]string{"wp-config.php": "<?php // web3's own\n"})

	cs := s.diff(t)
	if !strings.Contains(cs[0].Summary, "copy wp-config.php from web1 once") {
		t.Errorf("web2 lacks wp-config.php, yet the plan says %q", cs[0].Summary)
	}
	if strings.Contains(cs[1].Summary, "wp-config.php") {
		t.Errorf("web3 has its own wp-config.php, yet the plan says %q", cs[1].Summary)
	}
	if _, err := s.apply(t, cs); err != nil {
		t.Fatal(err)
	}
	if got := readOr(t, filepath.Join(s.root("web2"), "wp-config.php")); got != "<?php // the primary's\n" {
		t.Errorf("web2's wp-config.php: %q", got)
	}
	if got := readOr(t, filepath.Join(s.root("web3"), "wp-config.php")); got != "<?php // web3's own\n" {
		t.Errorf("web3's own wp-config.php was replaced: %q", got)
	}

	// each node edits its copy; the primary's changes too: nothing to do
	makeFiles(t, s.root("web2"), map[string]string{"wp-config.php": "<?php // web2 edited\n"})
	makeFiles(t, s.root("web1"), map[string]string{"wp-config.php": "<?php // the primary's, edited\n"})
	for _, c := range s.diff(t) {
		if c.Action != plan.NoOp {
			t.Errorf("after per-node edits, %s: %c %s", c.ID, c.Action, c.Summary)
		}
	}

	// web3 loses its copy: only the file is copied, the equal tree is not
	failOn(t, os.Remove(filepath.Join(s.root("web3"), "wp-config.php")))
	cs = s.diff(t)
	if cs[0].Action != plan.NoOp || cs[1].Action != plan.Update || cs[1].Summary != "copy wp-config.php from web1 once (the replica's own from then on)" {
		t.Fatalf("after web3 lost its copy: %+v / %+v", cs[0], cs[1])
	}
	if needsStream(cs[1]) {
		t.Errorf("seeding alone streams the tree")
	}
	logs, err := s.apply(t, cs[1:])
	if err != nil {
		t.Fatal(err)
	}
	if got := readOr(t, filepath.Join(s.root("web3"), "wp-config.php")); got != "<?php // the primary's, edited\n" {
		t.Errorf("web3's wp-config.php: %q", got)
	}
	if l := logs[cs[1].ID].lines; len(l) != 1 || !strings.HasPrefix(l[0], "copied wp-config.php from web1") {
		t.Errorf("web3's log: %q", l)
	}
}

// TestReplicateSeedKeepsACopyMadeSinceThePlan: the file the plan would
// copy appeared on the replica before apply: it is kept.
func TestReplicateSeedKeepsACopyMadeSinceThePlan(t *testing.T) {
	s := seedSetup(t, "web2")
	cs := s.diff(t)
	makeFiles(t, s.root("web2"), map[string]string{"wp-config.php": "<?php // made by hand meanwhile\n"})
	if _, err := s.apply(t, cs); err != nil {
		t.Fatal(err)
	}
	if got := readOr(t, filepath.Join(s.root("web2"), "wp-config.php")); got != "<?php // made by hand meanwhile\n" {
		t.Errorf("web2's wp-config.php: %q", got)
	}
}

// TestReplicateSeedRefusesALinkOut: a replica whose folder of a seeded
// file was made a symlink leading out of the root since the plan gets
// nothing written there.
func TestReplicateSeedRefusesALinkOut(t *testing.T) {
	s := newReplicaSetup(t, "web2")
	makeFiles(t, s.root("web1"), map[string]string{"conf/local.php": "<?php\n"})
	s.steps[0].Skip = append(s.steps[0].Skip, "conf/local.php")
	s.steps[0].Seed = []string{"conf/local.php"}
	if _, err := s.apply(t, s.diff(t)); err != nil {
		t.Fatal(err)
	}
	failOn(t, os.Remove(filepath.Join(s.root("web2"), "conf/local.php")))
	cs := s.diff(t)
	if cs[0].Action != plan.Update || needsStream(cs[0]) {
		t.Fatalf("web2 lacks its copy: %+v", cs[0])
	}
	outside := filepath.Join(s.dir, "outside")
	failOn(t, os.MkdirAll(outside, 0o755))
	failOn(t, os.Remove(filepath.Join(s.root("web2"), "conf")))
	makeFiles(t, s.root("web2"), map[string]string{"conf": "->" + outside})
	_, err := s.apply(t, cs)
	if err == nil || !strings.Contains(err.Error(), "conf is reached through a symlink: not copying conf/local.php") {
		t.Errorf("apply: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(outside, "local.php")); !os.IsNotExist(err) {
		t.Errorf("a file was written through the link: %v", err)
	}
}

// TestReplicateDeletionsAloneStreamNothing: a replica that only has
// files too many gets them deleted, and no tree is streamed.
func TestReplicateDeletionsAloneStreamNothing(t *testing.T) {
	s := newReplicaSetup(t, "web2")
	cs := s.diff(t)
	if _, err := s.apply(t, cs); err != nil {
		t.Fatal(err)
	}
	makeFiles(t, s.root("web2"), map[string]string{"by hand.php": "drift"})
	cs = s.diff(t)
	if cs[0].Action != plan.Update || needsStream(cs[0]) {
		t.Fatalf("a file too many: %+v (streams: %v)", cs[0], needsStream(cs[0]))
	}
	if _, err := s.apply(t, cs); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(s.root("web2"), "by hand.php")); !os.IsNotExist(err) {
		t.Errorf("the file is still there: %v", err)
	}
	if c := s.diff(t)[0]; c.Action != plan.NoOp {
		t.Errorf("then: %+v", c)
	}
}
