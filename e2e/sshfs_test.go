package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSSHFSLoginAndCredentials: a web node that cannot log in to the file
// server for its sshfs mount is named in the plan with what is missing
// and how to fix it (not left to fail as sshfs's "Connection reset by
// peer"); a private key given as storage credentials is written root-only
// to /etc/shoal/nas.key, named in fstab instead of the key itself, and
// mounts; a key the server refuses is named at apply and in the next plan.
func TestSSHFSLoginAndCredentials(t *testing.T) {
	const root = "/var/www/trust"
	site := func(storage string) string {
		return `
variable "sshfs_key" {
  sensitive = true
  default   = ""
}

node "files" {
  host  = "files"
  roles = ["storage"]
}

node "web3" {
  host  = "web3"
  roles = ["web"]
}

storage "nas" {
  type    = "sshfs"
  server  = "files"
  address = "files"
  export  = "/srv/nas"
  mount   = "/mnt/nas"
  ` + storage + `
}

recipe "uploads" {
  dynamic_dir "media" {}
}

site "trust" {
  recipe  = "uploads"
  root    = "` + root + `"
  primary = "web3"
  nodes   = ["web3"]
  storage = "nas"
}`
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "cluster.hcl"), site(""))
	onHost(t, "web3", `set -e
rm -rf `+root+` /etc/shoal
mkdir -p `+root+`/media
echo 'an upload' > `+root+`/media/upload.txt
umount /mnt/nas
mv /root/.ssh/known_hosts /root/.ssh/known_hosts.away`)
	t.Cleanup(func() { // as the lab left it: mounted with the lab's key, which stays
		onHost(t, "web3", `test -e /root/.ssh/known_hosts.away && mv /root/.ssh/known_hosts.away /root/.ssh/known_hosts
rm -rf `+root+` /mnt/nas/trust
! mountpoint -q /mnt/nas || umount /mnt/nas
rm -rf /etc/shoal
sshfs -o allow_other,reconnect,ServerAliveInterval=15,BatchMode=yes,IdentityFile=/root/.ssh/id_ed25519 root@files:/srv/nas /mnt/nas`)
	})

	r := shoal(t, "-C", dir, "plan", "--detailed-exitcode")
	expectRefusal(t, r, 3, "web3 cannot mount /mnt/nas with sshfs", "does not know files's SSH host key", "/root/.ssh/known_hosts", "ssh root@files true")
	onHost(t, "web3", "mv /root/.ssh/known_hosts.away /root/.ssh/known_hosts")

	// a key shoal writes itself is checked when it is there: at apply,
	// then in every plan
	unauthorised := filepath.Join(t.TempDir(), "id_unauthorised")
	runTool(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", unauthorised)
	writeFile(t, filepath.Join(dir, "cluster.hcl"), site(`credentials = var.sshfs_key`))
	r = shoal(t, "-C", dir, "--var", "sshfs_key="+readFile(t, unauthorised), "apply", "--yes")
	expectRefusal(t, r, 1, "files does not accept the key /etc/shoal/nas.key of web3", "authorized_keys of root on files")
	r = shoal(t, "-C", dir, "--var", "sshfs_key="+readFile(t, unauthorised), "plan", "--detailed-exitcode")
	expectRefusal(t, r, 3, "files does not accept the key /etc/shoal/nas.key of web3")

	labKey := readFile(t, filepath.Join(labDir, "id_ed25519"))
	r = shoal(t, "-C", dir, "--var", "sshfs_key="+labKey, "apply", "--yes")
	if r.code != 0 {
		t.Fatalf("apply with an authorized key: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	keyLine := strings.Split(strings.TrimSpace(labKey), "\n")[1]
	if strings.Contains(r.stdout+r.stderr, keyLine) {
		t.Errorf("apply printed the private key")
	}
	got := onHost(t, "web3", `stat -c '%a %U %G' /etc/shoal/nas.key
grep ' /mnt/nas ' /etc/fstab
mountpoint -q /mnt/nas && echo mounted
readlink `+root+`/media; cat /mnt/nas/trust/media/upload.txt`)
	want := "600 root root\nroot@files:/srv/nas /mnt/nas fuse.sshfs defaults,_netdev,allow_other,reconnect,ServerAliveInterval=15,IdentityFile=/etc/shoal/nas.key 0 0\nmounted\n/mnt/nas/trust/media\nan upload\n"
	if got != want {
		t.Errorf("web3 after apply:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(onHost(t, "web3", "cat /etc/fstab"), keyLine) {
		t.Error("the private key reached /etc/fstab")
	}
	if r := shoal(t, "-C", dir, "--var", "sshfs_key="+labKey, "plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("plan after apply: exit %d, want 0\n%s", r.code, r.stdout)
	}
}
