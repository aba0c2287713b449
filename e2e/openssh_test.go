package e2e

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/shoal-sh/shoal/internal/sshtest"
)

// The user the OpenSSH cases log in as on web3: ssh_config picks it with
// a Match on the HostName, which shoal used to match against the alias.
const sshUser = "e2essh"

// Through a bastion (the lab's file server), by ProxyCommand and by
// ProxyJump, with the user chosen by `Match host <address>`: web3's sshd
// sees shoal arrive as the same user from the same address as ssh.
func TestArrivesWhereAndAsSSHDoes(t *testing.T) {
	addLabUser(t, "web3", sshUser)
	files := labAddr(t, "files")
	for _, route := range []struct{ name, line string }{
		{"ProxyCommand", "ProxyCommand ssh -F $CONFIG -W %h:%p bastion"},
		{"ProxyJump", "ProxyJump bastion"},
	} {
		t.Run(route.name, func(t *testing.T) {
			config := routeConfig(t, "    "+route.line+"\n")
			mark := logSize(t, "web3")
			ssh := exec.Command("ssh", "-F", config, "target", "true")
			if out, err := ssh.CombinedOutput(); err != nil {
				t.Fatalf("ssh: %v\n%s", err, out)
			}
			sshArrived := arrivals(t, "web3", mark)

			mark = logSize(t, "web3")
			r := shoalWith(t, config, "-C", targetSite(t), "plan")
			shoalArrived := arrivals(t, "web3", mark)

			want := []string{sshUser + " from " + files}
			if diff := cmp.Diff(want, sshArrived); diff != "" {
				t.Fatalf("ssh itself arrived otherwise than the case means (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(sshArrived, shoalArrived); diff != "" {
				t.Errorf("shoal arrived otherwise than ssh (-ssh +shoal):\n%s\nshoal exit %d\n%s\n%s", diff, r.code, r.stdout, r.stderr)
			}
		})
	}
}

// An agent full of other keys: sshd's MaxAuthTries cuts off ssh and shoal
// alike before the named key is offered, unless IdentitiesOnly says to
// offer the named key alone.
func TestIdentitiesOnlyAgainstMaxAuthTries(t *testing.T) {
	addLabUser(t, "web3", sshUser)
	t.Setenv("SSH_AUTH_SOCK", agentWithKeys(t, 6))
	for _, identitiesOnly := range []string{"no", "yes"} {
		t.Run("IdentitiesOnly "+identitiesOnly, func(t *testing.T) {
			config := routeConfig(t, "    IdentitiesOnly "+identitiesOnly+"\n")
			sshErr := exec.Command("ssh", "-F", config, "target", "true").Run()
			r := shoalWith(t, config, "-C", targetSite(t), "plan")
			shoalRefused := strings.Contains(r.stderr+r.stdout, "too many keys offered (sshd's MaxAuthTries)")
			if want := identitiesOnly == "no"; (sshErr != nil) != want || shoalRefused != want {
				t.Errorf("ssh failed: %v, shoal refused for too many keys: %v; want both %v\n%s\n%s",
					sshErr, shoalRefused, want, r.stdout, r.stderr)
			}
		})
	}
	// The agent holds the named key too, after the strangers: ssh offers
	// it first (the agent's keys that IdentityFile names go ahead of its
	// others) and gets in; so must shoal.
	t.Run("IdentitiesOnly no, the named key in the agent", func(t *testing.T) {
		t.Setenv("SSH_AUTH_SOCK", agentWithKeys(t, 6, filepath.Join(labDir, "id_ed25519")))
		config := routeConfig(t, "    IdentitiesOnly no\n")
		if out, err := exec.Command("ssh", "-F", config, "target", "true").CombinedOutput(); err != nil {
			t.Fatalf("ssh: %v\n%s", err, out)
		}
		onHost(t, "web3", "mkdir -p /var/www/openssh")
		t.Cleanup(func() { onHost(t, "web3", "rm -rf /var/www/openssh") })
		if r := shoalWith(t, config, "-C", targetSite(t), "plan"); r.code != 0 && r.code != 2 {
			t.Errorf("shoal plan: exit %d where ssh got in\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	})
}

// routeConfig is an ssh_config in which "target" is web3, logged in to
// as sshUser by a Match on its address, and "bastion" is the file server;
// extra goes into target's block. Everything else is the lab's key and
// known_hosts, offered alone unless extra says otherwise.
func routeConfig(t *testing.T, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ssh_config")
	lab := "    IdentityFile " + filepath.Join(labDir, "id_ed25519") + "\n" +
		"    UserKnownHostsFile " + filepath.Join(labDir, "known_hosts") + "\n" +
		"    StrictHostKeyChecking yes\n    BatchMode yes\n"
	config := "Host target\n    HostName " + labAddr(t, "web3") + "\n" + extra +
		"Host bastion\n    HostName " + labAddr(t, "files") + "\n    User root\n" +
		"Match host " + labAddr(t, "web3") + "\n    User " + sshUser + "\n" +
		"Host *\n    IdentitiesOnly yes\n" + lab
	writeFile(t, path, strings.ReplaceAll(config, "$CONFIG", path))
	return path
}

// targetSite is a config whose only node is "target", with a site on it
// whose storage is already mounted: planning it connects to that node alone.
func targetSite(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "target.hcl"), `
node "web3" {
  host = "target"
}

storage "nas" {
  type  = "mounted"
  mount = "/mnt/nas"
}

recipe "uploads" {
  dynamic_dir "media" {}
}

site "openssh" {
  recipe  = "uploads"
  root    = "/var/www/openssh"
  primary = "web3"
  nodes   = ["web3"]
  storage = "nas"
}
`)
	return dir
}

// shoalWith runs shoal with config as its ssh_config instead of the lab's.
func shoalWith(t *testing.T, config string, args ...string) result {
	t.Helper()
	return shoalOn(t, config, args...)
}

// addLabUser makes user a login on host with the lab's key (password "*",
// not locked: the lab's sshd, without PAM, refuses locked accounts).
func addLabUser(t *testing.T, host, user string) {
	t.Helper()
	onHost(t, host, `set -e
id `+user+` >/dev/null 2>&1 || useradd -m -p '*' -s /bin/sh `+user+`
install -d -m 700 -o `+user+` -g `+user+` ~`+user+`/.ssh
install -m 600 -o `+user+` -g `+user+` /root/.ssh/authorized_keys ~`+user+`/.ssh/authorized_keys`)
}

// logSize is where host's sshd log ends now.
func logSize(t *testing.T, host string) int64 {
	t.Helper()
	info, err := os.Stat(hostLog(host))
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

func hostLog(host string) string { return filepath.Join(labDir, "hosts", host+".log") }

var accepted = regexp.MustCompile(`Accepted publickey for (\S+) from (\S+) port`)

// arrivals are the logins host's sshd accepted since mark: "user from
// address".
func arrivals(t *testing.T, host string, mark int64) []string {
	t.Helper()
	log := readFile(t, hostLog(host))[mark:]
	var got []string
	for _, m := range accepted.FindAllStringSubmatch(log, -1) {
		got = append(got, m[1]+" from "+m[2])
	}
	return got
}

// agentWithKeys serves an ssh-agent holding n fresh keys the lab does not
// know, then the private keys in thenFiles, and returns its socket.
func agentWithKeys(t *testing.T, n int, thenFiles ...string) string {
	t.Helper()
	keyring := agent.NewKeyring()
	for range n {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if err := keyring.Add(agent.AddedKey{PrivateKey: key, Comment: "stranger"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range thenFiles {
		key, err := ssh.ParseRawPrivateKey([]byte(readFile(t, path)))
		if err != nil {
			t.Fatal(err)
		}
		if err := keyring.Add(agent.AddedKey{PrivateKey: key, Comment: filepath.Base(path)}); err != nil {
			t.Fatal(err)
		}
	}
	return sshtest.ServeAgent(t, keyring)
}
