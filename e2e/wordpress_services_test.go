package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/shoal-sh/shoal/shell"
)

// The WordPress test's lab and the real services it runs there. Lab hosts
// see this machine's installed packages but run no init system, so each
// daemon is started here by hand, as its package's init script would,
// with its data in the host's own overlay (gone with the host). Each
// start waits until the daemon answers, and fails the test with the
// daemon's log when it does not.

// wpLab is a lab of the WordPress test's own: web1..web3 (the master and
// two slaves), backup and dns.
type wpLab struct {
	dir       string
	sshConfig string
	addr      map[string]string // host → address on the lab's bridge
}

// startWPLab starts the lab and takes it down when the test ends.
func startWPLab(t *testing.T) *wpLab {
	t.Helper()
	l := &wpLab{dir: filepath.Join(t.TempDir(), "lab"), addr: map[string]string{}}
	l.sshConfig = filepath.Join(l.dir, "ssh_config")
	if out, err := exec.Command(shoalBin, "lab", "up", "--web", "3", "--host", "backup", "--host", "dns", "--dir", l.dir).CombinedOutput(); err != nil {
		_ = exec.Command(shoalBin, "lab", "down", "--dir", l.dir).Run()
		t.Fatalf("the WordPress lab did not start: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(shoalBin, "lab", "down", "--dir", l.dir).CombinedOutput(); err != nil {
			t.Errorf("lab down: %v\n%s", err, out)
		}
	})
	conf, err := os.ReadFile(l.sshConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^Host (\S+)\n\s*HostName (\S+)`).FindAllStringSubmatch(string(conf), -1) {
		l.addr[m[1]] = m[2]
	}
	for _, h := range []string{"web1", "web2", "web3", "backup", "dns"} {
		if l.addr[h] == "" {
			t.Fatalf("the lab's ssh_config has no address for %s:\n%s", h, conf)
		}
	}
	return l
}

// net is the lab's network, "10.77.N".
func (l *wpLab) net() string { return l.addr["web1"][:strings.LastIndex(l.addr["web1"], ".")] }

// shoal runs the binary with this lab's ssh_config.
func (l *wpLab) shoal(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(shoalBin, append([]string{"-F", l.sshConfig}, args...)...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running shoal %v: %v", args, err)
	}
	return result{code, out.String(), errb.String()}
}

// run runs script on host with sh and returns its standard output; a
// non-zero exit fails the test.
func (l *wpLab) run(t *testing.T, host, script string) string {
	t.Helper()
	out, errs, err := l.try(host, script)
	if err != nil {
		t.Fatalf("%s: %v\nscript:\n%s\nstderr: %s", host, err, script, errs)
	}
	return out
}

// try runs script on host and returns its output, errors and exit error.
func (l *wpLab) try(host, script string) (stdout, stderr string, err error) {
	cmd := exec.Command("ssh", "-F", l.sshConfig, host, "sh", "-s")
	cmd.Stdin = strings.NewReader(script)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// onEach runs f for every host at once and waits for them all.
func onEach(hosts []string, f func(host string)) {
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

// daemon starts a daemon on host (start: a shell command that returns
// once it has detached, its output in log) and waits up to 30 seconds
// for ready (a shell test) to succeed.
func (l *wpLab) daemon(t *testing.T, host, name, start, ready, log string) {
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
		t.Errorf("%s: starting %s: %v\n%s", host, name, err, errs)
	}
}

// wpMariaDBDir is where a lab host's MariaDB keeps its data.
const wpMariaDBDir = "/var/lib/shoal-lab/mysql"

// mariaDB starts Debian's MariaDB server on host as the package would:
// as user mysql, /run/mysqld owned by mysql, on the default socket
// (/run/mysqld/mysqld.sock, where mysql, mysqldump and PHP look), root
// logging in through it as the OS's root, no network. Its data folder is
// new, with no database but the system's.
func (l *wpLab) mariaDB(t *testing.T, host string) {
	t.Helper()
	setup := shell.Script(`set -e
mkdir -p "$data" /run/mysqld
chown mysql:mysql "$data" /run/mysqld
if [ ! -d "$data/mysql" ]; then
	mariadb-install-db --no-defaults --user=mysql --datadir="$data" \
		--auth-root-authentication-method=socket --skip-test-db > /var/log/shoal-lab-mariadb-install.log 2>&1 ||
		{ cat /var/log/shoal-lab-mariadb-install.log >&2; exit 1; }
fi`, shell.Bind("data", wpMariaDBDir))
	if _, errs, err := l.try(host, setup); err != nil {
		t.Errorf("%s: mariadb-install-db: %v\n%s", host, err, errs)
		return
	}
	start := "setsid mariadbd --no-defaults --user=mysql --datadir=" + wpMariaDBDir +
		" --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mysqld.pid --skip-networking" +
		" --innodb-buffer-pool-size=16M --skip-log-bin --log-error=/var/log/shoal-lab-mariadb.log </dev/null >/dev/null 2>&1 &"
	l.daemon(t, host, "mariadbd", start, "mysqladmin ping", "/var/log/shoal-lab-mariadb.log")
}

// wpNginxSite serves the site root with PHP through php-fpm's socket, as
// WordPress's nginx documentation has it.
const wpNginxSite = `server {
	listen 80 default_server;
	root /var/www/wordpress;
	index index.php;
	client_max_body_size 16m;
	location / {
		try_files $uri $uri/ /index.php?$args;
	}
	location ~ \.php$ {
		include snippets/fastcgi-php.conf;
		fastcgi_pass unix:/run/php/php8.2-fpm.sock;
	}
}
`

// web starts php-fpm (Debian's www pool, as www-data) and nginx with
// wpNginxSite as its only site.
func (l *wpLab) web(t *testing.T, host string) {
	t.Helper()
	l.run(t, host, shell.Script(`set -e
mkdir -p /run/php /var/www/wordpress
rm -f /etc/nginx/sites-enabled/*
printf '%s' "$site" > /etc/nginx/sites-enabled/wordpress
nginx -t 2>/dev/null`, shell.Bind("site", wpNginxSite)))
	l.daemon(t, host, "php-fpm", "php-fpm8.2 -D --fpm-config /etc/php/8.2/fpm/php-fpm.conf", "test -S /run/php/php8.2-fpm.sock", "/var/log/php8.2-fpm.log")
	l.startNginx(t, host)
}

// startNginx starts nginx; stopNginx stops it (the master "dies").
func (l *wpLab) startNginx(t *testing.T, host string) {
	t.Helper()
	l.daemon(t, host, "nginx", "nginx", "test -s /run/nginx.pid && kill -0 $(cat /run/nginx.pid)", "/var/log/nginx/error.log")
}

func (l *wpLab) stopNginx(t *testing.T, host string) {
	t.Helper()
	l.run(t, host, `nginx -s stop
i=0
while [ -e /run/nginx.pid ] && [ "$i" -lt 100 ]; do i=$((i + 1)); sleep 0.1; done`)
}

// named starts Debian's BIND on host with the package's configuration,
// as user bind: rndc reaches it with /etc/bind/rndc.key, dig on port 53.
func (l *wpLab) named(t *testing.T, host string) {
	t.Helper()
	l.run(t, host, "set -e\nmkdir -p /run/named\nchown bind:bind /run/named /var/cache/bind\n")
	l.daemon(t, host, "named", "named -u bind -c /etc/bind/named.conf -L /var/log/shoal-lab-named.log",
		"rndc status", "/var/log/shoal-lab-named.log")
}

// dig asks the DNS server at server for name's records of type, from
// host: the answer section, one "name TTL class type data" line each,
// sorted.
func (l *wpLab) dig(t *testing.T, host, server, name, typ string) []string {
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
