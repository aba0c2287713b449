package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// trustConfig: web2 and web3 pull web1's assets with rrsync -ro (web2
// has an address, so its key only works from there), and web3 mounts the
// file server's export with sshfs through an SFTP-only key.
const trustConfig = `
node "files" {
  host = "files"
}

node "web1" {
  host = "web1"
}

node "web2" {
  host    = "web2"
  address = "%s"
}

node "web3" {
  host = "web3"
}

site "trust" {
  root    = "/var/www/trust"
  primary = "web1"
  nodes   = ["web1", "web2", "web3"]

  ssh_trust "assets" {
    on     = "replicas"
    to     = "primary"
    rrsync = "/var/www/trust/assets"
  }

  ssh_trust "nas" {
    on   = "web3"
    to   = "files"
    sftp = true
  }
}
`

// pull is the command a mirror's cron job would run.
const pull = `rsync -a --delete -e 'ssh -i /root/.ssh/shoal-trust-assets -o BatchMode=yes' root@web1:/ /srv/mirror/`

// TestSSHTrustPullsAndNothingMore sets up the trusts on the lab's real
// sshd: the pull works and is the only thing the key can do, the SFTP key
// mounts the export and runs nothing else, a second plan is empty and a
// third apply changes nothing; a key lost on a client is made again and
// its line on the server replaced.
func TestSSHTrustPullsAndNothingMore(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "cluster.hcl"), fmt.Sprintf(trustConfig, labAddr(t, "web2")))
	cleanTrust := func() {
		for _, h := range []string{"web1", "files"} {
			onHost(t, h, `sed -i '/ shoal:trust\//d' /root/.ssh/authorized_keys; rm -f /root/.ssh/authorized_keys.shoal.bak`)
		}
		for _, h := range []string{"web2", "web3"} {
			onHost(t, h, `sed -i '/ shoal:trust\//d' /root/.ssh/known_hosts; rm -rf /root/.ssh/known_hosts.shoal.bak /root/.ssh/shoal-trust-* /srv/mirror /var/www/trust /tmp/trust-nas`)
		}
		onHost(t, "web1", "rm -rf /var/www/trust")
	}
	t.Cleanup(cleanTrust) // the lab is this package's own: nothing to clean first
	labLine := strings.TrimSpace(onHost(t, "web1", `set -e
mkdir -p /var/www/trust/assets/img
echo 'body {}' > /var/www/trust/assets/site.css
echo 'a picture' > /var/www/trust/assets/img/logo.png
echo 'not an asset' > /var/www/trust/secret.txt
cat /root/.ssh/authorized_keys`))

	r := shoal(t, "-C", dir, "plan")
	if r.code != 0 {
		t.Fatalf("plan exited %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"generate a key on web2 (/root/.ssh/shoal-trust-assets), authorize it on web1 as root for rrsync -ro /var/www/trust/assets, record web1's host key",
		`+ restrict,from="` + labAddr(t, "web2") + `",command="rrsync -ro /var/www/trust/assets" <the new key> shoal:trust/assets/web2`,
		`+ restrict,command="rrsync -ro /var/www/trust/assets" <the new key> shoal:trust/assets/web3`,
		"authorize it on files as root for SFTP only, record files' host key",
		`+ restrict,command="internal-sftp" <the new key> shoal:trust/nas/web3`,
		"Warning: SFTP as root",
	} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("the plan does not say %q:\n%s\n%s", want, r.stdout, r.stderr)
		}
	}

	if r := shoal(t, "-C", dir, "apply", "--yes"); r.code != 0 {
		t.Fatalf("first apply exited %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := shoal(t, "-C", dir, "plan", "--detailed-exitcode"); r.code != 0 {
		t.Fatalf("the plan after apply is not empty (exit %d)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	state := func() string {
		return onHost(t, "web1", "sha256sum /root/.ssh/authorized_keys") + onHost(t, "files", "sha256sum /root/.ssh/authorized_keys") +
			onHost(t, "web2", "sha256sum /root/.ssh/known_hosts /root/.ssh/shoal-trust-assets") +
			onHost(t, "web3", "sha256sum /root/.ssh/known_hosts /root/.ssh/shoal-trust-assets /root/.ssh/shoal-trust-nas")
	}
	before := state()
	if r := shoal(t, "-C", dir, "apply", "--yes"); r.code != 0 || !strings.Contains(r.stdout, "No changes") {
		t.Fatalf("third apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if after := state(); after != before {
		t.Errorf("an apply with nothing to do changed keys or lines:\n%s\n%s", before, after)
	}
	if ak := onHost(t, "web1", "cat /root/.ssh/authorized_keys"); !strings.Contains(ak, labLine) || strings.Count(ak, " shoal:trust/assets/") != 2 {
		t.Errorf("web1's authorized_keys should keep the lab's line and hold one line per client:\n%s", ak)
	}

	// The pull a cron job would run works from both replicas, with no
	// prompt for web1's host key, and brings only the assets.
	for _, h := range []string{"web2", "web3"} {
		out := onHost(t, h, pull+` && cd /srv/mirror && find . -type f | sort && cat site.css`)
		if want := "./img/logo.png\n./site.css\nbody {}\n"; out != want {
			t.Errorf("%s pulled:\n%s\nwant:\n%s", h, out, want)
		}
	}
	// ... and it is all the key does: no write, no shell, no command.
	out := onHost(t, "web2", `ssh='ssh -i /root/.ssh/shoal-trust-assets -o BatchMode=yes'
rsync -a -e "$ssh" /etc/hostname root@web1:/ 2>&1 && echo "WRITE ACCEPTED"
$ssh root@web1 sh </dev/null 2>&1 && echo "SHELL ACCEPTED"
$ssh root@web1 'id; touch /tmp/pwned' 2>&1 && echo "COMMAND ACCEPTED"
true`)
	if strings.Contains(out, "ACCEPTED") || strings.Contains(out, "uid=") || !strings.Contains(out, "read-only") {
		t.Errorf("web2's key did more than pull:\n%s", out)
	}
	if onHost(t, "web1", "ls /tmp/pwned /var/www/trust/assets/hostname 2>/dev/null || true") != "" {
		t.Error("web2's key wrote on web1")
	}
	// from=: web2's key is refused from web3.
	key := onHost(t, "web2", "cat /root/.ssh/shoal-trust-assets")
	out = onHost(t, "web3", `umask 077
cat > /tmp/stolen <<'EOF'
`+key+`EOF
rsync -a -e 'ssh -i /tmp/stolen -o BatchMode=yes' root@web1:/ /tmp/stolen-pull/ 2>&1 && echo "PULL ACCEPTED"
rm -rf /tmp/stolen /tmp/stolen-pull
true`)
	if strings.Contains(out, "ACCEPTED") || !strings.Contains(out, "Permission denied") {
		t.Errorf("web2's key worked from web3:\n%s", out)
	}

	// The SFTP key mounts the export with sshfs, trusting only the host
	// key shoal recorded, and runs nothing else.
	out = onHost(t, "web3", `set -e
grep ' shoal:trust/nas$' /root/.ssh/known_hosts > /tmp/trust-nas.known
mkdir -p /tmp/trust-nas
sshfs -o IdentityFile=/root/.ssh/shoal-trust-nas,IdentitiesOnly=yes,BatchMode=yes,StrictHostKeyChecking=yes,UserKnownHostsFile=/tmp/trust-nas.known,GlobalKnownHostsFile=/dev/null root@files:/srv/nas /tmp/trust-nas
echo 'through the trust' > /tmp/trust-nas/trust-probe
fusermount -u /tmp/trust-nas
ssh -i /root/.ssh/shoal-trust-nas -o BatchMode=yes root@files id 2>&1 && echo "SHELL ACCEPTED"
true`)
	if strings.Contains(out, "ACCEPTED") || strings.Contains(out, "uid=") || !strings.Contains(out, "sftp connections only") {
		t.Errorf("the SFTP key ran a command:\n%s", out)
	}
	if got := onHost(t, "files", "cat /srv/nas/trust-probe && rm /srv/nas/trust-probe"); got != "through the trust\n" {
		t.Errorf("the file written through the sshfs mount reads %q on files", got)
	}

	// A key lost on web2: the next plan makes a new one and replaces its
	// line on web1.
	onHost(t, "web2", "rm /root/.ssh/shoal-trust-assets /root/.ssh/shoal-trust-assets.pub")
	r = shoal(t, "-C", dir, "plan")
	if r.code != 0 || !strings.Contains(r.stdout, "generate a key on web2") || !strings.Contains(r.stdout, "(replacing its old line)") ||
		strings.Contains(r.stdout, "generate a key on web3") {
		t.Fatalf("plan after web2 lost its key: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := shoal(t, "-C", dir, "apply", "--yes"); r.code != 0 {
		t.Fatalf("apply after web2 lost its key: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	newKey := strings.Fields(onHost(t, "web2", "cat /root/.ssh/shoal-trust-assets.pub"))[1]
	lines := onHost(t, "web1", "grep ' shoal:trust/assets/web2$' /root/.ssh/authorized_keys")
	if strings.Count(lines, "\n") != 1 || !strings.Contains(lines, newKey) {
		t.Errorf("web1 should hold one line for web2, with its new key %s:\n%s", newKey, lines)
	}
	if out := onHost(t, "web2", pull+" && echo pulled"); out != "pulled\n" {
		t.Errorf("the pull with the new key: %q", out)
	}
	if r := shoal(t, "-C", dir, "plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("the plan after the new key is not empty (exit %d)\n%s", r.code, r.stdout)
	}
}
