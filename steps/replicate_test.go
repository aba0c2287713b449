package steps

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

// hostile names every tree in these tests carries
var hostileFiles = map[string]string{
	"index.php":              "<?php echo 1;",
	"inc/with space.php":     "a",
	"inc/-leading dash":      "b",
	"inc/new\nline":          "c",
	"inc/quote's \"double\"": "d",
	"inc/$(touch pwned)":     "e",
	"inc/link to index":      "->../index.php",
	"cache/.htaccess":        "deny",
	"cache/page.cache":       "the primary's own cache",
	"media/images/photo.jpg": "jpeg",
	strings.Repeat("l", 120): "long name",
}

// replicaSetup is a primary and replicas, each a Local host with its own
// root under one temporary directory.
type replicaSetup struct {
	dir   string
	hosts map[string]transport.Host
	steps []*Replicate
}

func newReplicaSetup(t *testing.T, replicas ...string) *replicaSetup {
	t.Helper()
	s := &replicaSetup{dir: t.TempDir(), hosts: map[string]transport.Host{"web1": &transport.Local{NodeName: "web1"}}}
	makeFiles(t, s.root("web1"), hostileFiles)
	for _, n := range replicas {
		s.hosts[n] = &transport.Local{NodeName: n}
		s.steps = append(s.steps, &Replicate{Site: "community", Primary: "web1", NodeName: n, Root: s.root(n),
			PrimaryRoot: s.root("web1"), Skip: []string{"media"}, Empty: []facts.EmptyDir{{Path: "cache"}}, StallTimeout: time.Second})
	}
	return s
}

func (s *replicaSetup) root(node string) string { return filepath.Join(s.dir, node, "site root") }

