package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shoal-sh/shoal/shell"
)

// Daemons the app tests need, started inside lab hosts from Debian's
// packages (lab hosts see the machine's). Each gets its own data under
// /var/lib/shoal-e2e-* on the host's overlay and is stopped, and its data
// removed, when the test ends.

// mariaDB is a MariaDB server started on a lab host for one test.
type mariaDB struct {
	host string // the lab host it runs on
	addr string // the address it listens on, as other lab hosts reach it
}

// startMariaDB starts mariadbd on host with a data dir of its own,
// listening on addr:3306 (and its socket, /run/mysqld/mysqld.sock, where
// root logs in through unix_socket authentication, as on Debian).
func startMariaDB(t *testing.T, host, addr string) *mariaDB {
	t.Helper()
	onHost(t, host, shell.Script(`set -e
data=/var/lib/shoal-e2e-mysql
rm -rf "$data"
mkdir -p "$data" /run/mysqld
chown mysql:mysql "$data" /run/mysqld
mariadb-install-db --user=mysql --datadir="$data" --auth-root-authentication-method=socket --skip-test-db >/tmp/shoal-e2e-mysql-install.log 2>&1 || { cat /tmp/shoal-e2e-mysql-install.log; exit 1; }
setsid mariadbd --user=mysql --datadir="$data" --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/shoal-e2e.pid \
	--bind-address="$addr" --port=3306 --skip-name-resolve --innodb-buffer-pool-size=16M --log-error="$data/error.log" \
	</dev/null >/dev/null 2>&1 &
i=0
until mariadb -uroot -e 'SELECT 1' >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -ge 300 ]; then
		echo "mariadbd did not answer within 30s" >&2
		cat "$data/error.log" >&2
		exit 1
	fi
	sleep 0.1
done`, shell.Bind("addr", addr)))
	t.Cleanup(func() {
		onHost(t, host, `pid=$(cat /run/mysqld/shoal-e2e.pid 2>/dev/null) || pid=
if [ -n "$pid" ]; then
	kill "$pid" 2>/dev/null || :
	i=0
	while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
fi
rm -rf /var/lib/shoal-e2e-mysql /run/mysqld/shoal-e2e.pid`)
	})
	return &mariaDB{host: host, addr: addr}
}

// sql runs statements as the server's root and returns the rows, tab
// separated, without column names.
func (db *mariaDB) sql(t *testing.T, statements string) string {
	t.Helper()
	return onHost(t, db.host, shell.Script(`printf '%s\n' "$sql" | mariadb -uroot -N -B`, shell.Bind("sql", statements)))
}

// addUser creates a user that may connect from anywhere and do anything
// with the database name (which need not exist yet).
func (db *mariaDB) addUser(t *testing.T, user, password, database string) {
	t.Helper()
	db.sql(t, fmt.Sprintf("CREATE USER %s@'%%' IDENTIFIED BY %s;\nGRANT ALL ON `%s`.* TO %s@'%%';",
		sqlString(user), sqlString(password), database, sqlString(user)))
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// startPHPFPM is a script that starts Debian's php8.2-fpm (its pool
// listens on /run/php/php8.2-fpm.sock as www-data) through its init
// script; stop it with service php8.2-fpm stop.
const startPHPFPM = `service php8.2-fpm start </dev/null >/tmp/shoal-e2e-fpm.log 2>&1 || { cat /tmp/shoal-e2e-fpm.log; exit 1; }
`
