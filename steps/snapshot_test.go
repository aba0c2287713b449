package steps

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

func snapshotSourcesValue(m map[string]map[string]cty.Value) cty.Value {
	out := map[string]cty.Value{}
	for name, attrs := range m {
		out[name] = cty.ObjectVal(attrs)
	}
	return cty.ObjectVal(out)
}

func goodSnapshotValues() map[string]cty.Value {
	return map[string]cty.Value{
		"dir":      cty.StringVal("/srv/snapshots"),
		"keep":     cty.NumberIntVal(7),
		"schedule": cty.StringVal("17 3 * * *"),
		"sources": snapshotSourcesValue(map[string]map[string]cty.Value{
			"site": {"path": cty.StringVal("/var/www/blog"), "key": cty.StringVal("/root/.ssh/shoal-blog-snap_site"),
				"exclude": cty.TupleVal([]cty.Value{cty.StringVal("wp-content/cache/")})},
			"database": {"path": cty.StringVal("/var/lib/shoal/blog/dump"), "key": cty.StringVal("/root/.ssh/shoal-blog-snap_db")},
		}),
	}
}

func TestSnapshotRefusesBadInput(t *testing.T) {
	with := func(name string, v cty.Value) map[string]cty.Value {
		m := goodSnapshotValues()
		m[name] = v
		return m
	}
	for _, tt := range []struct {
		name   string
		values map[string]cty.Value
		want   string
	}{
		{"keep = 0", with("keep", cty.NumberIntVal(0)), "keep is how many complete snapshots of a node are kept, a whole number from 1 to 1000, not 0"},
		{"keep = 1.5", with("keep", cty.NumberFloatVal(1.5)), "Invalid keep"},
		{"relative dir", with("dir", cty.StringVal("snapshots")), "Invalid dir"},
		{"dir /", with("dir", cty.StringVal("/")), "Invalid dir"},
		{"dir with ..", with("dir", cty.StringVal("/srv/../etc")), "Invalid dir"},
		{"schedule", with("schedule", cty.StringVal("nightly")), "Invalid schedule"},
		{"sources not an object", with("sources", cty.StringVal("/var/www")), "sources is an object of names"},
		{"source without a key", with("sources", snapshotSourcesValue(map[string]map[string]cty.Value{
			"site": {"path": cty.StringVal("/var/www/blog")}})), `source "site" needs a path and a key`},
		{"source name", with("sources", snapshotSourcesValue(map[string]map[string]cty.Value{
			"../etc": {"path": cty.StringVal("/var/www/blog"), "key": cty.StringVal("/root/k")}})), `source "../etc": a name is lower-case`},
		{"key with a blank", with("sources", snapshotSourcesValue(map[string]map[string]cty.Value{
			"site": {"path": cty.StringVal("/var/www/blog"), "key": cty.StringVal("/root/my key")}})), `key "/root/my key" must be an absolute path`},
		{"unknown source argument", with("sources", snapshotSourcesValue(map[string]map[string]cty.Value{
			"site": {"path": cty.StringVal("/var/www/blog"), "key": cty.StringVal("/root/k"), "delete": cty.True}})), `"delete" is not an argument of a source`},
		{"address", with("address", cty.StringVal("web1; rm -rf /")), "Invalid address"},
		{"sensitive", with("dir", cty.StringVal("/srv/s3cret").Mark(block.SensitiveMark)), "Sensitive value in a snapshot"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := diagText(KindOf("snapshot").Check(testDecl("snapshot", "nightly", tt.values)))
			if !strings.Contains(got, tt.want) {
				t.Errorf("diagnostics %q, want %q", got, tt.want)
			}
		})
	}
	if diags := KindOf("snapshot").Check(testDecl("snapshot", "nightly", goodSnapshotValues())); len(diags) > 0 {
		t.Errorf("a good snapshot block: %s", diagText(diags))
	}
}

