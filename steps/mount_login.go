package steps

import (
	"fmt"
	"strings"

	"github.com/shoal-sh/shoal/facts"
)

// sshMountOptions are the ssh_config keywords an sshfs mount option may
// set that decide whether the login works: where to connect, which key,
// which known_hosts. sshfs hands them to ssh as -o; so does the check.
var sshMountOptions = []string{
	"AddressFamily", "CertificateFile", "CheckHostIP", "GlobalKnownHostsFile", "HostKeyAlgorithms",
	"HostKeyAlias", "HostName", "IdentitiesOnly", "IdentityAgent", "IdentityFile", "KexAlgorithms",
	"Port", "PreferredAuthentications", "ProxyCommand", "ProxyJump", "PubkeyAcceptedKeyTypes",
	"PubkeyAcceptedAlgorithms", "PubkeyAuthentication", "StrictHostKeyChecking", "User", "UserKnownHostsFile",
}

// SSHFSLogin is the login an sshfs mount of server's export on mountPoint
// will make with these mount options (as in the fstab line), for the plan
// to try first: server is "host" or "user@host" (root by default).
func SSHFSLogin(mountPoint, server, options string) *facts.SSHLogin {
	if !strings.Contains(server, "@") {
		server = "root@" + server
	}
	f := &facts.SSHLogin{MountPoint: mountPoint, Destination: server}
	for _, o := range strings.Split(options, ",") {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			continue
		}
		for _, name := range sshMountOptions {
			if strings.EqualFold(k, name) { // port=22 is sshfs's spelling of -p
				f.Options = append(f.Options, name+"="+v)
			}
		}
	}
	return f
}

// loginProblem says why the node cannot log in to the storage server for
// the mount, and how to fix it; "" when it can. With keyPending (KeyFile
// is still to be written), a missing or refused KeyFile is no problem yet.
func (m *Mount) loginProblem(r facts.SSHLoginResult, keyPending bool) string {
	if !r.Tried || r.Problem == facts.LoginOK {
		return ""
	}
	n, dest := m.NodeName, m.Login.Destination
	server := m.Server
	if server == "" {
		server = dest
	}
	option := func(name, otherwise string) string {
		for _, o := range m.Login.Options {
			if v, ok := strings.CutPrefix(o, name+"="); ok {
				return v
			}
		}
		return otherwise
	}
	knownHosts := option("UserKnownHostsFile", "/root/.ssh/known_hosts")
	identity := option("IdentityFile", "")
	if keyPending && (r.Problem == facts.IdentityMissing || r.Problem == facts.KeyRefused) && identity != "" && identity == m.KeyFile {
		return ""
	}
	lead := fmt.Sprintf("%s cannot mount %s with sshfs: ", n, m.MountPoint)
	switch r.Problem {
	case facts.NoSSHFS:
		return lead + fmt.Sprintf("sshfs is not installed on %s. Fix: install it there (apt-get install sshfs).", n)
	case facts.NoSSHClient:
		return lead + fmt.Sprintf("%s has no ssh client, which sshfs runs. Fix: install openssh-client there.", n)
	case facts.HostKeyUnknown:
		return lead + fmt.Sprintf("%s does not know %s's SSH host key (%s has none for it). Fix: as root on %s, run `ssh %s true` once and accept the key after comparing its fingerprint with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on %s.",
			n, server, knownHosts, n, dest, server)
	case facts.HostKeyChanged:
		presented := ""
		if r.Fingerprint != "" {
			presented = " (" + server + " now presents " + r.Fingerprint + ")"
		}
		return lead + fmt.Sprintf("the host key %s records for %s in %s is not the one it presents%s. Fix: if %s's key really changed, remove the old entry on %s (`ssh-keygen -f %s -R %s`) and accept the new one after checking its fingerprint.",
			n, server, knownHosts, presented, server, n, knownHosts, hostOf(dest))
	case facts.IdentityMissing:
		return lead + fmt.Sprintf("the key %s does not exist on %s. Fix: create it there (`ssh-keygen -t ed25519 -N '' -f %s`) and add %s.pub to /root/.ssh/authorized_keys on %s.",
			identity, n, identity, identity, server)
	case facts.KeyRefused:
		key := "root's key"
		if identity != "" {
			key = "the key " + identity
		}
		return lead + fmt.Sprintf("%s does not accept %s of %s for %s (%s). Fix: add that public key (%s.pub) to the authorized_keys of %s on %s.",
			server, key, n, dest, r.Detail, orDefault(identity, "/root/.ssh/id_ed25519"), userOf(dest), server)
	case facts.ServerUnreachable:
		return lead + fmt.Sprintf("%s cannot reach %s over SSH (%s). Fix: check the storage address, that sshd runs on %s and that %s may connect to it.",
			n, dest, r.Detail, server, n)
	}
	return lead + fmt.Sprintf("logging in from %s to %s with ssh failed: %s", n, dest, r.Detail)
}

func hostOf(dest string) string {
	if _, host, ok := strings.Cut(dest, "@"); ok {
		return host
	}
	return dest
}

func userOf(dest string) string {
	if user, _, ok := strings.Cut(dest, "@"); ok {
		return user
	}
	return "root"
}

func orDefault(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}
