package e2e

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/shoal-sh/shoal/lab"
	"github.com/shoal-sh/shoal/shell"
)

// Real services on lab hosts, for the apps' end-to-end tests. Lab hosts
// see this machine's installed packages but run no init system, so each
// daemon is started here by hand, as its package's init script would,
// with a data folder of its own on the host's overlay (gone with the
// host). Each start waits until the daemon answers, and fails the test
// with the daemon's log when it does not.

// labShell runs scripts on the hosts of one lab, with the ssh client and
// the lab's ssh_config.
type labShell struct {
	sshConfig string
}

// run runs script on host with sh and returns its standard output; a
// non-zero exit fails the test.
func (l labShell) run(t *testing.T, host, script string) string {
	t.Helper()
	out, errs, err := l.try(host, script)
	if err != nil {
		t.Fatalf("%s: %v\nscript:\n%s\nstderr: %s", host, err, script, errs)
	}
	return out
}

// try runs script on host and returns its output, errors and exit error.
func (l labShell) try(host, script string) (stdout, stderr string, err error) {
	cmd := exec.Command("ssh", "-F", l.sshConfig, host, "sh", "-s")
	cmd.Stdin = strings.NewReader(script)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// startOwnLab starts a lab of the test's own (`shoal lab up` with args),
// takes it down when the test ends, and returns it as lab.Status reads it.
func startOwnLab(t *testing.T, args ...string) *lab.Lab {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "lab")
	if out, err := exec.Command(shoalBin, append([]string{"lab", "up", "--dir", dir}, args...)...).CombinedOutput(); err != nil {
		_ = exec.Command(shoalBin, "lab", "down", "--dir", dir).Run()
		t.Fatalf("a lab of the test's own (%s) did not start: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(shoalBin, "lab", "down", "--dir", dir).CombinedOutput(); err != nil {
			t.Errorf("lab down: %v\n%s", err, out)
		}
	})
	l, _, err := lab.Status(dir)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// linkOf is host's end of its veth on this machine: down, the host is cut
// off from the lab.
func linkOf(t *testing.T, l *lab.Lab, host string) string {
	t.Helper()
	for _, h := range l.Hosts {
		if h.Name == host && h.Link != "" {
			return h.Link
		}
	}
	t.Fatalf("the lab has no link for %s", host)
	return ""
}

// each runs f for every host at once and waits for them all.
func each(hosts []string, f func(host string)) {
	var wg sync.WaitGroup
	for _, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(h)
		}()
	}
	wg.Wait()
}

// startDaemon starts a daemon on host (start: a shell command that
// returns once it has detached, its output in log) and waits up to 30
// seconds for ready (a shell test) to succeed.
func (l labShell) startDaemon(t *testing.T, host, name, start, ready, log string) {
	t.Helper()
	script := shell.Script(`if ! sh -c "$start"; then
	echo "$name did not start:" >&2
	tail -n 30 "$log" >&2
	exit 1
fi
i=0
until sh -c "$ready" >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -ge 300 ]; then
		echo "$name does not answer after 30s:" >&2
		tail -n 30 "$log" >&2
		exit 1
	fi
	sleep 0.1
done`, shell.Bind("name", name), shell.Bind("start", start), shell.Bind("ready", ready), shell.Bind("log", log))
	if _, errs, err := l.try(host, script); err != nil {
		t.Fatalf("%s: starting %s: %v\n%s", host, name, err, errs)
	}
}

// mariaDBDir is where a lab host's MariaDB keeps its data.
const mariaDBDir = "/var/lib/shoal-lab/mysql"