func TestSnapshotPruneKeepsTheNewestComplete(t *testing.T) {
	for _, tt := range []struct {
		name     string
		complete []string
		partial  []string
		keep     int
		want     []string
	}{
		{"under keep", []string{"20250101T000000Z", "20250102T000000Z"}, nil, 2, nil},
		{"beyond keep", []string{"20250101T000000Z", "20250102T000000Z", "20250103T000000Z"}, nil, 2, []string{"20250101T000000Z"}},
		{"keep 1", []string{"20250101T000000Z", "20250102T000000Z", "20250103T000000Z"}, nil, 1, []string{"20250101T000000Z", "20250102T000000Z"}},
		{"an old unfinished run goes, a newer one stays", []string{"20250102T000000Z"},
			[]string{"20250101T000000Z.partial", "20250103T000000Z.partial"}, 3, []string{"20250101T000000Z.partial"}},
		{"no complete one: unfinished runs stay", nil, []string{"20250101T000000Z.partial"}, 1, nil},
		{"keep 0 (refused at load) deletes nothing", []string{"20250101T000000Z"}, nil, 0, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := snapshotState{Complete: tt.complete, Partial: tt.partial}.prune(tt.keep)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if n := len(tt.complete); n > 0 && contains(got, tt.complete[n-1]) {
				t.Errorf("deletes the newest complete snapshot %s", tt.complete[n-1])
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func testSnapshot(dir string, keep int, sources ...snapshotSourceSpec) *Snapshot {
	return &Snapshot{Site: "blog", Block: "snapshot.nightly", NodeName: "backup", Of: "master",
		Dir: dir, Keep: keep, Schedule: "17 3 * * *", Sources: sources, User: "root", Address: "10.0.0.11"}
}

func TestSnapshotScriptsGolden(t *testing.T) {
	s := testSnapshot("/srv/snapshots/blog", 7,
		snapshotSourceSpec{Name: "site", Path: "/var/www/blog", Key: "/root/.ssh/shoal-blog-snap_site", Exclude: []string{"wp-content/cache/*", "it's *.tmp"}},
		snapshotSourceSpec{Name: "database", Path: "/var/lib/shoal/blog/dump", Key: "/root/.ssh/shoal-blog-snap_db"})
	goldenScript(t, "snapshot", "run", s.script())
	c := &plan.Change{ID: s.ID()}
	plan.SetPayload(c, snapshotPayload{Delete: []string{"20250101T031700Z", "20241231T031700Z.partial"}, Newest: "20250103T031700Z"})
	goldenScript(t, "snapshot", "prune", s.ApplyScript(c))
	goldenScript(t, "snapshot", "list", snapshotList{Top: s.Dir, Dir: s.folder()}.Command())
	if got := s.cronFile(); got != "# Managed by shoal (site blog, snapshot.nightly); changes here are overwritten.\n"+
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"+
		"17 3 * * * root /bin/sh /var/lib/shoal/snapshot/blog/nightly-master.sh --cron\n" {
		t.Errorf("cron file:\n%s", got)
	}
	bad := &plan.Change{ID: s.ID()}
	plan.SetPayload(bad, snapshotPayload{Delete: []string{"../../etc"}})
	if s.ApplyScript(bad) != "" {
		t.Error("a payload naming something else than a snapshot makes a script")
	}
}

// fakeSSH puts an ssh on PATH that does what sshd does with a key an
// ssh_trust restricted to rrsync -ro: it runs the real rrsync for the
// folder <key>.dir names, with the command rsync asked for.
func fakeSSH(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"rsync", "rrsync", "flock"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed: scripts/test.sh installs it", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	bin := t.TempDir()
	failOn(t, os.WriteFile(filepath.Join(bin, "ssh"), []byte(`#!/bin/sh
key=
while [ $# -gt 0 ]; do
	case $1 in
	-i) key=$2; shift 2 ;;
	-o | -l | -p) shift 2 ;;
	-*) shift ;;
	*) break ;;
	esac
done
shift
SSH_ORIGINAL_COMMAND="$*" exec rrsync -ro "$(cat "$key.dir")"
`), 0o755))
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
}

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	st, err := os.Lstat(p)
	failOn(t, err)
	return st.Sys().(*syscall.Stat_t).Ino
}

// TestSnapshotRunsLinkUnchangedFilesAndKeep runs the snapshot script as
// cron would, pulling through real rrsync -ro: files that did not change
// are hard links into the previous snapshot, keep is honoured after each
// run, an interrupted run is taken up by the next, and the plan's
// pruning converges.
func TestSnapshotRunsLinkUnchangedFilesAndKeep(t *testing.T) {
	fakeSSH(t)
	dir := t.TempDir()
	site, dump := filepath.Join(dir, "www"), filepath.Join(dir, "dump")
	makeFiles(t, site, map[string]string{"index.php": "<?php\n", "wp-content/uploads/a.jpg": "jpeg", "wp-content/cache/page.html": "cached", "link": "->index.php"})
	makeFiles(t, dump, map[string]string{"blog.sql": "-- Dump completed\n"})
	keys := filepath.Join(dir, "keys")
	makeFiles(t, keys, map[string]string{"site.dir": site, "db.dir": dump})
	s := testSnapshot(filepath.Join(dir, "snapshots"), 2,
		snapshotSourceSpec{Name: "site", Path: site, Key: filepath.Join(keys, "site"), Exclude: []string{"wp-content/cache/*"}},
		snapshotSourceSpec{Name: "database", Path: dump, Key: filepath.Join(keys, "db")})
	h := &transport.Local{NodeName: "backup"}
	run := func() string {
		t.Helper()
		var out strings.Builder
		failOn(t, h.Run(context.Background(), transport.Command{Script: s.script(), Stdout: &out}))
		return out.String()
	}
	list := func() []string {
		t.Helper()
		st, problem, err := readSnapshots(context.Background(), facts.NewSet(map[string]transport.Host{"backup": h}), "backup", snapshotList{Top: s.Dir, Dir: s.folder()})
		failOn(t, err)
		if problem != "" {
			t.Fatal(problem)
		}
		return append(st.Complete, st.Partial...)
	}
	if c := planOn(t, s, h); c.Action != plan.NoOp || c.Reason != "no snapshot of master yet; runs at 17 3 * * *" {
		t.Errorf("before any run: %c %q", c.Action, c.Reason)
	}

	if out := run(); !strings.Contains(out, "(the first)") {
		t.Errorf("first run: %q", out)
	}
	first := list()[0]
	if b, err := os.ReadFile(filepath.Join(s.folder(), first, "database", "blog.sql")); err != nil || string(b) != "-- Dump completed\n" {
		t.Errorf("the dump in the snapshot: %q %v", b, err)
	}
	if _, err := os.Lstat(filepath.Join(s.folder(), first, "site", "wp-content", "cache", "page.html")); !os.IsNotExist(err) {
		t.Errorf("an excluded cache was copied: %v", err)
	}
	if target, err := os.Readlink(filepath.Join(s.folder(), first, "site", "link")); err != nil || target != "index.php" {
		t.Errorf("a symlink in the site: %q %v", target, err)
	}

	makeFiles(t, site, map[string]string{"wp-content/uploads/b.jpg": "new upload"})
	out := run()
	if !strings.Contains(out, "1 new or changed, the others hard links into "+first) {
		t.Errorf("second run: %q", out)
	}
	second := list()[1]
	for _, f := range []string{"site/index.php", "site/wp-content/uploads/a.jpg", "database/blog.sql"} {
		if inode(t, filepath.Join(s.folder(), first, f)) != inode(t, filepath.Join(s.folder(), second, f)) {
			t.Errorf("%s did not change, yet is not a hard link to the first snapshot's", f)
		}
	}

	// a run that fails half way leaves its folder for the next one
	failOn(t, os.Rename(dump, dump+".away"))
	var stderr strings.Builder
	err := h.Run(context.Background(), transport.Command{Script: s.script(), Stderr: &stderr})
	if err == nil || !strings.Contains(stderr.String(), "pulling database ("+dump+") from 10.0.0.11 failed") {
		t.Fatalf("a run without its dump folder: %v\n%s", err, stderr.String())
	}
	if got := list(); len(got) != 3 || !strings.HasSuffix(got[2], ".partial") {
		t.Fatalf("after a failed run: %q", got)
	}
	failOn(t, os.Rename(dump+".away", dump))
	run()
	got := list()
	if len(got) != 2 || got[0] != second || strings.HasSuffix(got[1], ".partial") {
		t.Fatalf("keep = 2 after the third complete run: %q", got)
	}
	if info, err := os.ReadFile(filepath.Join(s.folder(), got[1], ".shoal-snapshot")); err != nil || !strings.Contains(string(info), "source=site "+site+"\n") {
		t.Errorf("the snapshot's info: %q %v", info, err)
	}

	if c := planOn(t, s, h); c.Action != plan.NoOp || !strings.HasPrefix(c.Reason, "2 snapshots of master, the newest "+got[1]) {
		t.Errorf("at keep: %c %q", c.Action, c.Reason)
	}
	s.Keep = 1
	c := planOn(t, s, h)
	if c.Action != plan.Delete || c.Summary != "delete the 1 oldest snapshot of master beyond keep = 1; the newest, "+got[1]+", is kept" {
		t.Fatalf("keep = 1: %c %q", c.Action, c.Summary)
	}
	if again := applyThenReplan(t, s, h, c); again.Action != plan.NoOp {
		t.Errorf("after pruning: %c %q", again.Action, again.Summary)
	}
	if left := list(); len(left) != 1 || left[0] != got[1] {
		t.Errorf("left: %q", left)
	}
}
