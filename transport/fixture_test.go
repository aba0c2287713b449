package transport_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shoal-sh/shoal/internal/sshtest"
	"github.com/shoal-sh/shoal/transport"
	"golang.org/x/crypto/ssh"
)

// fixture is a private directory with one identity file, an empty
// ssh_config and a known_hosts file, and no ssh-agent, so tests use none
// of the machine's keys. (ssh, and so shoal, read ~ from the passwd entry,
// not $HOME: tests name their files with absolute paths.)
type fixture struct {
	dir        string
	key        string // identity file path
	signer     ssh.Signer
	knownHosts string
	sshConfig  string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("SSH_AUTH_SOCK", "")
	key, signer := sshtest.WritePrivateKey(t, dir, "id_test", "")
	f := &fixture{
		dir:        dir,
		key:        key,
		signer:     signer,
		knownHosts: filepath.Join(dir, "known_hosts"),
		sshConfig:  filepath.Join(dir, "ssh_config"),
	}
	if err := os.WriteFile(f.sshConfig, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// server starts a test server that authorizes the fixture's key.
func (f *fixture) server(t *testing.T, c sshtest.Config) *sshtest.Server {
	t.Helper()
	if c.AuthorizedKeys == nil {
		c.AuthorizedKeys = []ssh.PublicKey{f.signer.PublicKey()}
	}
	return sshtest.Start(t, c)
}

// trust adds key for s to the fixture's known_hosts.
func (f *fixture) trust(t *testing.T, s *sshtest.Server, key ssh.PublicKey) {
	t.Helper()
	appendFile(t, f.knownHosts, s.KnownHostsLine(key))
}

// trusted starts a server whose key is already in known_hosts.
func (f *fixture) trusted(t *testing.T) *sshtest.Server {
	t.Helper()
	s := f.server(t, sshtest.Config{})
	f.trust(t, s, s.HostKeys()[0])
	return s
}

func (f *fixture) target(node string, s *sshtest.Server) transport.Target {
	return transport.Target{Node: node, Host: s.Host(), Port: s.Port(), IdentityFile: f.key}
}

func (f *fixture) options() transport.Options {
	return transport.Options{SSHConfig: f.sshConfig, KnownHosts: []string{f.knownHosts}}
}

// config writes the fixture's ssh_config.
func (f *fixture) config(t *testing.T, text string) {
	t.Helper()
	if err := os.WriteFile(f.sshConfig, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if _, err := file.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