// startMariaDB starts Debian's MariaDB server on host as the package
// would: as user mysql, /run/mysqld owned by mysql, listening on the
// default socket (/run/mysqld/mysqld.sock, where mysql, mysqldump and PHP
// look), root logging in through that socket as the OS's root. Its data
// folder is new, with no database but the system's. With listen set
// (an address of the host), it takes TCP connections there on 3306 too.
func (l labShell) startMariaDB(t *testing.T, host, listen string) {
	t.Helper()
	network := "--skip-networking"
	if listen != "" {
		network = "--bind-address=" + listen + " --skip-name-resolve"
	}
	setup := shell.Script(`set -e
mkdir -p "$data" /run/mysqld
chown mysql:mysql "$data" /run/mysqld
if [ ! -d "$data/mysql" ]; then
	mariadb-install-db --no-defaults --user=mysql --datadir="$data" \
		--auth-root-authentication-method=socket --skip-test-db > /var/log/shoal-lab-mariadb-install.log 2>&1 ||
		{ cat /var/log/shoal-lab-mariadb-install.log >&2; exit 1; }
fi`, shell.Bind("data", mariaDBDir))
	l.run(t, host, setup)
	start := "setsid mariadbd --no-defaults --user=mysql --datadir=" + mariaDBDir +
		" --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mysqld.pid " + network +
		" --innodb-buffer-pool-size=16M --skip-log-bin --log-error=/var/log/shoal-lab-mariadb.log </dev/null >/dev/null 2>&1 &"
	l.startDaemon(t, host, "mariadbd", start, "mysqladmin ping", "/var/log/shoal-lab-mariadb.log")
}

// stopMariaDB stops host's MariaDB and removes its data, for a lab that
// outlives the test.
func (l labShell) stopMariaDB(t *testing.T, host string) {
	t.Helper()
	l.run(t, host, shell.Script(`pid=$(cat /run/mysqld/mysqld.pid 2>/dev/null) || pid=
if [ -n "$pid" ]; then
	kill "$pid" 2>/dev/null || :
	i=0
	while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
fi
rm -rf "$data"`, shell.Bind("data", mariaDBDir)))
}

// sql runs statements on host's MariaDB as root and returns what they
// print, tab-separated, without column names.
func (l labShell) sql(t *testing.T, host, statements string) string {
	t.Helper()
	return l.run(t, host, "mysql --batch --skip-column-names <<'SQL'\n"+statements+"\nSQL\n")
}

// mariaDB is the MariaDB server of one lab host, for tests that talk to
// one database host.
type mariaDB struct {
	lab  labShell
	host string
}

func (db mariaDB) sql(t *testing.T, statements string) string {
	t.Helper()
	return db.lab.sql(t, db.host, statements)
}

// addUser creates a user that may connect from anywhere and do anything
// with the database name (which need not exist yet).
func (db mariaDB) addUser(t *testing.T, user, password, database string) {
	t.Helper()
	db.sql(t, fmt.Sprintf("CREATE USER %s@'%%' IDENTIFIED BY %s;\nGRANT ALL ON `%s`.* TO %s@'%%';",
		sqlString(user), sqlString(password), database, sqlString(user)))
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// startNamed starts Debian's BIND on host with the package's own
// configuration (/etc/bind/named.conf and what it includes), as user
// bind: rndc reaches it on 127.0.0.1 with /etc/bind/rndc.key, dig on
// port 53 of every address of the host.
func (l labShell) startNamed(t *testing.T, host string) {
	t.Helper()
	l.run(t, host, "set -e\nmkdir -p /run/named\nchown bind:bind /run/named /var/cache/bind\n")
	l.startDaemon(t, host, "named", "named -u bind -c /etc/bind/named.conf -L /var/log/shoal-lab-named.log",
		"rndc status", "/var/log/shoal-lab-named.log")
}

// dig asks the DNS server at server for name's records of type, from
// host, and returns the answer section: one "name TTL class type data"
// line each, sorted.
func (l labShell) dig(t *testing.T, host, server, name, typ string) []string {
	t.Helper()
	out := l.run(t, host, fmt.Sprintf("dig @%s %s %s +noall +answer +time=2 +tries=2", shell.Quote(server), shell.Quote(name), shell.Quote(typ)))
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			lines = append(lines, strings.Join(f, " "))
		}
	}
	sort.Strings(lines)
	return lines
}
