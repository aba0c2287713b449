package lab

import (
	"fmt"
	"strings"
)

// renderSSHConfig writes one Host block per lab host, so that
// `ssh -F <dir>/ssh_config web1` reaches web1 with the lab's key only.
func renderSSHConfig(identityFile, knownHosts string, hosts []Host) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# shoal lab: ssh -F this-file <host>\n")
	for _, h := range hosts {
		fmt.Fprintf(&b, "\nHost %s\n", h.Name)
		fmt.Fprintf(&b, "  HostName %s\n", h.Addr)
		fmt.Fprintf(&b, "  User root\n")
		fmt.Fprintf(&b, "  IdentityFile %s\n", sshConfigWord(identityFile))
		fmt.Fprintf(&b, "  IdentitiesOnly yes\n")
		fmt.Fprintf(&b, "  UserKnownHostsFile %s\n", sshConfigWord(knownHosts))
		fmt.Fprintf(&b, "  StrictHostKeyChecking yes\n")
	}
	return b.String()
}

// sshConfigWord double-quotes a path with blanks, as ssh_config expects.
func sshConfigWord(s string) string {
	if strings.ContainsAny(s, " \t") {
		return `"` + s + `"`
	}
	return s
}

// renderEtcHosts is /etc/hosts inside every lab host.
func renderEtcHosts(gateway string, hosts []Host) string {
	var b strings.Builder
	fmt.Fprintf(&b, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	fmt.Fprintf(&b, "%s\tshoal-lab-gateway\n", gateway)
	for _, h := range hosts {
		fmt.Fprintf(&b, "%s\t%s\n", h.Addr, h.Name)
	}
	return b.String()
}

// renderSSHDConfig is the whole sshd_config of a lab host.
func renderSSHDConfig(addr string) string {
	return strings.Join([]string{
		"# shoal lab host",
		"ListenAddress " + addr,
		"HostKey /etc/ssh/ssh_host_ed25519_key",
		"PermitRootLogin prohibit-password",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"UseDNS no",
		"MaxSessions 64",
		"MaxStartups 100:30:200",
		"AcceptEnv LANG LC_*",
		"Subsystem sftp internal-sftp",
		"",
	}, "\n")
}
