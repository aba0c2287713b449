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

// startMirrors starts a MariaDB holding the master's database, ee, and
// writes a master and a mirror, whose database is ee_mirror, side by side
// under the returned folder.
func startMirrors(t *testing.T) (db *mariaDB, master, mirror side, dir string) {
	t.Helper()
	needTools(t, "rsync", "rrsync")
	dir = t.TempDir()
	db = startMariaDB(t, filepath.Join(dir, "mariadb"))
	db.sql(t, `CREATE DATABASE ee;
CREATE USER 'ee'@'localhost' IDENTIFIED BY '`+strings.ReplaceAll(strings.ReplaceAll(eePassword, `\`, `\\`), `'`, `\'`)+`';
GRANT ALL ON ee.* TO 'ee'@'localhost';
CREATE TABLE ee.exp_actions (action_id INT PRIMARY KEY, class VARCHAR(50)) ENGINE=InnoDB;
INSERT INTO ee.exp_actions VALUES (1, 'Channel'), (2, 'Comment');
CREATE TABLE ee.exp_channel_titles (entry_id INT PRIMARY KEY, title VARCHAR(100)) ENGINE=InnoDB;
INSERT INTO ee.exp_channel_titles VALUES (1, 'Welcome');`)

	master = side{root: filepath.Join(dir, "master", "www"), conf: filepath.Join(dir, "master.conf"), state: filepath.Join(dir, "master", "state")}
	mirror = side{root: filepath.Join(dir, "mirror", "www"), conf: filepath.Join(dir, "mirror.conf"), state: filepath.Join(dir, "mirror", "state")}
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
	return db, master, mirror, dir
}

// TestMirrorJobs runs the dump, import, sync and database jobs as cron
// runs them, through the cases issue 9 names: a row reaches the mirror
// after a dump and an import; a dump killed mid-way is never imported; an
// import that fails keeps its dump for the next run; uploads, template
// edits and deletions reach the mirror and nothing else of the mirror's
// changes.
func TestMirrorJobs(t *testing.T) {
	db, master, mirror, dir := startMirrors(t)
	titles := func() string {
		return db.sql(t, "SELECT entry_id, title FROM ee_mirror.exp_channel_titles ORDER BY entry_id")
	}

	// the mirror's database and user
	if code, _ := mirror.job(t, "ready"); code == 0 {
		t.Fatal("the site's user reaches a database that does not exist")
	}
	mirror.mustJob(t, "database")
	mirror.mustJob(t, "database") // again: nothing to do, no error
	mirror.mustJob(t, "ready")
	// a mirror set up before the import's helper databases: its user has
	// the site's database alone, ready fails, and the database job (which
	// apply then runs) grants the rest
	db.sql(t, "REVOKE ALL ON `ee\\_mirror\\_shoal\\_in`.* FROM 'ee'@'localhost';"+
		"REVOKE ALL ON `ee\\_mirror\\_shoal\\_old`.* FROM 'ee'@'localhost';"+
		"DROP DATABASE ee_mirror_shoal_in; DROP DATABASE ee_mirror_shoal_old")
	if code, _ := mirror.job(t, "ready"); code == 0 {
		t.Fatal("ready passes for a user without the import's helper databases")
	}
	mirror.mustJob(t, "database")
	mirror.mustJob(t, "ready")

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
	defer db.hold(t, "LOCK TABLES ee.exp_channel_titles WRITE")()
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

// hold runs statements in a root session of its own and keeps that
// session, its transaction and its locks, until the returned func ends it.
func (m *mariaDB) hold(t *testing.T, statements string) (release func()) {
	t.Helper()
	session := exec.Command("mysql", "--defaults-file="+m.admin, "--batch", "--skip-column-names", "--unbuffered")
	in, err := session.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := session.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	session.Stderr = session.Stdout
	if err := session.Start(); err != nil {
		t.Fatal(err)
	}
	release = func() {
		in.Close() // the session ends, and its locks with it
		_ = session.Wait()
	}
	if _, err := io.WriteString(in, statements+";\nSELECT 'held';\n"); err != nil {
		release()
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "held\n" {
		release()
		t.Fatalf("%s: %q %v", statements, line, err)
	}
	return release
}

// TestMirrorImportIsAtomic: an import swaps the dump's tables into the
// live database all at once. A load that fails part-way leaves the live
// tables as they were (the same tables, the same rows) and keeps the
// dump; while an import is under way, nothing of it shows in the live
// database: a reader sees the old tables, or waits, and never a table
// already replaced beside one not yet replaced, nor a missing one.
// `mysql ee_mirror < dump` fails both: it drops and refills the live
// tables one after the other.
func TestMirrorImportIsAtomic(t *testing.T) {
	db, master, mirror, _ := startMirrors(t)
	mirror.mustJob(t, "database")
	master.mustJob(t, "dump")
	mirror.mustJob(t, "import")
	// the mirror's own: a table the dump lacks, and rows the master lacks
	db.sql(t, `CREATE TABLE ee_mirror.exp_mirror_only (id INT PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO ee_mirror.exp_mirror_only VALUES (7);
INSERT INTO ee_mirror.exp_actions VALUES (90, 'the mirror''s own row');
INSERT INTO ee_mirror.exp_channel_titles VALUES (90, 'the mirror''s own row');`)
	// live: every table of the mirror's database, its InnoDB id and rows
	live := func() string {
		return db.sql(t, `SELECT NAME, TABLE_ID FROM information_schema.INNODB_SYS_TABLES WHERE NAME LIKE 'ee\\_mirror/%' ORDER BY NAME;
SELECT * FROM ee_mirror.exp_actions ORDER BY 1;
SELECT * FROM ee_mirror.exp_channel_titles ORDER BY 1;
SELECT * FROM ee_mirror.exp_mirror_only ORDER BY 1;`)
	}
	helpersEmpty := func() {
		t.Helper()
		if got := db.sql(t, "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ('ee_mirror_shoal_in', 'ee_mirror_shoal_old')"); got != "" {
			t.Errorf("the import left tables in its helper databases:\n%s", got)
		}
		mirror.mustJob(t, "ready") // and both are still there: the next plan runs no database job
	}

	// a dump whose second table fails to load: exp_actions loads, then
	// exp_channel_titles' INSERT hits a duplicate key
	db.sql(t, "INSERT INTO ee.exp_actions VALUES (3, 'Member'); INSERT INTO ee.exp_channel_titles VALUES (2, 'Second post')")
	master.mustJob(t, "dump")
	good := filepath.Join(master.root, "assets/sql", master.dumps(t)[0])
	dump := readFile(t, good)
	insert := "INSERT INTO `exp_channel_titles` VALUES"
	if strings.Index(dump, "INSERT INTO `exp_actions` VALUES") > strings.Index(dump, insert) || !strings.Contains(dump, insert) {
		t.Fatalf("the dump does not load exp_actions before exp_channel_titles:\n%s", dump)
	}
	bad := "dump-29990101T000000.000000000Z.sql" // newer than any the master writes
	writeFile(t, filepath.Join(master.root, "assets/sql", bad), strings.Replace(dump, insert, insert+" (1,'a duplicate key'),", 1), 0o600)
	if err := os.Remove(good); err != nil {
		t.Fatal(err)
	}
	before := live()
	if code, out := mirror.job(t, "import"); code == 0 || !strings.Contains(out, "left as it was and the dump is kept for the next run") {
		t.Fatalf("importing a dump that fails part-way: exit %d\n%s", code, out)
	}
	if got := live(); got != before {
		t.Fatalf("a failed import changed the live database:\n%s\nwant, as before it:\n%s", got, before)
	}
	if got := mirror.dumps(t); len(got) != 1 || got[0] != bad {
		t.Fatalf("the failed import did not keep its dump: %v", got)
	}
	helpersEmpty()
	if err := os.Remove(filepath.Join(master.root, "assets/sql", bad)); err != nil {
		t.Fatal(err)
	}
	master.mustJob(t, "dump")

	// a good import, held up by a reader in a transaction on the second
	// table: until the reader ends, the live database is the old one
	reader := db.hold(t, "START TRANSACTION; SELECT COUNT(*) INTO @n FROM ee_mirror.exp_channel_titles")
	importing := exec.Command("sh", "expressionengine/mirror.sh", mirror.conf, "import")
	var out bytes.Buffer
	importing.Stdout, importing.Stderr = &out, &out
	if err := importing.Start(); err != nil {
		reader()
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if db.sql(t, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE STATE = 'Waiting for table metadata lock'") != "0\n" {
			break
		}
		if i == 300 {
			reader()
			_ = importing.Wait()
			t.Fatalf("the import never waited for the reader's table:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// another reader: the old rows of exp_actions, or a wait for the swap;
	// never the dump's rows while exp_channel_titles is still the old one
	seen, _ := exec.Command("mysql", "--defaults-file="+db.admin, "--batch", "--skip-column-names", "-e",
		"SET SESSION lock_wait_timeout = 1; SELECT GROUP_CONCAT(action_id ORDER BY action_id) FROM ee_mirror.exp_actions").CombinedOutput()
	reader()
	if err := importing.Wait(); err != nil {
		t.Fatalf("the import held up by a reader: %v\n%s", err, out.String())
	}
	if string(seen) != "1,2,90\n" && !strings.Contains(string(seen), "Lock wait timeout exceeded") {
		t.Errorf("mid-import, a reader of exp_actions got %q, want the old rows 1,2,90 (or a wait)", seen)
	} else {
		t.Logf("mid-import, a reader of exp_actions got %q", seen)
	}
	if got := db.sql(t, "SELECT * FROM ee_mirror.exp_actions ORDER BY 1; SELECT * FROM ee_mirror.exp_channel_titles ORDER BY 1"); got != "1\tChannel\n2\tComment\n3\tMember\n1\tWelcome\n2\tSecond post\n" {
		t.Errorf("after the import:\n%s", got)
	}
	after := live()
	for _, table := range []string{"exp_actions", "exp_channel_titles"} {
		if id := tableID(before, table); id == "" || id == tableID(after, table) {
			t.Errorf("%s has InnoDB id %s before and after the import: not swapped in", table, id)
		}
	}
	if tableID(after, "exp_mirror_only") != tableID(before, "exp_mirror_only") {
		t.Error("the import replaced a table the dump does not hold")
	}
	helpersEmpty()
}

// tableID is the InnoDB id of ee_mirror's table in live()'s output.
func tableID(live, table string) string {
	for _, line := range strings.Split(live, "\n") {
		if name, id, ok := strings.Cut(line, "\t"); ok && name == "ee_mirror/"+table {
			return id
		}
	}
	return ""
}
