package transport

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// hostKeys verifies host keys against known_hosts files and records new
// ones when allowed. One value is shared by the dials of a run so that
// concurrent dials never append the same host twice.
type hostKeys struct {
	mu sync.Mutex // serialises accept-new: re-check, then append
}

// loadKnownHosts reads the files that exist; missing ones are skipped, as
// OpenSSH does.
func loadKnownHosts(files []string) (*knownhosts.HostKeyDB, error) {
	var existing []string
	for _, f := range files {
		if _, err := os.Stat(f); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		existing = append(existing, f)
	}
	db, err := knownhosts.NewDB(existing...)
	if err != nil {
		return nil, fmt.Errorf("reading known_hosts: %w", err)
	}
	return db, nil
}

// knownHostsAddr is the name e has in known_hosts: its HostKeyAlias
// alone, or host:port (OpenSSH's [host]:port unless the port is 22).
func (e endpoint) knownHostsAddr() string {
	if e.hostKeyAlias != "" {
		return net.JoinHostPort(e.hostKeyAlias, "22")
	}
	return e.addr()
}

// portlessAddr is the name OpenSSH also tries for a host on a port other
// than 22 that known_hosts does not hold under its port: the host alone.
// "" when that does not apply.
func (e endpoint) portlessAddr() string {
	if e.hostKeyAlias != "" || e.port == 22 {
		return ""
	}
	return net.JoinHostPort(e.host, "22")
}

// callback returns the host key check for e, to be called with
// e.knownHostsAddr(), and the host key algorithms to ask for.
func (hk *hostKeys) callback(node string, e endpoint) (ssh.HostKeyCallback, []string, error) {
	db, err := loadKnownHosts(e.knownHosts)
	if err != nil {
		return nil, nil, fmt.Errorf("%s (%s): %w", node, e.addr(), err)
	}
	check := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := db.HostKeyCallback()(hostname, remote, key)
		if portless := e.portlessAddr(); knownhosts.IsHostUnknown(err) && portless != "" {
			// As ssh: a key recorded for the host alone vouches for it on
			// any port; a different one leaves it unknown, not changed.
			if db.HostKeyCallback()(portless, remote, key) == nil {
				return nil
			}
		}
		if knownhosts.IsHostUnknown(err) && e.acceptNew {
			return hk.accept(node, e, key)
		}
		return describeHostKeyError(node, e, key, err)
	}
	known := db.HostKeyAlgorithms(e.knownHostsAddr())
	if portless := e.portlessAddr(); len(known) == 0 && portless != "" {
		known = db.HostKeyAlgorithms(portless)
	}
	algos := hostKeyAlgorithms(known, e.hostKeyAlgorithms)
	if len(algos) == 0 {
		return nil, nil, fmt.Errorf("%s (%s): HostKeyAlgorithms leaves no algorithm shoal can check", node, e.addr())
	}
	return check, algos, nil
}

// hostKeyAlgorithms are the algorithms to ask a server for: those of the
// keys known_hosts holds for it, so that a server that also has keys of
// other types is not mistaken for a changed one; for a host not yet
// known, OpenSSH's preference without certificates, so the fingerprint
// shoal shows and records is the one ssh and ssh-keyscan show. Either
// way only what ssh_config's HostKeyAlgorithms allows (all, when empty)
// and x/crypto can check.
func hostKeyAlgorithms(known, allowed []string) []string {
	candidates := known
	if len(candidates) == 0 {
		candidates = slices.DeleteFunc(slices.Clone(allowed), func(a string) bool { return strings.Contains(a, "-cert-") })
		if len(allowed) == 0 {
			candidates = newHostKeyAlgorithms
		}
	}
	checkable := append(ssh.SupportedAlgorithms().HostKeys, ssh.InsecureAlgorithms().HostKeys...)
	var algos []string
	for _, a := range candidates {
		if slices.Contains(checkable, a) && (len(allowed) == 0 || slices.Contains(allowed, a)) {
			algos = append(algos, a)
		}
	}
	return algos
}

// newHostKeyAlgorithms is OpenSSH's preference for a host not yet in
// known_hosts when nothing says otherwise (x/crypto alone would prefer
// RSA, even SHA-1 RSA).
var newHostKeyAlgorithms = []string{
	ssh.KeyAlgoED25519,
	ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
}

// accept re-reads known_hosts (another dial may have just added the host)
// and appends the key to the first file if it is still unknown: hashed
// under HashKnownHosts, as ssh writes it.
func (hk *hostKeys) accept(node string, e endpoint, key ssh.PublicKey) error {
	hk.mu.Lock()
	defer hk.mu.Unlock()
	db, err := loadKnownHosts(e.knownHosts)
	if err != nil {
		return fmt.Errorf("%s (%s): %w", node, e.addr(), err)
	}
	remote := proxyAddr(e.addr())
	err = db.HostKeyCallback()(e.knownHostsAddr(), remote, key)
	if !knownhosts.IsHostUnknown(err) {
		return describeHostKeyError(node, e, key, err)
	}
	if len(e.knownHosts) == 0 {
		return fmt.Errorf("%s (%s): no known_hosts file to record the new host key in", node, e.addr())
	}
	name := knownhosts.Normalize(e.knownHostsAddr())
	if e.hashKnownHosts {
		name = xknownhosts.HashHostname(name)
	}
	line := name + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
	if err := appendKnownHost(e.knownHosts[0], line); err != nil {
		return fmt.Errorf("%s (%s): recording new host key: %w", node, e.addr(), err)
	}
	return nil
}

// describeHostKeyError turns x/crypto's known_hosts errors into ones that
// name the node and say what to do.
func describeHostKeyError(node string, e endpoint, key ssh.PublicKey, err error) error {
	if err == nil {
		return nil
	}
	var keyErr *xknownhosts.KeyError
	var revoked *xknownhosts.RevokedError
	switch {
	case errors.As(err, &keyErr) && len(keyErr.Want) > 0:
		return &HostKeyChangedError{Node: node, Addr: e.addr(), KeyType: key.Type(),
			Fingerprint: ssh.FingerprintSHA256(key), File: keyErr.Want[0].Filename, Line: keyErr.Want[0].Line}
	case errors.As(err, &keyErr):
		file := ""
		if len(e.knownHosts) > 0 {
			file = e.knownHosts[0]
		}
		return &UnknownHostKeyError{Node: node, Addr: e.addr(), KeyType: key.Type(),
			Fingerprint: ssh.FingerprintSHA256(key), KnownHosts: file}
	case errors.As(err, &revoked):
		return fmt.Errorf("%s (%s): host key %s is marked @revoked in %s:%d",
			node, e.addr(), ssh.FingerprintSHA256(key), tildeHome(revoked.Revoked.Filename), revoked.Revoked.Line)
	}
	return fmt.Errorf("%s (%s): checking host key: %w", node, e.addr(), err)
}

// appendKnownHost adds line to file, creating it (and its directory) 0600
// and keeping an unterminated last line intact.
func appendKnownHost(file, line string) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if info.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, info.Size()-1); err != nil {
			return err
		}
		if last[0] != '\n' {
			line = "\n" + line
		}
	}
	if _, err := f.WriteString(line + "\n"); err != nil {
		return err
	}
	return f.Close()
}
