package steps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

const memcachedConf = "# memcached default config\n-d\n-m 64\n-p 11211\n-l 127.0.0.1\n"

func TestLineEdits(t *testing.T) {
	listen := Line{Path: "/etc/memcached.conf", Match: `^\s*-l\s`, Line: "-l 10.0.0.11"}
	withAfter := func(l Line, after string) Line { l.InsertAfter = after; return l }
	withBefore := func(l Line, before string) Line { l.InsertBefore = before; return l }
	phpIni := Line{Path: "/etc/php/8.2/fpm/php.ini", Match: `^\s*memory_limit\s*=`, Line: "memory_limit = 256M"}
	wpHome := Line{Path: "/var/www/wp/wp-config.php", Match: `^\s*define\(\s*'WP_HOME'`, Line: "define('WP_HOME', 'https://example.com');"}
	for _, tt := range []struct {
		name    string
		line    Line
		content string
		action  plan.Action
		want    string // the new content, or a part of the conflict's reason
		number  int
	}{
		{"replaced in place", listen, memcachedConf, plan.Update,
			"# memcached default config\n-d\n-m 64\n-p 11211\n-l 10.0.0.11\n", 5},
		{"already there", listen, strings.Replace(memcachedConf, "127.0.0.1", "10.0.0.11", 1), plan.NoOp, "", 5},
		{"added at the end", listen, "-d\n-m 64\n", plan.Update, "-d\n-m 64\n-l 10.0.0.11\n", 3},
		{"added after a last line without a newline", listen, "-d\n-m 64", plan.Update, "-d\n-m 64\n-l 10.0.0.11\n", 3},
		{"added to an empty file", listen, "", plan.Update, "-l 10.0.0.11\n", 1},
		{"added after the first line matching after", withAfter(phpIni, `^\[PHP\]`),
			"[PHP]\nengine = On\n[Date]\n[PHP]\n", plan.Update, "[PHP]\nmemory_limit = 256M\nengine = On\n[Date]\n[PHP]\n", 2},
		{"replaced, after ignored", withAfter(phpIni, `^\[PHP\]`),
			"[PHP]\nengine = On\nmemory_limit = 128M ; default\n", plan.Update, "[PHP]\nengine = On\nmemory_limit = 256M\n", 3},
		{"commented setting left alone", phpIni, ";memory_limit = 64M\n", plan.Update, ";memory_limit = 64M\nmemory_limit = 256M\n", 2},
		{"added before the first line matching before", withBefore(wpHome, `^/\* That's all`),
			"<?php\ndefine('DB_NAME', 'wp');\n/* That's all, stop editing! */\nrequire_once ABSPATH . 'wp-settings.php';",
			plan.Update, "<?php\ndefine('DB_NAME', 'wp');\ndefine('WP_HOME', 'https://example.com');\n/* That's all, stop editing! */\nrequire_once ABSPATH . 'wp-settings.php';", 3},
		{"no anchor", withBefore(wpHome, `^/\* That's all`), "<?php\n", plan.Conflict, `no line of /var/www/wp/wp-config.php matches insert_before = "^/\\* That's all"`, 0},
		{"two lines match", listen, "-l 127.0.0.1\n-p 11211\n-l ::1\n", plan.Conflict, "lines 1 and 3 of /etc/memcached.conf match", 0},
		{"CRLF kept", listen, "-d\r\n-l 127.0.0.1\r\n-m 64\r\n", plan.Update, "-d\r\n-l 10.0.0.11\r\n-m 64\r\n", 2},
		{"CRLF added", listen, "-d\r\n-m 64\r\n", plan.Update, "-d\r\n-m 64\r\n-l 10.0.0.11\r\n", 3},
		{"CRLF converged", listen, "-l 10.0.0.11\r\n", plan.NoOp, "", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, err := tt.line.edit(tt.content)
			failOn(t, err)
			if e.action != tt.action {
				t.Fatalf("action %s, want %s (%s)", e.action, tt.action, e.reason)
			}
			switch tt.action {
			case plan.Conflict:
				if !strings.Contains(e.reason, tt.want) {
					t.Errorf("reason %q, want it to hold %q", e.reason, tt.want)
				}
				return
			case plan.Update:
				if d := cmp.Diff(tt.want, e.content); d != "" {
					t.Errorf("content (-want +got):\n%s", d)
				}
			}
			if e.number != tt.number {
				t.Errorf("line %d, want %d", e.number, tt.number)
			}
		})
	}
}

// textOut is what the textFile fact prints for a regular file.
func textOut(content string) string { return "file\n" + content }