// diff plans every step against the live Local trees.
func (s *replicaSetup) diff(t *testing.T) []*plan.Change {
	t.Helper()
	set := facts.NewSet(s.hosts)
	var cs []*plan.Change
	for _, r := range s.steps {
		c, err := r.Diff(context.Background(), set)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	return cs
}

// progressLog records what a change reported.
type progressLog struct {
	mu    sync.Mutex
	last  plan.Progress
	lines []string
}

func (p *progressLog) Progress(done plan.Progress) { p.mu.Lock(); p.last = done; p.mu.Unlock() }
func (p *progressLog) Output(line string) {
	p.mu.Lock()
	p.lines = append(p.lines, line)
	p.mu.Unlock()
}

func (s *replicaSetup) apply(t *testing.T, cs []*plan.Change) (map[string]*progressLog, error) {
	t.Helper()
	logs := map[string]*progressLog{}
	for _, c := range cs {
		logs[c.ID] = &progressLog{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := s.steps[0].ApplyBatch(ctx, s.hosts, cs, func(c *plan.Change) Reporter { return logs[c.ID] })
	return logs, err
}

func TestReplicateStreamsToEveryReplicaThenNoOp(t *testing.T) {
	s := newReplicaSetup(t, "web2", "web3", "web4")
	outside := filepath.Join(s.dir, "nas")
	makeFiles(t, outside, map[string]string{"images/photo.jpg": "on the storage", "other.jpg": "keep"})
	// web2: an older copy with files the primary deleted, its media
	// relocated (a symlink to the storage) and its own cache
	makeFiles(t, s.root("web2"), map[string]string{
		"index.php":         "old",
		"removed.php":       "gone on the primary",
		"old dir/x":         "gone too",
		"cache/web2.cache":  "its own cache",
		"media":             "->" + outside,
		"inc/new\nline":     "c",
		"inc/-leading dash": "->/etc/passwd",
	})
	// web4 already holds a folder where the primary has a symlink target
	makeFiles(t, s.root("web4"), map[string]string{"inc/link to index/inside": "type changed"})

	cs := s.diff(t)
	want := []plan.Action{plan.Update, plan.Create, plan.Update}
	for i, c := range cs {
		if c.Action != want[i] || c.Batch != "replicate/community" {
			t.Fatalf("%s: %+v", c.ID, c)
		}
	}
	if d := cmp.Diff([]string{"delete inc/-leading dash", "delete old dir", "delete old dir/x", "delete removed.php"}, cs[0].Details); d != "" {
		t.Errorf("web2 deletions (-want +got)\n%s", d)
	}
	if !strings.Contains(cs[0].Summary, "delete 4") {
		t.Errorf("web2 summary %q does not say it deletes", cs[0].Summary)
	}
	for _, c := range cs {
		// what a plan shows decides nothing: a redacted target must not
		// send the tree elsewhere
		c.Target, c.Summary, c.Details = "/var/www/(sensitive)", "(sensitive)", nil
	}

	logs, err := s.apply(t, cs)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range s.diff(t) {
		if c.Action != plan.NoOp {
			t.Errorf("after apply %s: %+v", c.ID, c)
		}
	}
	for _, c := range cs {
		if got := logs[c.ID].last; got.Files != 8 || got.Bytes < 8*512 {
			t.Errorf("%s reported %+v, want 8 files", c.ID, got)
		}
	}
	// dynamic folders are not copied; the storage behind web2's link is untouched
	for _, n := range []string{"web3", "web4"} {
		if _, err := os.Lstat(filepath.Join(s.root(n), "media")); !os.IsNotExist(err) {
			t.Errorf("%s: media was copied: %v", n, err)
		}
	}
	if target, _ := os.Readlink(filepath.Join(s.root("web2"), "media")); target != outside {
		t.Errorf("web2 media link now %q", target)
	}
	if got, _ := os.ReadFile(filepath.Join(outside, "images/photo.jpg")); string(got) != "on the storage" {
		t.Errorf("storage file overwritten: %q", got)
	}
	// caches: the folder and its guard file are there, its other contents
	// are the replica's own
	if got, err := os.ReadFile(filepath.Join(s.root("web3"), "cache/.htaccess")); string(got) != "deny" {
		t.Errorf("web3 lacks the cache's guard file: %q %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(s.root("web3"), "cache/page.cache")); !os.IsNotExist(err) {
		t.Errorf("web3 got the primary's cache contents: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(s.root("web2"), "cache/web2.cache")); string(got) != "its own cache" {
		t.Errorf("web2 cache touched: %q", got)
	}
	if _, err := os.Stat("/etc/passwd"); err != nil {
		t.Errorf("a symlink deletion followed its target: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.root("web2"), "inc/$(touch pwned)")); err != nil {
		t.Errorf("hostile name not replicated: %v", err)
	}
}

func TestReplicateFailingReplicaDoesNotFailOthers(t *testing.T) {
	s := newReplicaSetup(t, "web2", "web3", "web4")
	cs := s.diff(t)
	p, err := plan.DecodePayload[replicatePayload](cs[1])
	failOn(t, err)
	p.Root = "/dev/null/cannot" // web3's tar cannot create its root
	plan.SetPayload(cs[1], p)
	_, err = s.apply(t, cs)
	var be BatchErrors
	if !errors.As(err, &be) || len(be) != 1 || be[cs[1].ID] == nil {
		t.Fatalf("want one error for web3, got %v", err)
	}
	if !strings.Contains(be[cs[1].ID].Error(), "web3") {
		t.Errorf("error does not name the node: %v", be[cs[1].ID])
	}
	for _, c := range s.diff(t) {
		if c.Node != "web3" && c.Action != plan.NoOp {
			t.Errorf("%s not replicated: %+v", c.ID, c)
		}
	}
}

// stuckHost takes a session and never reads its input, like a replica
// whose network stalled.
type stuckHost struct{ name string }

func (h stuckHost) Name() string { return h.name }
func (h stuckHost) Run(ctx context.Context, cmd transport.Command) error {
	if !strings.Contains(cmd.Script, "tar -x") {
		return nil // the deletions
	}
	<-ctx.Done()
	return ctx.Err()
}

func TestReplicateDropsAStalledReplica(t *testing.T) {
	for name, size := range map[string]int{
		"while the primary streams": 3 * feedDepth * fanOutChunk / 2, // more than the replica's buffer
		"after the primary ended":   10,
	} {
		t.Run(name, func(t *testing.T) {
			s := newReplicaSetup(t, "web2", "web3")
			big := make([]byte, size)
			for i := range big {
				big[i] = byte(i * 7)
			}
			if err := os.WriteFile(filepath.Join(s.root("web1"), "big.bin"), big, 0o644); err != nil {
				t.Fatal(err)
			}
			cs := s.diff(t)
			s.hosts["web3"] = stuckHost{"web3"}
			for _, r := range s.steps {
				r.StallTimeout = 300 * time.Millisecond
			}
			start := time.Now()
			_, err := s.apply(t, cs)
			var be BatchErrors
			if !errors.As(err, &be) || len(be) != 1 || !strings.Contains(be[cs[1].ID].Error(), "stalled") {
				t.Fatalf("want web3 dropped as stalled, got %v", err)
			}
			if elapsed := time.Since(start); elapsed > 10*time.Second {
				t.Errorf("the stalled replica held the batch for %s", elapsed)
			}
			s.hosts["web3"] = &transport.Local{NodeName: "web3"}
			if c := s.diff(t)[0]; c.Action != plan.NoOp {
				t.Errorf("web2 not replicated: %+v", c)
			}
		})
	}
}

func TestReplicateRefusesDeletionsOutsideTheTree(t *testing.T) {
	r := &Replicate{Primary: "web1", Skip: []string{"media"}, Empty: []facts.EmptyDir{{Path: "cache", Keep: []string{"index.html"}}}}
	for p, want := range map[string]bool{
		"a/b": true, "cache": true, "media2": true, "cache/.htaccess": true, "cache/.d/x": true, "cache/index.html": true,
		"media": false, "media/x": false, "cache/x": false, "cache/sub/.x": false, "cache/index.htm": false,
		"../etc": false, "/etc": false, "a/../b": false, "": false,
	} {
		if got := r.deletable(p); got != want {
			t.Errorf("deletable(%q) = %v, want %v", p, got, want)
		}
	}
}

// Once replicas hold the tree, a change on the primary streams only what
// differs: the union of what each replica lacks.
func TestReplicateSendsOnlyWhatDiffers(t *testing.T) {
	s := newReplicaSetup(t, "web2", "web3")
	makeFiles(t, s.root("web1"), map[string]string{"big.bin": strings.Repeat("x", 1<<20)})
	if _, err := s.apply(t, s.diff(t)); err != nil {
		t.Fatal(err)
	}
	makeFiles(t, s.root("web1"), map[string]string{"inc/with space.php": "changed on the primary", "inc/added.php": "new"})
	makeFiles(t, s.root("web3"), map[string]string{"index.php": "edited by hand on web3"})
	cs := s.diff(t)
	for _, c := range cs {
		if p, _ := plan.DecodePayload[replicatePayload](c); c.Action != plan.Update || p.Whole || len(p.Send) == 0 {
			t.Fatalf("%s: want an update with a send list: %+v", c.ID, c)
		}
		if c.Total.Bytes >= 1<<20 {
			t.Errorf("%s: plans to stream %d bytes for two small files", c.ID, c.Total.Bytes)
		}
	}
	logs, err := s.apply(t, cs)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		// the union: both changed files and web3's index.php, never big.bin
		if got := logs[c.ID].last; got.Files != 3 || got.Bytes >= 1<<20 {
			t.Errorf("%s streamed %+v, want 3 small files", c.ID, got)
		}
	}
	for _, c := range s.diff(t) {
		if c.Action != plan.NoOp {
			t.Errorf("after the delta apply %s: %+v", c.ID, c)
		}
	}
}

// A replica's folder replaced by a symlink after the plan (the delta
// sends only a file in it) is replaced by the folder, not extracted
// through: the send list carries every folder on the way.
func TestReplicateNeverExtractsThroughAPlantedLink(t *testing.T) {
	s := newReplicaSetup(t, "web2")
	if _, err := s.apply(t, s.diff(t)); err != nil {
		t.Fatal(err)
	}
	makeFiles(t, s.root("web1"), map[string]string{"inc/deeper/new.php": "new", "index.php": "changed"})
	cs := s.diff(t)
	outside := t.TempDir()
	inc := filepath.Join(s.root("web2"), "inc")
	failOn(t, os.RemoveAll(inc))
	failOn(t, os.Symlink(outside, inc))
	if _, err := s.apply(t, cs); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("the stream was extracted through the planted link: %v", entries)
	}
	if info, err := os.Lstat(inc); err != nil || !info.IsDir() {
		t.Errorf("inc on web2 is not a folder again: %v %v", info, err)
	}
}

// A replica's root that is a symlink, or that leads elsewhere than when
// it was planned, is never written through.
func TestReplicateRefusesARootThatMoved(t *testing.T) {
	s := newReplicaSetup(t, "web2")
	cs := s.diff(t)
	other := t.TempDir()
	failOn(t, os.MkdirAll(filepath.Dir(s.root("web2")), 0o755))
	failOn(t, os.Symlink(other, s.root("web2")))
	_, err := s.apply(t, cs)
	if err == nil || !strings.Contains(err.Error(), "is a symlink: refusing to work through it") {
		t.Errorf("a root symlinked after the plan: %v", err)
	}
	s.steps[0].FollowRootLink = true
	cs = s.diff(t)
	failOn(t, os.Remove(s.root("web2")))
	moved := t.TempDir()
	failOn(t, os.Symlink(moved, s.root("web2")))
	_, err = s.apply(t, cs)
	if err == nil || !strings.Contains(err.Error(), "as planned: plan again") {
		t.Errorf("a root link moved after the plan: %v", err)
	}
	for _, dir := range []string{other, moved} {
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s was written: %v", dir, entries)
		}
	}
}

// Paths of any bytes survive a change's parameters.
func TestEncodePathsKeepsEveryByte(t *testing.T) {
	paths := []string{"plain", "back\\slash", "bad\xff\xfeutf8", "new\nline", "\\x41 not an escape", "é"}
	enc, err := encodePaths(paths)
	failOn(t, err)
	got, err := decodePaths(enc)
	failOn(t, err)
	if d := cmp.Diff(paths, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if _, err := decodePaths(`["bad \\q escape"]`); err == nil {
		t.Error("a bad escape was accepted")
	}
}

func TestWithFoldersListsEveryFolderOnTheWay(t *testing.T) {
	got := withFolders([]facts.Entry{{Path: "a/b/c.php"}, {Path: "a/b"}, {Path: "a/d.php"}, {Path: "top.php"}})
	if d := cmp.Diff([]string{"a/b", "a", "a/b/c.php", "a/d.php", "top.php"}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// The primary's root that is a symlink is not read, and its name, quoted,
// runs nothing.
func TestReplicateRefusesAPrimaryRootLink(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "it's $(touch pwned)")
	failOn(t, os.MkdirAll(filepath.Join(dir, "real"), 0o755))
	failOn(t, os.Symlink(filepath.Join(dir, "real"), root))
	cmd := exec.Command("sh", "-c", createScript(root, false, nil, nil))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "site root "+root+" is a symlink") {
		t.Errorf("createScript on a root link: %v %s", err, out)
	}
	if exists(filepath.Join(dir, "pwned")) {
		t.Error("the root's name was run")
	}
}

// The root's own mode is part of the tree: a replica whose root differs
// (a stream cut before tar set it) is planned, sent just the root, and
// converges, where it once planned "copy 0 files" forever.
func TestReplicateFixesTheRootItself(t *testing.T) {
	s := newReplicaSetup(t, "web2")
	if _, err := s.apply(t, s.diff(t)); err != nil {
		t.Fatal(err)
	}
	failOn(t, os.Chmod(s.root("web2"), 0o700))
	cs := s.diff(t)
	p, err := plan.DecodePayload[replicatePayload](cs[0])
	failOn(t, err)
	if cs[0].Action != plan.Update || p.Whole || p.Send == "" {
		t.Fatalf("want an update sending the root alone: %s %q %+v", cs[0].Action, cs[0].Summary, p)
	}
	if _, err := s.apply(t, cs); err != nil {
		t.Fatal(err)
	}
	if c := s.diff(t)[0]; c.Action != plan.NoOp {
		t.Errorf("after the apply: %s %q", c.Action, c.Summary)
	}
	if st, err := os.Stat(s.root("web2")); err != nil || st.Mode().Perm() == 0o700 {
		t.Errorf("the replica's root: %v %v", st.Mode(), err)
	}
}

// A left-out path holding a newline would split into two find arguments
// (the second one perhaps an action): the primary's stream refuses it
// rather than run find with them.
func TestReplicateStreamRefusesANewlineInALeftOutPath(t *testing.T) {
	root := t.TempDir()
	failOn(t, os.WriteFile(filepath.Join(root, "keep.php"), []byte("k"), 0o644))
	cmd := exec.Command("sh", "-c", createScript(root, false, []string{"media\n-delete"}, nil))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "holds a newline") {
		t.Errorf("want a refusal, got %v %.200q", err, out)
	}
	if !exists(filepath.Join(root, "keep.php")) {
		t.Error("find ran with the split arguments")
	}
}
