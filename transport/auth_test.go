package transport_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shoal-sh/shoal/internal/sshtest"
	"github.com/shoal-sh/shoal/transport"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// testKey is a fresh ed25519 key, to write to files, load into an agent
// or authorize.
type testKey struct {
	private ed25519.PrivateKey
	signer  ssh.Signer
}

func newTestKey(t *testing.T) testKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{private: priv, signer: signer}
}

func (k testKey) public() ssh.PublicKey { return k.signer.PublicKey() }

func (k testKey) fingerprint() string { return ssh.FingerprintSHA256(k.public()) }

// write saves the private key (encrypted when passphrase is set) at path,
// and its .pub beside it.
func (k testKey) write(t *testing.T, path, passphrase string) string {
	t.Helper()
	var block *pem.Block
	var err error
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(k.private, "")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(k.private, "", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(k.public()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// certify writes a user certificate for k signed by ca at path.
func (k testKey) certify(t *testing.T, ca testKey, path string) *ssh.Certificate {
	t.Helper()
	cert := &ssh.Certificate{Key: k.public(), CertType: ssh.UserCert, KeyId: "test", ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca.signer); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, ssh.MarshalAuthorizedKey(cert), 0o644); err != nil {
		t.Fatal(err)
	}
	return cert
}

// startAgent serves an ssh-agent holding keys (comment "agent-<i>") and
// returns its socket.
func startAgent(t *testing.T, keys ...testKey) string {
	t.Helper()
	keyring := agent.NewKeyring()
	for i, k := range keys {
		if err := keyring.Add(agent.AddedKey{PrivateKey: k.private, Comment: "agent-" + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	return sshtest.ServeAgent(t, keyring)
}

// keyTarget is a target that leaves keys to ssh_config, logging in as
// deploy.
func keyTarget(f *fixture, s *sshtest.Server) transport.Target {
	target := f.target("web1", s)
	target.IdentityFile, target.User = "", "deploy"
	return target
}

func authError(t *testing.T, err error) *transport.AuthError {
	t.Helper()
	var auth *transport.AuthError
	if !errors.As(err, &auth) {
		t.Fatalf("Dial error = %v, want AuthError", err)
	}
	return auth
}

func TestAuthRefusedSaysWhatWasTried(t *testing.T) {
	f := newFixture(t)
	plain := newTestKey(t).write(t, filepath.Join(f.dir, "id_plain"), "")
	encrypted := newTestKey(t).write(t, filepath.Join(f.dir, "id_encrypted"), "passphrase")
	missing := filepath.Join(f.dir, "id_missing")
	f.config(t, "IdentityFile "+plain+"\nIdentityFile "+encrypted+"\nIdentityFile "+missing+"\n")
	s := f.server(t, sshtest.Config{AuthorizedKeys: []ssh.PublicKey{newTestKey(t).public()}})
	f.trust(t, s, s.HostKeys()[0])

	_, err := transport.Dial(context.Background(), keyTarget(f, s), f.options())
	authError(t, err)
	want := "web1 (deploy@" + s.Addr() + "): authentication refused (tried " + plain + "; skipped " +
		encrypted + " (encrypted; load it into ssh-agent), " + missing + " (missing))"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

func TestAuthWithMissingNamedIdentityAndNoAgent(t *testing.T) {
	f := newFixture(t)
	s := f.trusted(t)
	target := f.target("web1", s)
	target.IdentityFile = filepath.Join(f.dir, "nope")
	target.User = "deploy"
	_, err := transport.Dial(context.Background(), target, f.options())
	want := "web1 (deploy@" + s.Addr() + "): authentication refused (no keys: no agent and no identity file; skipped " + target.IdentityFile + " (missing))"
	if err == nil || err.Error() != want {
		t.Errorf("Dial error = %v\nwant %s", err, want)
	}
}

func TestAuthThroughAgent(t *testing.T) {
	f := newFixture(t)
	k := newTestKey(t)
	t.Setenv("SSH_AUTH_SOCK", startAgent(t, k))
	s := f.server(t, sshtest.Config{AuthorizedKeys: []ssh.PublicKey{k.public()}})
	f.trust(t, s, s.HostKeys()[0])
	f.config(t, "IdentityFile "+filepath.Join(f.dir, "none-here")+"\n")

	c := dial(t, f, keyTarget(f, s), f.options())
	if err := c.Run(context.Background(), transport.Command{Script: "true"}); err != nil {
		t.Errorf("Run: %v", err)
	}
}

// IdentitiesOnly: ssh offers the agent's keys first, so a full agent hits
// sshd's MaxAuthTries before the named key; with IdentitiesOnly only the
// named key is offered.
func TestIdentitiesOnlyOffersOnlyTheNamedKeys(t *testing.T) {
	agentKeys := []testKey{newTestKey(t), newTestKey(t), newTestKey(t)}
	named := newTestKey(t)
	for _, identitiesOnly := range []string{"no", "yes"} {
		t.Run("IdentitiesOnly "+identitiesOnly, func(t *testing.T) {
			f := newFixture(t)
			t.Setenv("SSH_AUTH_SOCK", startAgent(t, agentKeys...))
			path := named.write(t, filepath.Join(f.dir, "id_named"), "")
			f.config(t, "IdentityFile "+path+"\nIdentitiesOnly "+identitiesOnly+"\n")
			s := f.server(t, sshtest.Config{AuthorizedKeys: []ssh.PublicKey{named.public()}})
			f.trust(t, s, s.HostKeys()[0])

			dial(t, f, keyTarget(f, s), f.options())
			want := []string{named.fingerprint()}
			if identitiesOnly == "no" {
				want = []string{agentKeys[0].fingerprint(), agentKeys[1].fingerprint(), agentKeys[2].fingerprint(), named.fingerprint()}
			}
			if diff := cmp.Diff(want, s.Offered()); diff != "" {
				t.Errorf("keys offered (-want +got):\n%s", diff)
			}
		})
	}
}

// A passphrase-protected key works through the agent that holds it, even
// with IdentitiesOnly, and so does a key of which only the .pub is here.
func TestPassphraseProtectedKeyThroughTheAgent(t *testing.T) {
	for _, only := range []string{"encrypted file", "only the .pub"} {
		t.Run(only, func(t *testing.T) {
			f := newFixture(t)
			protected, other := newTestKey(t), newTestKey(t)
			t.Setenv("SSH_AUTH_SOCK", startAgent(t, other, protected))
			path := protected.write(t, filepath.Join(f.dir, "id_protected"), "secret")
			if only == "only the .pub" {
				os.Remove(path)
			}
			f.config(t, "IdentityFile "+path+"\nIdentitiesOnly yes\n")
			s := f.server(t, sshtest.Config{AuthorizedKeys: []ssh.PublicKey{protected.public()}})
			f.trust(t, s, s.HostKeys()[0])

			dial(t, f, keyTarget(f, s), f.options())
			if diff := cmp.Diff([]string{protected.fingerprint()}, s.Offered()); diff != "" {
				t.Errorf("keys offered (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCertificates(t *testing.T) {
	ca := newTestKey(t)
	tests := []struct {
		name  string
		setup func(t *testing.T, f *fixture, k testKey) string // returns ssh_config
	}{
		{"<key>-cert.pub beside the identity file", func(t *testing.T, f *fixture, k testKey) string {
			path := k.write(t, filepath.Join(f.dir, "id_user"), "")
			k.certify(t, ca, path+"-cert.pub")
			return "IdentityFile " + path + "\nIdentitiesOnly yes\n"
		}},
		{"CertificateFile, the private key in the agent only", func(t *testing.T, f *fixture, k testKey) string {
			t.Setenv("SSH_AUTH_SOCK", startAgent(t, k))
			cert := filepath.Join(f.dir, "certs", "user.pub")
			os.Mkdir(filepath.Dir(cert), 0o700)
			k.certify(t, ca, cert)
			return "CertificateFile " + cert + "\nIdentityFile " + filepath.Join(f.dir, "nothing") + "\nIdentitiesOnly yes\n"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			k := newTestKey(t)
			f.config(t, tt.setup(t, f, k))
			// The plain key is not authorized: only its certificate gets in.
			s := f.server(t, sshtest.Config{AuthorizedKeys: []ssh.PublicKey{newTestKey(t).public()}, UserCA: ca.public()})
			f.trust(t, s, s.HostKeys()[0])
			c := dial(t, f, keyTarget(f, s), f.options())
			if err := c.Run(context.Background(), transport.Command{Script: "true"}); err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
}

// The order of keys is OpenSSH's: CertificateFile certificates, then the
// agent's keys in its order (an IdentityFile it holds among them), then
// the identity files it does not hold.
func TestKeysAreOfferedInOpenSSHsOrder(t *testing.T) {
	f := newFixture(t)
	a, b, c, d := newTestKey(t), newTestKey(t), newTestKey(t), newTestKey(t)
	t.Setenv("SSH_AUTH_SOCK", startAgent(t, a, b))
	pathC := c.write(t, filepath.Join(f.dir, "id_c"), "")
	pathB := b.write(t, filepath.Join(f.dir, "id_b"), "")
	pathD := d.write(t, filepath.Join(f.dir, "id_d"), "")
	certD := filepath.Join(f.dir, "id_d-cert.pub")
	d.certify(t, newTestKey(t), certD)
	f.config(t, "IdentityFile "+pathC+"\nIdentityFile "+pathB+"\nIdentityFile "+pathD+"\nCertificateFile "+certD+"\n")
	s := f.server(t, sshtest.Config{AuthorizedKeys: []ssh.PublicKey{newTestKey(t).public()}})
	f.trust(t, s, s.HostKeys()[0])

	_, err := transport.Dial(context.Background(), keyTarget(f, s), f.options())
	// OpenSSH: certificates, the agent's keys an IdentityFile names, the
	// agent's others, then the remaining files
	want := []string{certD, pathB + " (agent)", "agent key agent-a", pathC, pathD}
	if diff := cmp.Diff(want, authError(t, err).Tried); diff != "" {
		t.Errorf("keys tried (-want +got):\n%s", diff)
	}
	if len(s.Offered()) != len(want) {
		t.Errorf("the server saw %d keys offered, want %d", len(s.Offered()), len(want))
	}
}

func TestPubkeyAcceptedAlgorithmsLeavesKeysOut(t *testing.T) {
	f := newFixture(t)
	path := newTestKey(t).write(t, filepath.Join(f.dir, "id_ed"), "")
	f.config(t, "IdentityFile "+path+"\nPubkeyAcceptedAlgorithms rsa-sha2-512,rsa-sha2-256\n")
	s := f.trusted(t)
	_, err := transport.Dial(context.Background(), keyTarget(f, s), f.options())
	if want := "skipped " + path + " (ssh-ed25519 is not in PubkeyAcceptedAlgorithms)"; !strings.Contains(authError(t, err).Error(), want) {
		t.Errorf("error %q should say %q", err, want)
	}
	if len(s.Offered()) != 0 {
		t.Errorf("keys offered: %v, want none", s.Offered())
	}
}

func TestIdentityAgent(t *testing.T) {
	k := newTestKey(t)
	sock := startAgent(t, k)
	tests := []struct {
		name, config, env string
		ok                bool
	}{
		{name: "none ignores SSH_AUTH_SOCK", config: "IdentityAgent none\n", env: sock},
		{name: "a path, without SSH_AUTH_SOCK", config: "IdentityAgent " + sock + "\n", ok: true},
		{name: "$VAR", config: "IdentityAgent $SHOAL_TEST_AGENT\n", ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			t.Setenv("SSH_AUTH_SOCK", tt.env)
			t.Setenv("SHOAL_TEST_AGENT", sock)
			f.config(t, tt.config+"IdentityFile "+filepath.Join(f.dir, "nothing")+"\n")
			s := f.server(t, sshtest.Config{AuthorizedKeys: []ssh.PublicKey{k.public()}})
			f.trust(t, s, s.HostKeys()[0])
			_, err := transport.Dial(context.Background(), keyTarget(f, s), f.options())
			if (err == nil) != tt.ok {
				t.Errorf("Dial error = %v, want success %v", err, tt.ok)
			}
		})
	}
}