func TestLinePlanShowsOldAndNewLines(t *testing.T) {
	l := &Line{NodeName: "web1", Site: "s", Name: "listen", Path: "/etc/memcached.conf", Match: `^-l\s`, Line: "-l 10.0.0.11"}
	src := factFixtures{"web1": {l.text().Key(): section(textOut(memcachedConf))}}
	c, err := l.Diff(context.Background(), src)
	failOn(t, err)
	if c.Action != plan.Update || c.Summary != "replace line 5 of /etc/memcached.conf" {
		t.Errorf("change: %s %q", c.Action, c.Summary)
	}
	if d := cmp.Diff([]string{"--l 127.0.0.1", "+-l 10.0.0.11"}, c.Details); d != "" {
		t.Errorf("details (-want +got):\n%s", d)
	}
	p, err := plan.DecodePayload[linePayload](c)
	if err != nil || p.Replaces != sha256Hex("-l 127.0.0.1") {
		t.Errorf("payload %+v %v: want the sha256 of the line replaced", p, err)
	}

	l.Line = "-l 10.0.0.11 -U 0"
	l.Match = `^-U\s`
	l.InsertAfter = `^-p\s`
	c, err = l.Diff(context.Background(), src)
	failOn(t, err)
	if c.Summary != "add a line to /etc/memcached.conf, after line 4" || !cmp.Equal(c.Details, []string{"+-l 10.0.0.11 -U 0"}) {
		t.Errorf("add: %q %q", c.Summary, c.Details)
	}
	if p, _ := plan.DecodePayload[linePayload](c); p.Replaces != "" {
		t.Errorf("an add carries no line to replace: %+v", p)
	}

	src["web1"][l.text().Key()] = section("absent")
	c, err = l.Diff(context.Background(), src)
	failOn(t, err)
	if c.Action != plan.Create || c.Pending != "/etc/memcached.conf does not exist yet" {
		t.Errorf("absent: %s pending %q: want a change that waits for the steps before it (the planner refuses it when there are none)", c.Action, c.Pending)
	}
	for _, tt := range []struct{ out, reason string }{
		{"link", "is a symlink"},
		{"escapes", "leads out of the site root"},
		{"notfile", "not a regular file"},
	} {
		src["web1"][l.text().Key()] = section(tt.out)
		c, err := l.Diff(context.Background(), src)
		failOn(t, err)
		if c.Action != plan.Conflict || !strings.Contains(c.Reason, tt.reason) {
			t.Errorf("%s: %s %q, want a conflict saying %q", tt.out, c.Action, c.Reason, tt.reason)
		}
	}
}

func TestLinePlanHidesSensitiveValues(t *testing.T) {
	const secret = "hunter22-new"
	l := &Line{NodeName: "web1", Name: "db_password", Path: "/var/www/wp/wp-config.php", Root: "/var/www/wp",
		Match: `^define\('DB_PASSWORD'`, Line: "define('DB_PASSWORD', '" + secret + "');",
		Hidden: true, Shown: "define('DB_PASSWORD', '(sensitive)');", ShownKnown: true, Secrets: []string{secret}}
	src := factFixtures{"web1": {l.text().Key(): section(textOut("<?php\ndefine('DB_PASSWORD', 'old-secret-1');\n"))}}
	c, err := l.Diff(context.Background(), src)
	failOn(t, err)
	shown := strings.Join(append([]string{c.Summary, c.Reason}, c.Details...), "\n")
	if strings.Contains(shown, secret) || strings.Contains(shown, "old-secret-1") {
		t.Errorf("the plan shows a secret:\n%s", shown)
	}
	if !slicesContain(c.Details, "+define('DB_PASSWORD', '(sensitive)');") {
		t.Errorf("details %q: want the new line rendered with the secret hidden", c.Details)
	}
	l.ShownKnown = false
	c, err = l.Diff(context.Background(), src)
	failOn(t, err)
	if strings.Contains(strings.Join(c.Details, "\n"), secret) || !strings.Contains(c.Details[1], "hidden") {
		t.Errorf("a line that can't be shown rendered: %q", c.Details)
	}

	// a line that is not sensitive still has the configuration's secrets
	// hidden in the line it replaces
	l = &Line{NodeName: "web1", Name: "user", Path: "/etc/app.conf", Match: `^user\s`, Line: "user app", Secrets: []string{"t0ps3cret"}}
	src["web1"][l.text().Key()] = section(textOut("user old t0ps3cret\n"))
	c, err = l.Diff(context.Background(), src)
	failOn(t, err)
	if c.Details[0] != "-user old (sensitive)" {
		t.Errorf("old line %q", c.Details[0])
	}
}

