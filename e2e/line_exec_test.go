package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tunedSite is a site whose own blocks set memcached's listen address and
// memory on every web node (two line blocks of one file), restart
// memcached when either changes (an exec on_change), and seed
// a secret once on the primary through a command's stdin (an exec with
// creates), which also lists every process's argv and environment while
// it runs.
const tunedSite = `
variable "admin_password" {
  sensitive = true
}

site "tuned" {
  root    = "/var/www/tuned"
  primary = "web1"
  nodes   = ["web1", "web2", "web3"]

  line "memcached_listen" {
    path  = "/etc/memcached.conf"
    match = "^-l\\s"
    line  = "-l ${node.name}"
  }
  line "memcached_memory" {
    path         = "/etc/memcached.conf"
    match        = "^-m\\s"
    line         = "-m 128"
    insert_after = "^-d"
  }
  exec "memcached_restart" {
    command   = <<-EOT
      pkill -x memcached && while pgrep -x memcached >/dev/null; do sleep 0.1; done
      mkdir -p /run/memcached && chown memcache /run/memcached
      /usr/share/memcached/scripts/start-memcached
      echo restarted >> /root/e2e-memcached-restarts
    EOT
    on_change = [line.memcached_listen, line.memcached_memory]
  }
  exec "seed" {
    command = "cat > /root/e2e-seed; for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; tr '\\0' '\\n' < $p/environ; done > /root/e2e-procs 2>/dev/null; echo seeded"
    stdin   = var.admin_password
    creates = "/root/e2e-seed"
    on      = "primary"
  }
}
`

// TestLineAndExecOnTheLab: the first apply edits memcached.conf on every
// web node (two line blocks, one file), restarts memcached there, which
// then listens on the node's own address, and seeds the secret; the
// second plan is empty and a third apply changes nothing. The secret
// reaches the command on stdin and shows nowhere: not in the plan, its
// JSON, the apply's output, nor any process's argv or environment on the
// node while the command runs.
func TestLineAndExecOnTheLab(t *testing.T) {
	const secret = "s3cr3t-st4sh-9z7"
	const root = "/var/www/tuned"
	stageSite(t, root)
	for _, h := range webHosts {
		onHost(t, h, "cp -p /etc/memcached.conf /root/e2e-memcached.conf.orig")
	}
	t.Cleanup(func() {
		for _, h := range webHosts {
			onHost(t, h, `pkill -x memcached || true
mv -f /root/e2e-memcached.conf.orig /etc/memcached.conf
rm -rf `+root+` /etc/memcached.conf.shoal.bak /root/e2e-seed /root/e2e-procs /root/e2e-memcached-restarts`)
		}
	})
	dir := siteConfig(t, tunedSite)
	vars := filepath.Join(t.TempDir(), "secret.vars")
	writeFile(t, vars, "admin_password = \""+secret+"\"\n")
	args := func(more ...string) []string { return append([]string{"-C", dir, "--var-file", vars}, more...) }

	r := shoal(t, args("plan", "--json")...)
	if r.code != 0 {
		t.Fatalf("plan --json: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{`"id":"web2/line/etc/memcached.conf#memcached_listen"`, `"+-l web2"`, `"stdin (sensitive)"`,
		`"summary":"run pkill -x memcached`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the JSON plan lacks %s:\n%s", want, r.stdout)
		}
	}
	text := shoal(t, args("plan")...)
	apply := shoal(t, args("apply", "--yes")...)
	if apply.code != 0 {
		t.Fatalf("first apply: exit %d\n%s\n%s", apply.code, apply.stdout, apply.stderr)
	}
	for _, out := range []result{r, text, apply} {
		if strings.Contains(out.stdout+out.stderr, secret) {
			t.Errorf("shoal printed the secret:\n%s\n%s", out.stdout, out.stderr)
		}
	}

	seed := onHost(t, "web1", "cat /root/e2e-seed; echo; cat /root/e2e-procs")
	stdin, procs, _ := strings.Cut(seed, "\n")
	if stdin != secret {
		t.Errorf("the command read %q on stdin, want the secret", stdin)
	}
	if !strings.Contains(procs, "sh -c cat > /root/e2e-seed") {
		t.Errorf("the process listing lacks the command itself:\n%s", procs)
	}
	if strings.Contains(procs, secret) {
		t.Errorf("the secret is in a process's argv or environment on web1:\n%s", procs)
	}

	state := func() map[string]string {
		out := map[string]string{}
		for _, h := range webHosts {
			out[h] = onHost(t, h, `grep -E '^-(l|m|d)' /etc/memcached.conf
stat -c '%Y %i' /etc/memcached.conf
cat /root/e2e-memcached-restarts
pgrep -x memcached
echo "listen $(ss -Hltn 'sport = :11211' | awk '{print $4}') own $(getent hosts `+h+` | awk '{print $1}'):11211"`)
		}
		return out
	}
	after := state()
	for _, h := range webHosts {
		got := after[h]
		if !strings.HasPrefix(got, "-d\n-m 128\n-l "+h+"\n") || strings.Count(got, "restarted\n") != 1 {
			t.Errorf("%s after the first apply:\n%s", h, got)
		}
		_, listen, _ := strings.Cut(got, "listen ")
		if f := strings.Fields(listen); len(f) != 3 || f[0] != f[2] {
			t.Errorf("%s: memcached listens on %q, want the node's own address", h, listen)
		}
	}

	if r := shoal(t, args("plan", "--detailed-exitcode")...); r.code != 0 {
		t.Errorf("second plan: exit %d, want no changes\n%s", r.code, r.stdout)
	}
	time.Sleep(1100 * time.Millisecond) // a rewrite would show in the files' mtimes
	if r := shoal(t, args("apply", "--yes")...); r.code != 0 {
		t.Fatalf("third apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for h, was := range after {
		if now := state()[h]; now != was {
			t.Errorf("%s: the third apply changed something:\nbefore:\n%s\nafter:\n%s", h, was, now)
		}
	}
}

// TestExecTimeoutStopsItsProcesses: a command past its timeout fails the
// apply, and nothing it started runs on.
func TestExecTimeoutStopsItsProcesses(t *testing.T) {
	const root = "/var/www/slow"
	stageSite(t, root)
	t.Cleanup(func() { onHost(t, "web1", "rm -rf "+root+" /root/e2e-late") })
	dir := siteConfig(t, `
site "slow" {
  root    = "`+root+`"
  primary = "web1"
  nodes   = ["web1"]

  exec "slow" {
    command = "sleep 40 && touch /root/e2e-late"
    creates = "/root/e2e-late"
    timeout = "2s"
  }
}
`)
	start := time.Now()
	r := shoal(t, "-C", dir, "apply", "--yes")
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "still running after its timeout of 2s") {
		t.Errorf("apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the apply took %s", took)
	}
	var left string
	for range 20 { // the session's end reaches the node's watchdog a moment later
		if left = onHost(t, "web1", "pgrep -a sleep || true"); left == "" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if left != "" {
		t.Errorf("still running on web1 after the timeout:\n%s", left)
	}
}
