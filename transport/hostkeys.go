package transport

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
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

// callback returns the host key check for e and the host key algorithms
// to ask for: those of the keys known_hosts holds for e, so a server that
// also offers other key types is not mistaken for a changed one.
func (hk *hostKeys) callback(node string, e endpoint) (ssh.HostKeyCallback, []string, error) {
	db, err := loadKnownHosts(e.knownHosts)
	if err != nil {
		return nil, nil, fmt.Errorf("%s (%s): %w", node, e.addr(), err)
	}
	check := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := db.HostKeyCallback()(hostname, remote, key)
		if knownhosts.IsHostUnknown(err) && e.acceptNew {
			return hk.accept(node, e, hostname, remote, key)
		}
		return describeHostKeyError(node, e, key, err)
	}
	algos := db.HostKeyAlgorithms(e.addr())
	if len(algos) == 0 {
		algos = newHostKeyAlgorithms
	}
	return check, algos, nil
}

// newHostKeyAlgorithms is OpenSSH's preference for a host not yet in
// known_hosts, so the fingerprint shoal shows and records is the one ssh
// and ssh-keyscan show (x/crypto alone would prefer RSA, even SHA-1 RSA).
var newHostKeyAlgorithms = []string{
	ssh.KeyAlgoED25519,
	ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
}

// accept re-reads known_hosts (another dial may have just added the host)
// and appends the key to the first file if it is still unknown.
func (hk *hostKeys) accept(node string, e endpoint, hostname string, remote net.Addr, key ssh.PublicKey) error {
	hk.mu.Lock()
	defer hk.mu.Unlock()
	db, err := loadKnownHosts(e.knownHosts)
	if err != nil {
		return fmt.Errorf("%s (%s): %w", node, e.addr(), err)
	}
	err = db.HostKeyCallback()(hostname, remote, key)
	if !knownhosts.IsHostUnknown(err) {
		return describeHostKeyError(node, e, key, err)
	}
	if len(e.knownHosts) == 0 {
		return fmt.Errorf("%s (%s): no known_hosts file to record the new host key in", node, e.addr())
	}
	if err := appendKnownHost(e.knownHosts[0], knownhosts.Line([]string{hostname}, key)); err != nil {
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