// TestLineOnAReplicaPlansAgainstThePrimarysCopy: a file under the site
// root that a replica lacks arrives with replicate, before the edit runs.
func TestLineOnAReplicaPlansAgainstThePrimarysCopy(t *testing.T) {
	l := &Line{NodeName: "web2", Name: "home", Path: "/var/www/wp/wp-config.php", Root: "/var/www/wp", Primary: "web1",
		Match: `^define\('WP_HOME'`, Line: "define('WP_HOME', 'http://web2');"}
	if got := len(l.Facts()); got != 2 || l.Facts()[1].Node != "web1" {
		t.Fatalf("facts %+v: want the file on web2 and on web1", l.Facts())
	}
	src := factFixtures{
		"web2": {l.text().Key(): section("absent")},
		"web1": {l.text().Key(): section(textOut("<?php\ndefine('WP_HOME', 'http://web1');\n"))},
	}
	c, err := l.Diff(context.Background(), src)
	failOn(t, err)
	if c.Action != plan.Update || !strings.Contains(c.Summary, "the copy replicate brings from web1") {
		t.Errorf("%s %q", c.Action, c.Summary)
	}
	src["web1"][l.text().Key()] = section("absent")
	if c, _ := l.Diff(context.Background(), src); c.Pending == "" {
		t.Errorf("absent on both: %s, want it pending on the steps before it", c.Action)
	}
}

func TestLineRefusesBadInput(t *testing.T) {
	good := func() map[string]cty.Value {
		return map[string]cty.Value{
			"path":  cty.StringVal("/etc/memcached.conf"),
			"match": cty.StringVal(`^-l\s`),
			"line":  cty.StringVal("-l 10.0.0.11"),
		}
	}
	with := func(k string, v cty.Value) map[string]cty.Value { m := good(); m[k] = v; return m }
	for _, tt := range []struct {
		name   string
		values map[string]cty.Value
		want   string
	}{
		{"bad regexp", with("match", cty.StringVal(`^-l(`)), `match "^-l(" is not a regular expression`},
		{"bad insert_after", with("insert_after", cty.StringVal(`[`)), "insert_after \"[\" is not a regular expression"},
		{"newline", with("line", cty.StringVal("-l 10.0.0.11\n-p 1")), "Invalid line"},
		{"line that match misses", with("line", cty.StringVal("-p 11211")), "line does not match match"},
		{"after and before", func() map[string]cty.Value {
			m := with("insert_after", cty.StringVal("^a"))
			m["insert_before"] = cty.StringVal("^b")
			return m
		}(), "Both insert_after and insert_before"},
		{"climbing path", with("path", cty.StringVal("../etc/passwd")), "Invalid path"},
		{"folder", with("path", cty.StringVal("/etc/")), "Invalid path"},
		{"sensitive path", with("path", cty.StringVal("/etc/x").Mark(block.SensitiveMark)), "Sensitive value in a line block"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := diagText(KindOf("line").Check(testDecl("line", "x", tt.values)))
			if !strings.Contains(got, tt.want) {
				t.Errorf("diagnostics %q, want %q", got, tt.want)
			}
		})
	}
	sensitiveLine := with("line", cty.StringVal("-l hunter22").Mark(block.SensitiveMark))
	sensitiveLine["match"] = cty.StringVal(`^-p\s`)
	if got := diagText(KindOf("line").Check(testDecl("line", "x", sensitiveLine))); strings.Contains(got, "hunter22") || got == "" {
		t.Errorf("a sensitive line that misses match: %q, want a diagnostic without the value", got)
	}
	withTab := with("line", cty.StringVal("-l\t10.0.0.11"))
	if diags := KindOf("line").Check(testDecl("line", "x", withTab)); len(diags) > 0 {
		t.Errorf("a good line block: %s", diagText(diags))
	}
}

// TestLinesOfOneFileConvergeInOneApply: two line blocks edit one file;
// both are planned against the same content, applied in turn, and the
// next plan has nothing to do. The file's mode and owner are kept and
// its previous version backed up.
func TestLinesOfOneFileConvergeInOneApply(t *testing.T) {
	p := filepath.Join(t.TempDir(), "memcached.conf")
	failOn(t, os.WriteFile(p, []byte(memcachedConf), 0o640))
	h := &transport.Local{NodeName: "web1"}
	listen := &Line{NodeName: "web1", Name: "listen", Path: p, Match: `^-l\s`, Line: "-l 10.0.0.11"}
	memory := &Line{NodeName: "web1", Name: "memory", Path: p, Match: `^-m\s`, Line: "-m 512"}
	conns := &Line{NodeName: "web1", Name: "conns", Path: p, Match: `^-c\s`, Line: "-c 4096", InsertAfter: `^-m\s`}
	all := []*Line{listen, memory, conns}
	set := facts.NewSet(map[string]transport.Host{"web1": h})
	var changes []*plan.Change
	for _, l := range all {
		c, err := l.Diff(context.Background(), set)
		failOn(t, err)
		if c.Action != plan.Update {
			t.Fatalf("%s: %s %s", l.Name, c.Action, c.Reason)
		}
		changes = append(changes, c)
	}
	for i, l := range all {
		failOn(t, l.Apply(context.Background(), h, changes[i], &recorder{}))
	}
	for _, l := range all {
		if again := planOn(t, l, h); again.Action != plan.NoOp {
			t.Errorf("%s after the apply: %s %s", l.Name, again.Action, again.Summary)
		}
	}
	got, err := os.ReadFile(p)
	failOn(t, err)
	want := "# memcached default config\n-d\n-m 512\n-c 4096\n-p 11211\n-l 10.0.0.11\n"
	if d := cmp.Diff(want, string(got)); d != "" {
		t.Errorf("file (-want +got):\n%s", d)
	}
	if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("mode: %v %v", st, err)
	}
	bak, err := os.ReadFile(p + ".shoal.bak")
	if err != nil || !strings.Contains(string(bak), "-m 512") || strings.Contains(string(bak), "-c 4096") {
		t.Errorf("backup %q %v: want the version before the last edit", bak, err)
	}
}

