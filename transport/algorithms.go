package transport

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// opensshKeyAlgorithms are every public key algorithm OpenSSH 9 knows, in
// its own order (ssh -Q key-sig): wildcards in ssh_config expand in it.
var opensshKeyAlgorithms = strings.Split("ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,"+
	"sk-ssh-ed25519@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,"+
	"ecdsa-sha2-nistp256,ecdsa-sha2-nistp256-cert-v01@openssh.com,"+
	"ecdsa-sha2-nistp384,ecdsa-sha2-nistp384-cert-v01@openssh.com,"+
	"ecdsa-sha2-nistp521,ecdsa-sha2-nistp521-cert-v01@openssh.com,"+
	"sk-ecdsa-sha2-nistp256@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,"+
	"webauthn-sk-ecdsa-sha2-nistp256@openssh.com,ssh-dss,ssh-dss-cert-v01@openssh.com,"+
	"ssh-rsa,ssh-rsa-cert-v01@openssh.com,rsa-sha2-256,rsa-sha2-256-cert-v01@openssh.com,"+
	"rsa-sha2-512,rsa-sha2-512-cert-v01@openssh.com", ",")

// opensshDefaultKeyAlgorithms is OpenSSH 9's default HostKeyAlgorithms
// and PubkeyAcceptedAlgorithms (no SHA-1 RSA, no DSA).
var opensshDefaultKeyAlgorithms = strings.Split("ssh-ed25519-cert-v01@openssh.com,"+
	"ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,"+
	"ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,"+
	"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,"+
	"rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"+
	"ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,"+
	"rsa-sha2-512,rsa-sha2-256", ",")

// assembleAlgorithms applies an ssh_config algorithm list to the default
// as OpenSSH does (kex_assemble_names): "+list" appends, "-list" removes,
// "^list" puts first, anything else replaces; patterns (* ?) expand in
// OpenSSH's order, and duplicates go.
func assembleAlgorithms(value string) ([]string, error) {
	if value == "" {
		return slices.Clone(opensshDefaultKeyAlgorithms), nil
	}
	var wanted []string
	switch value[0] {
	case '+':
		if err := checkAlgorithms(value[1:]); err != nil {
			return nil, err
		}
		wanted = appendMissing(slices.Clone(opensshDefaultKeyAlgorithms), strings.Split(value[1:], ",")...)
	case '-':
		for _, name := range opensshDefaultKeyAlgorithms {
			if !matchAnyPattern(name, strings.Split(value[1:], ",")) {
				wanted = append(wanted, name)
			}
		}
	case '^':
		if err := checkAlgorithms(value[1:]); err != nil {
			return nil, err
		}
		wanted = appendMissing(strings.Split(value[1:], ","), opensshDefaultKeyAlgorithms...)
	default:
		if err := checkAlgorithms(value); err != nil {
			return nil, err
		}
		wanted = strings.Split(value, ",")
	}
	var out []string
	for _, pattern := range wanted {
		for _, name := range opensshKeyAlgorithms {
			if ok, _ := path.Match(pattern, name); ok && !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out, nil
}

// checkAlgorithms refuses a name OpenSSH does not know, or a pattern that
// matches none.
func checkAlgorithms(list string) error {
	for _, name := range strings.Split(list, ",") {
		if !matchAnyName(name, opensshKeyAlgorithms) {
			return fmt.Errorf("unknown key algorithm %q", name)
		}
	}
	return nil
}

func matchAnyPattern(name string, patterns []string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

func matchAnyName(pattern string, names []string) bool {
	for _, n := range names {
		if ok, _ := path.Match(pattern, n); ok {
			return true
		}
	}
	return false
}

// appendMissing appends the names not already in list.
func appendMissing(list []string, names ...string) []string {
	for _, n := range names {
		if !slices.Contains(list, n) {
			list = append(list, n)
		}
	}
	return list
}
