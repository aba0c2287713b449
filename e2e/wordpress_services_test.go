package e2e

import (
	"strings"
	"testing"

	"github.com/shoal-sh/shoal/lab"
	"github.com/shoal-sh/shoal/shell"
)

// The WordPress test's lab and what it runs there beyond services_test.go
// (MariaDB, named): php-fpm and nginx serving the site root.

// wpLab is a lab of the WordPress test's own: web1..web3 (the master and
// two slaves), backup and dns.
type wpLab struct {
	labShell
	lab  *lab.Lab
	addr map[string]string // host → address on the lab's bridge
}

// startWPLab starts the lab and takes it down when the test ends.
func startWPLab(t *testing.T) *wpLab {
	t.Helper()
	l := startOwnLab(t, "--web", "3", "--host", "backup", "--host", "dns")
	w := &wpLab{labShell: labShell{sshConfig: l.SSHConfig}, lab: l, addr: map[string]string{}}
	for _, h := range l.Hosts {
		w.addr[h.Name] = h.Addr
	}
	return w
}

// net is the lab's network, "10.77.N".
func (l *wpLab) net() string { return l.addr["web1"][:strings.LastIndex(l.addr["web1"], ".")] }

// shoal runs the binary with this lab's ssh_config.
func (l *wpLab) shoal(t *testing.T, args ...string) result {
	t.Helper()
	return shoalOn(t, l.sshConfig, args...)
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
	l.startDaemon(t, host, "php-fpm", "php-fpm8.2 -D --fpm-config /etc/php/8.2/fpm/php-fpm.conf", "test -S /run/php/php8.2-fpm.sock", "/var/log/php8.2-fpm.log")
	l.startNginx(t, host)
}

// startNginx starts nginx; stopNginx stops it (the master "dies").
func (l *wpLab) startNginx(t *testing.T, host string) {
	t.Helper()
	l.startDaemon(t, host, "nginx", "nginx", "test -s /run/nginx.pid && kill -0 $(cat /run/nginx.pid)", "/var/log/nginx/error.log")
}

func (l *wpLab) stopNginx(t *testing.T, host string) {
	t.Helper()
	l.run(t, host, `nginx -s stop
i=0
while [ -e /run/nginx.pid ] && [ "$i" -lt 100 ]; do i=$((i + 1)); sleep 0.1; done`)
}
