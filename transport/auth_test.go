package transport_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shoal-sh/shoal/internal/sshtest"
	"github.com/shoal-sh/shoal/transport"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func TestAuthRefusedSaysWhatWasTried(t *testing.T) {
	f := newFixture(t)
	sshDir := filepath.Join(f.home, ".ssh")
	os.Mkdir(sshDir, 0o700)
	sshtest.WritePrivateKey(t, sshDir, "id_ed25519", "")
	sshtest.WritePrivateKey(t, sshDir, "id_rsa", "passphrase")
	s := f.server(t, sshtest.Config{AuthorizedKeys: []ssh.PublicKey{sshtest.Ed25519Key(t).PublicKey()}})
	f.trust(t, s, s.HostKeys()[0])
	target := f.target("web1", s)
	target.IdentityFile = "" // OpenSSH's default files

	_, err := transport.Dial(context.Background(), target, f.options())
	var auth *transport.AuthError
	if !errors.As(err, &auth) {
		t.Fatalf("Dial error = %v, want AuthError", err)
	}
	want := "web1 (root@" + s.Addr() + "): authentication refused " +
		"(tried ~/.ssh/id_ed25519; skipped ~/.ssh/id_rsa (encrypted; load it into ssh-agent))"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

func TestAuthWithMissingNamedIdentityAndNoAgent(t *testing.T) {
	f := newFixture(t)
	s := f.trusted(t)
	target := f.target("web1", s)
	target.IdentityFile = "~/.ssh/nope"
	_, err := transport.Dial(context.Background(), target, f.options())
	want := "web1 (root@" + s.Addr() + "): authentication refused (no keys: no agent and no identity file; skipped ~/.ssh/nope (missing))"
	if err == nil || err.Error() != want {
		t.Errorf("Dial error = %v\nwant %s", err, want)
	}
}

func TestAuthThroughAgent(t *testing.T) {
	f := newFixture(t)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSH_AUTH_SOCK", serveAgent(t, keyring))
	signer, _ := ssh.NewSignerFromKey(priv)
	s := f.server(t, sshtest.Config{AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}})
	f.trust(t, s, s.HostKeys()[0])

	target := f.target("web1", s)
	target.IdentityFile = ""
	c := dial(t, f, target, f.options())
	if err := c.Run(context.Background(), transport.Command{Script: "true"}); err != nil {
		t.Errorf("Run: %v", err)
	}
}

func serveAgent(t *testing.T, keyring agent.Agent) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				agent.ServeAgent(keyring, c)
			}()
		}
	}()
	return sock
}