// TestLineRefusesWhatChangedSinceThePlan: the setting was edited by hand
// between plan and apply; the edit is refused and the hand edit kept. A
// change elsewhere in the file does not stop it.
func TestLineRefusesWhatChangedSinceThePlan(t *testing.T) {
	p := filepath.Join(t.TempDir(), "memcached.conf")
	failOn(t, os.WriteFile(p, []byte(memcachedConf), 0o644))
	h := &transport.Local{NodeName: "web1"}
	l := &Line{NodeName: "web1", Name: "listen", Path: p, Match: `^-l\s`, Line: "-l 10.0.0.11"}
	c := planOn(t, l, h)

	failOn(t, os.WriteFile(p, []byte(strings.Replace(memcachedConf, "127.0.0.1", "0.0.0.0", 1)), 0o644))
	err := l.Apply(context.Background(), h, c, &recorder{})
	if err == nil || !strings.Contains(err.Error(), "changed since the plan") {
		t.Fatalf("apply after a hand edit of the line: %v", err)
	}
	if b, _ := os.ReadFile(p); !strings.Contains(string(b), "-l 0.0.0.0") {
		t.Errorf("the hand edit was overwritten: %q", b)
	}

	failOn(t, os.WriteFile(p, []byte("# edited\n"+memcachedConf), 0o644))
	c = planOn(t, l, h)
	failOn(t, os.WriteFile(p, []byte("# edited twice\n"+memcachedConf), 0o644))
	if again := applyThenReplan(t, l, h, c); again.Action != plan.NoOp {
		t.Errorf("after an apply over an unrelated edit: %s %s", again.Action, again.Summary)
	}
	if b, _ := os.ReadFile(p); !strings.HasPrefix(string(b), "# edited twice\n") {
		t.Errorf("the unrelated edit was lost: %q", b)
	}
}

// TestLineInRootNeverFollowsALink: a file under a site root that a user
// replaced by a symlink is neither read nor written.
func TestLineInRootNeverFollowsALink(t *testing.T) {
	root := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	failOn(t, os.WriteFile(victim, []byte("secret = 1\n"), 0o644))
	failOn(t, os.Symlink(victim, filepath.Join(root, "wp-config.php")))
	h := &transport.Local{NodeName: "web1"}
	l := &Line{NodeName: "web1", Name: "x", Path: filepath.Join(root, "wp-config.php"), Root: root, Match: `^secret`, Line: "secret = 2"}
	if c := planOn(t, l, h); c.Action != plan.Conflict || !strings.Contains(c.Reason, "symlink") || strings.Contains(c.Reason+strings.Join(c.Details, ""), "secret = 1") {
		t.Fatalf("plan through a link: %s %q %q", c.Action, c.Reason, c.Details)
	}
	// planned when it was a file; a link by the time apply runs
	failOn(t, os.Remove(filepath.Join(root, "wp-config.php")))
	failOn(t, os.WriteFile(filepath.Join(root, "wp-config.php"), []byte("secret = 1\n"), 0o644))
	c := planOn(t, l, h)
	failOn(t, os.Remove(filepath.Join(root, "wp-config.php")))
	failOn(t, os.Symlink(victim, filepath.Join(root, "wp-config.php")))
	if err := l.Apply(context.Background(), h, c, &recorder{}); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Errorf("apply through a link: %v", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "secret = 1\n" {
		t.Errorf("the link's target was written: %q", b)
	}
}

func TestLineReadScriptsGolden(t *testing.T) {
	goldenScript(t, "line", "read", textFile{Path: "/etc/memcached.conf"}.Command())
	goldenScript(t, "line", "read-in-root", textFile{Path: "/var/www/it's site/wp-config.php", Root: "/var/www/it's site"}.Command())
	w := fileWrite{Path: "/etc/memcached.conf", Content: "-l 10.0.0.11\n", Was: sha256Hex(memcachedConf)}
	goldenScript(t, "line", "write", w.script())
}
