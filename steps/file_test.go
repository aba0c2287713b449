package steps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

func TestFileScriptsGolden(t *testing.T) {
	outside := fileWrite{Path: "/etc/memcached.conf", Content: "-l 10.0.0.11\n-p 11211\n", Mode: "0644", Owner: "root", Group: "root",
		Stamp: changedStamp(stateDir, "s", "file.memcached")}
	goldenScript(t, "file", "create", outside.script())
	outside.Was = sha256Hex("-l 127.0.0.1\n")
	goldenScript(t, "file", "rewrite", outside.script())
	inRoot := fileWrite{Path: "/var/www/it's site/wp-config.php", Content: "<?php define('X', '$(id)');\n", Was: sha256Hex("old"),
		Mode: "0640", Owner: "www-data", Group: "www-data", Root: "/var/www/it's site"}
	goldenScript(t, "file", "in-root", inRoot.script())
}

// TestFileConvergesOnAHost writes, rewrites and re-owns a file on this
// machine, planning again after each apply: nothing may be left to do,
// and the previous version is kept.
func TestFileConvergesOnAHost(t *testing.T) {
	dir := t.TempDir()
	h := &transport.Local{NodeName: "web1"}
	f := &File{NodeName: "web1", KindName: "file", Path: filepath.Join(dir, "conf", "app.conf"), Content: "a = 1\n", Mode: "0640"}

	c := planOn(t, f, h)
	if c.Action != plan.Create || !strings.Contains(c.Summary, "create") || !slicesContain(c.Details, "+a = 1") {
		t.Fatalf("first plan: %s %q %q", c.Action, c.Summary, c.Details)
	}
	if again := applyThenReplan(t, f, h, c); again.Action != plan.NoOp {
		t.Fatalf("after create: %s %s", again.Action, again.Summary)
	}
	if st, err := os.Stat(f.Path); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("mode: %v %v", st, err)
	}

	f.Content = "a = 2\nb = 3\n"
	c = planOn(t, f, h)
	if d := cmp.Diff([]string{"@@ -1 +1,2 @@", "-a = 1", "+a = 2", "+b = 3"}, c.Details); c.Action != plan.Update || d != "" {
		t.Fatalf("rewrite plan: %s, details (-want +got):\n%s", c.Action, d)
	}
	if again := applyThenReplan(t, f, h, c); again.Action != plan.NoOp {
		t.Fatalf("after rewrite: %s %s", again.Action, again.Summary)
	}
	if bak, err := os.ReadFile(f.Path + ".shoal.bak"); err != nil || string(bak) != "a = 1\n" {
		t.Errorf("backup: %q %v", bak, err)
	}

	f.Mode = "0600"
	c = planOn(t, f, h)
	if c.Action != plan.Update || c.Summary != "mode 0640 → 0600" {
		t.Fatalf("chmod plan: %s %q", c.Action, c.Summary)
	}
	if again := applyThenReplan(t, f, h, c); again.Action != plan.NoOp {
		t.Fatalf("after chmod: %s %s", again.Action, again.Summary)
	}
}

// TestFileWriteLeavesAStamp: a declared block's write records what it
// wrote, for the service that follows it; a write that is refused does not.
func TestFileWriteLeavesAStamp(t *testing.T) {
	dir := t.TempDir()
	h := &transport.Local{NodeName: "web1"}
	stamp := changedStamp(filepath.Join(dir, "state"), "s", "file.site")
	f := &File{NodeName: "web1", KindName: "file", Path: filepath.Join(dir, "site.conf"), Content: "listen 8081;\n", Stamp: stamp}
	applyThenReplan(t, f, h, planOn(t, f, h))
	if b, err := os.ReadFile(stamp); err != nil || string(b) != sha256Hex("listen 8081;\n")+"\n" {
		t.Errorf("stamp %q %v, want the sha256 of the content", b, err)
	}
	f.Content = "listen 8082;\n"
	c := planOn(t, f, h)
	failOn(t, os.WriteFile(f.Path, []byte("edited by hand\n"), 0o644))
	if err := f.Apply(context.Background(), h, c, &recorder{}); err == nil {
		t.Fatal("apply over a hand edit succeeded")
	}
	if b, _ := os.ReadFile(stamp); string(b) != sha256Hex("listen 8081;\n")+"\n" {
		t.Errorf("a refused write changed the stamp: %q", b)
	}
}

// TestFileRefusesWhatChangedSinceThePlan: the file was edited between
// plan and apply; the write leaves it alone.
func TestFileRefusesWhatChangedSinceThePlan(t *testing.T) {
	dir := t.TempDir()
	h := &transport.Local{NodeName: "web1"}
	p := filepath.Join(dir, "x.conf")
	failOn(t, os.WriteFile(p, []byte("old\n"), 0o644))
	f := &File{NodeName: "web1", KindName: "file", Path: p, Content: "new\n"}
	c := planOn(t, f, h)
	failOn(t, os.WriteFile(p, []byte("edited by hand\n"), 0o644))
	err := f.Apply(context.Background(), h, c, &recorder{})
	if err == nil || !strings.Contains(err.Error(), "changed since the plan") {
		t.Fatalf("apply after an edit: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "edited by hand\n" {
		t.Errorf("the edit was overwritten: %q", b)
	}
}

// TestFileInRootNeverFollowsALink: a file under a site root that a user
// replaced by a symlink (to /etc/passwd, say) is refused, and so is a
// folder that leads out of the root.
func TestFileInRootNeverFollowsALink(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	failOn(t, os.WriteFile(victim, []byte("precious\n"), 0o644))
	failOn(t, os.Symlink(victim, filepath.Join(root, "wp-config.php")))
	failOn(t, os.Symlink(outside, filepath.Join(root, "config")))
	h := &transport.Local{NodeName: "web1"}
	for _, p := range []string{filepath.Join(root, "wp-config.php"), filepath.Join(root, "config", "victim")} {
		f := &File{NodeName: "web1", KindName: "file", Path: p, Root: root, Content: "pwned\n"}
		c := planOn(t, f, h)
		err := f.Apply(context.Background(), h, c, &recorder{})
		if err == nil || !strings.Contains(err.Error(), "symlink") {
			t.Errorf("%s: apply through a link: %v", p, err)
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("the link's target was written: %q", b)
	}
}

func TestFileHidesSensitiveContent(t *testing.T) {
	f := &File{Path: "/etc/app.conf", Content: "user = app\npassword = hunter22\n", Hidden: true,
		Shown: "user = app\npassword = (sensitive)\n", ShownKnown: true, Secrets: []string{"hunter22"}}
	got := f.contentDiff("user = old\npassword = hunter22\n")
	if strings.Contains(strings.Join(got, "\n"), "hunter22") || !slicesContain(got, "+user = app") || slicesContain(got, "+password = (sensitive)") {
		t.Errorf("diff %q: want the user line changed, the unchanged password line not shown as changed, no secret", got)
	}
	f.ShownKnown = false
	if got := f.contentDiff(""); len(got) != 1 || !strings.Contains(got[0], "hidden") {
		t.Errorf("content computed from secrets in a way that can't be shown: %q", got)
	}
}

func slicesContain(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
