package recipes_test

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The expressionengine recipe's jobs (recipes/expressionengine/mirror.sh)
// run here against a real MariaDB and a real rsync, with a master and a
// mirror side by side on this machine. The mirror reaches the master the
// way it does on the nodes, through rrsync -ro; only ssh itself is
// replaced by a script that runs the trusted key's forced command, as
// sshd would. The lab runs the same jobs over real SSH (e2e).

const eePassword = `p#a s"s\w'd` // a password with everything an option file must quote

// needTools fails in CI, and skips elsewhere, when a tool the jobs use is
// missing (scripts/test.sh installs them).
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed: scripts/test.sh installs it", tool)
			}
			t.Skipf("%s is not installed (scripts/test.sh installs it)", tool)
		}
	}
}

// mariaDB is a MariaDB server of the test's own: its data dir and socket
// in a temporary folder, no network.
type mariaDB struct {
	socket string
	admin  string // an option file for root over the socket
}

func startMariaDB(t *testing.T, dir string) *mariaDB {
	t.Helper()
	needTools(t, "mariadb-install-db", "mariadbd", "mysql", "mysqldump", "my_print_defaults")
	if os.Geteuid() != 0 {
		t.Skip("the jobs run as root, as cron runs them")
	}
	data := filepath.Join(dir, "data")
	if out, err := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+data, "--user=root",
		"--auth-root-authentication-method=socket", "--skip-test-db").CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	m := &mariaDB{socket: filepath.Join(dir, "mysqld.sock"), admin: filepath.Join(dir, "admin.cnf")}
	server := exec.Command("mariadbd", "--no-defaults", "--datadir="+data, "--socket="+m.socket, "--skip-networking",
		"--pid-file="+filepath.Join(dir, "mysqld.pid"), "--user=root", "--log-error="+filepath.Join(dir, "error.log"),
		"--innodb-buffer-pool-size=16M", "--skip-log-bin")
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = server.Process.Signal(syscall.SIGTERM)
		_ = server.Wait()
	})
	writeFile(t, m.admin, "[client]\nuser=root\nsocket="+m.socket+"\n", 0o600)
	for i := 0; ; i++ {
		if exec.Command("mysqladmin", "--defaults-file="+m.admin, "ping").Run() == nil {
			break
		}
		if i == 100 {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("mariadbd did not answer:\n%s", log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return m
}

// sql runs statements as root and returns what they print, tab-separated.
func (m *mariaDB) sql(t *testing.T, statements string) string {
	t.Helper()
	cmd := exec.Command("mysql", "--defaults-file="+m.admin, "--batch", "--skip-column-names")
	cmd.Stdin = strings.NewReader(statements)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mysql: %v\n%s\n%s", err, statements, out)
	}
	return string(out)
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// optionFile is what the recipe's client_cnf block writes, for a socket.
func optionFile(socket string) string {
	quoted := strings.ReplaceAll(strings.ReplaceAll(eePassword, `\`, `\\`), `"`, `\"`)
	return "[client]\nuser=ee\npassword=\"" + quoted + "\"\nsocket=" + socket + "\n"
}

// side is the master or a mirror: a site root, a conf, a state folder.
type side struct {
	root, conf, state string
}

// job runs `mirror CONF JOB` and returns its exit code and output.
func (s side) job(t *testing.T, job string) (int, string) {
	t.Helper()
	cmd := exec.Command("sh", "expressionengine/mirror.sh", s.conf, job)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.String()
}

func (s side) mustJob(t *testing.T, job string) {
	t.Helper()
	if code, out := s.job(t, job); code != 0 {
		t.Fatalf("mirror %s exited %d:\n%s", job, code, out)
	}
}

func (s side) dumps(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(s.root, "assets/sql/dump-*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

func readState(t *testing.T, s side, name string) string {
	b, _ := os.ReadFile(filepath.Join(s.state, name))
	return strings.TrimSpace(string(b))
}

// TestMirrorJobs runs the dump, import, sync and database jobs as cron
// runs them, through the cases issue 9 names: a row reaches the mirror
// after a dump and an import; a dump killed mid-way is never imported; an
// import that fails keeps its dump for the next run; uploads, template
// edits and deletions reach the mirror and nothing else of the mirror's
// changes.
func TestMirrorJobs(t *testing.T) {
	needTools(t, "rsync", "rrsync")
	dir := t.TempDir()
	db := startMariaDB(t, filepath.Join(dir, "mariadb"))
	db.sql(t, `CREATE DATABASE ee;
CREATE USER 'ee'@'localhost' IDENTIFIED BY '`+strings.ReplaceAll(strings.ReplaceAll(eePassword, `\`, `\\`), `'`, `\'`)+`';
GRANT ALL ON ee.* TO 'ee'@'localhost';
CREATE TABLE ee.exp_actions (action_id INT PRIMARY KEY, class VARCHAR(50)) ENGINE=InnoDB;
INSERT INTO ee.exp_actions VALUES (1, 'Channel'), (2, 'Comment');
CREATE TABLE ee.exp_channel_titles (entry_id INT PRIMARY KEY, title VARCHAR(100)) ENGINE=InnoDB;
INSERT INTO ee.exp_channel_titles VALUES (1, 'Welcome');`)

	master := side{root: filepath.Join(dir, "master", "www"), conf: filepath.Join(dir, "master.conf"), state: filepath.Join(dir, "master", "state")}
	mirror := side{root: filepath.Join(dir, "mirror", "www"), conf: filepath.Join(dir, "mirror.conf"), state: filepath.Join(dir, "mirror", "state")}
	writeFile(t, filepath.Join(dir, "client.cnf"), optionFile(db.socket), 0o600)
	writeFile(t, filepath.Join(master.root, "images/uploads/a.jpg"), "a", 0o644)
	writeFile(t, filepath.Join(master.root, "system/user/templates/default_site/news.group/index.html"), "{exp:channel:entries}v1", 0o644)
	writeFile(t, filepath.Join(master.root, "assets/css/site.css"), "body{}", 0o644)
	writeFile(t, filepath.Join(master.root, "index.php"), "<?php // master", 0o644)
	writeFile(t, filepath.Join(mirror.root, "images/uploads/stale.jpg"), "gone from the master", 0o644)
	writeFile(t, filepath.Join(mirror.root, "images/captchas/1234.jpg"), "the mirror's own", 0o644)
	writeFile(t, filepath.Join(mirror.root, "index.php"), "<?php // mirror", 0o644)
	ssh := filepath.Join(dir, "ssh-master")
	writeFile(t, ssh, "#!/bin/sh\n# sshd with the trusted key's forced command\nshift\nSSH_ORIGINAL_COMMAND=\"$*\" exec rrsync -ro "+master.root+"\n", 0o755)
	common := "mysql_cnf=" + filepath.Join(dir, "client.cnf") + "\nsql_dir=assets/sql\n"
	writeFile(t, master.conf, "root="+master.root+"\nstate="+master.state+"\ndb=ee\n"+common, 0o644)
	writeFile(t, mirror.conf, "root="+mirror.root+"\nstate="+mirror.state+"\ndb=ee_mirror\nmaster=master\nrsh="+ssh+"\n"+common+
		"admin_cnf="+db.admin+"\nsync=images/uploads\nsync=images/avatars\nsync=system/user/templates\nsync=assets\n", 0o644)
	titles := func() string {
		return db.sql(t, "SELECT entry_id, title FROM ee_mirror.exp_channel_titles ORDER BY entry_id")
	}

	// the mirror's database and user
	if code, _ := mirror.job(t, "reaches"); code == 0 {
		t.Fatal("the site's user reaches a database that does not exist")
	}
	mirror.mustJob(t, "database")
	mirror.mustJob(t, "database") // again: nothing to do, no error
	mirror.mustJob(t, "reaches")

	// a row reaches the mirror after a dump and an import
	master.mustJob(t, "dump")
	first := master.dumps(t)
	if len(first) != 1 {
		t.Fatalf("dumps after the first dump: %v", first)
	}
	if st, err := os.Stat(filepath.Join(master.root, "assets/sql", first[0])); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the dump must be readable by root alone (not the web server): %v %v", st.Mode(), err)
	}
	mirror.mustJob(t, "import")
	if got := titles(); got != "1\tWelcome\n" {
		t.Fatalf("mirror after the first import:\n%s", got)
	}
	if left := mirror.dumps(t); len(left) != 0 || readState(t, mirror, "imported") != first[0] {
		t.Errorf("after a good import the dump is removed and its name recorded: %v, %q", left, readState(t, mirror, "imported"))
	}
	db.sql(t, "INSERT INTO ee_mirror.exp_channel_titles VALUES (99, 'marks an import')")
	mirror.mustJob(t, "import") // nothing new: no pull, no import
	if got := titles(); !strings.Contains(got, "marks an import") {
		t.Fatalf("an import ran without a new dump:\n%s", got)
	}
	db.sql(t, "INSERT INTO ee.exp_channel_titles VALUES (2, 'Second post')")
	master.mustJob(t, "dump")
	mirror.mustJob(t, "import")
	if got := titles(); got != "1\tWelcome\n2\tSecond post\n" {
		t.Fatalf("mirror after the second import:\n%s", got)
	}
	if got := master.dumps(t); len(got) != 1 || got[0] == first[0] {
		t.Errorf("the master keeps its newest dump alone: %v", got)
	}

	// a dump killed mid-way is never imported
	db.sql(t, "INSERT INTO ee.exp_channel_titles VALUES (3, 'Killed with its dump')")
	killDumpMidway(t, db, master)
	if got := master.dumps(t); len(got) != 1 || readState(t, master, "dumped") != got[0] {
		t.Fatalf("a killed dump left a complete-looking dump: %v", got)
	}
	mirror.mustJob(t, "import")
	if got := titles(); strings.Contains(got, "Killed") {
		t.Fatalf("the mirror imported a dump killed mid-way:\n%s", got)
	}

	// an import that fails keeps the dump for the next run
	master.mustJob(t, "dump")
	kept := master.dumps(t)[0]
	db.sql(t, "REVOKE ALL ON ee_mirror.* FROM 'ee'@'localhost'")
	if code, out := mirror.job(t, "import"); code == 0 || !strings.Contains(out, "kept for the next run") {
		t.Fatalf("an import without privileges: exit %d\n%s", code, out)
	}
	if got := mirror.dumps(t); len(got) != 1 || got[0] != kept {
		t.Fatalf("the failed import did not keep its dump: %v", got)
	}
	db.sql(t, "GRANT ALL ON ee_mirror.* TO 'ee'@'localhost'")
	mirror.mustJob(t, "import")
	if got := titles(); !strings.Contains(got, "3\tKilled with its dump") {
		t.Fatalf("the next run did not import the kept dump:\n%s", got)
	}
	if got := mirror.dumps(t); len(got) != 0 {
		t.Errorf("the dump outlived its import: %v", got)
	}

	// files: uploads, a template edit and a deletion reach the mirror;
	// the mirror's own files and the dumps do not move
	mirror.mustJob(t, "sync")
	writeFile(t, filepath.Join(master.root, "images/uploads/new upload.jpg"), "new", 0o644)
	writeFile(t, filepath.Join(master.root, "system/user/templates/default_site/news.group/index.html"), "{exp:channel:entries}v2", 0o644)
	if err := os.Remove(filepath.Join(master.root, "images/uploads/a.jpg")); err != nil {
		t.Fatal(err)
	}
	master.mustJob(t, "dump") // a dump on the master that sync must leave alone
	mirror.mustJob(t, "sync")
	for path, want := range map[string]string{
		"images/uploads/new upload.jpg":                            "new",
		"system/user/templates/default_site/news.group/index.html": "{exp:channel:entries}v2",
		"assets/css/site.css":                                      "body{}",
		"images/captchas/1234.jpg":                                 "the mirror's own",
		"index.php":                                                "<?php // mirror",
	} {
		if b, err := os.ReadFile(filepath.Join(mirror.root, path)); err != nil || string(b) != want {
			t.Errorf("mirror %s: %q %v, want %q", path, b, err, want)
		}
	}
	for _, gone := range []string{"images/uploads/a.jpg", "images/uploads/stale.jpg"} {
		if _, err := os.Stat(filepath.Join(mirror.root, gone)); err == nil {
			t.Errorf("mirror still has %s, which the master does not", gone)
		}
	}
	if got := mirror.dumps(t); len(got) != 0 {
		t.Errorf("sync pulled dumps: %v", got)
	}
	if readState(t, mirror, "synced") == "" {
		t.Error("sync records no time of its last success")
	}

	// a site root that is a symlink is refused
	link := side{root: filepath.Join(dir, "link"), conf: filepath.Join(dir, "link.conf"), state: mirror.state}
	if err := os.Symlink(mirror.root, link.root); err != nil {
		t.Fatal(err)
	}
	writeFile(t, link.conf, strings.Replace(readFile(t, mirror.conf), "root="+mirror.root, "root="+link.root, 1), 0o644)
	if code, out := link.job(t, "sync"); code == 0 || !strings.Contains(out, "symlink") {
		t.Errorf("a symlinked root: exit %d %s", code, out)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// killDumpMidway holds a write lock on the second table, so mysqldump
// stops after writing the first, and kills the dump job there.
func killDumpMidway(t *testing.T, db *mariaDB, master side) {
	t.Helper()
	lock := exec.Command("mysql", "--defaults-file="+db.admin, "--batch", "--skip-column-names", "--unbuffered")
	in, err := lock.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := lock.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := lock.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		in.Close() // the session ends, and its lock with it
		_ = lock.Wait()
	}()
	if _, err := io.WriteString(in, "LOCK TABLES ee.exp_channel_titles WRITE;\nSELECT 'locked';\n"); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "locked\n" {
		t.Fatalf("taking the lock: %q %v", line, err)
	}
	dump := exec.Command("sh", "expressionengine/mirror.sh", master.conf, "dump")
	dump.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := dump.Start(); err != nil {
		t.Fatal(err)
	}
	partial := filepath.Join(master.root, "assets/sql/dump.partial")
	for i := 0; ; i++ {
		if b, err := os.ReadFile(partial); err == nil && strings.Contains(string(b), "exp_actions") {
			break
		}
		if i == 200 {
			t.Fatal("mysqldump did not get as far as the first table")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := syscall.Kill(-dump.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = dump.Wait()
}
