package transport_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/shoal-sh/shoal/internal/sshtest"
	"github.com/shoal-sh/shoal/transport"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

func TestUnknownHostKeyShowsFingerprintAndHowToAccept(t *testing.T) {
	f := newFixture(t)
	s := f.server(t, sshtest.Config{HostKeys: []ssh.Signer{sshtest.RSAKey(t), sshtest.Ed25519Key(t)}})
	_, err := transport.Dial(context.Background(), f.target("web1", s), f.options())

	var unknown *transport.UnknownHostKeyError
	if !errors.As(err, &unknown) {
		t.Fatalf("Dial error = %v, want UnknownHostKeyError", err)
	}
	key := s.HostKeys()[1] // the ed25519 key, as ssh would show
	for _, want := range []string{"web1 (" + s.Addr() + ")", "ssh-ed25519", ssh.FingerprintSHA256(key), "--accept-new-host-keys", f.knownHosts} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if s.Connections() != 0 {
		t.Errorf("the server authenticated us before its key was trusted")
	}
}

func TestAcceptNewRecordsTheKeyOnceThenChecksStrictly(t *testing.T) {
	f := newFixture(t)
	s := f.server(t, sshtest.Config{HostKeys: []ssh.Signer{sshtest.RSAKey(t), sshtest.Ed25519Key(t)}})
	o := f.options()
	o.AcceptNewHostKeys = true

	var targets []transport.Target
	for i := range 5 {
		targets = append(targets, f.target(fmt.Sprintf("web%d", i), s))
	}
	conns, errs := transport.DialAll(context.Background(), targets, o, 5)
	if len(errs) != 0 || len(conns) != 5 {
		t.Fatalf("DialAll: %d conns, errors %v", len(conns), errs)
	}
	for _, c := range conns {
		c.Close()
	}
	if got, want := readFile(t, f.knownHosts), s.KnownHostsLine(s.HostKeys()[1]); got != want {
		t.Errorf("known_hosts = %q, want the one line %q (ed25519 preferred, as OpenSSH does)", got, want)
	}

	c := dial(t, f, f.target("web1", s), f.options()) // strict now
	if err := c.Run(context.Background(), transport.Command{Script: "true"}); err != nil {
		t.Errorf("Run after accepting: %v", err)
	}
}

func TestChangedHostKeyIsRefusedEvenWithAcceptNew(t *testing.T) {
	f := newFixture(t)
	s := f.server(t, sshtest.Config{})
	appendFile(t, f.knownHosts, "# first line\n")
	f.trust(t, s, sshtest.Ed25519Key(t).PublicKey()) // line 2: some other key
	o := f.options()
	o.AcceptNewHostKeys = true

	_, err := transport.Dial(context.Background(), f.target("web1", s), o)
	var changed *transport.HostKeyChangedError
	if !errors.As(err, &changed) {
		t.Fatalf("Dial error = %v, want HostKeyChangedError", err)
	}
	if changed.File != f.knownHosts || changed.Line != 2 || changed.Node != "web1" {
		t.Errorf("error names %s:%d for %s, want %s:2 for web1", changed.File, changed.Line, changed.Node, f.knownHosts)
	}
	if !strings.Contains(err.Error(), f.knownHosts+":2") || !strings.Contains(err.Error(), ssh.FingerprintSHA256(s.HostKeys()[0])) {
		t.Errorf("error %q should name known_hosts:2 and the offered fingerprint", err)
	}
	if strings.Count(readFile(t, f.knownHosts), "\n") != 2 {
		t.Errorf("known_hosts was modified")
	}
}

func TestKnownHostsEntriesMatchTheKeyTypesTheyHold(t *testing.T) {
	ed25519, rsa := sshtest.Ed25519Key(t), sshtest.RSAKey(t)
	tests := []struct {
		name  string
		entry func(s *sshtest.Server) string
	}{
		{"plain [host]:port ed25519 entry while rsa is offered first", func(s *sshtest.Server) string {
			return s.KnownHostsLine(ed25519.PublicKey())
		}},
		{"hashed ed25519 entry", func(s *sshtest.Server) string {
			return xknownhosts.HashHostname(xknownhosts.Normalize(s.Addr())) + " " + string(ssh.MarshalAuthorizedKey(ed25519.PublicKey()))
		}},
		{"rsa entry only", func(s *sshtest.Server) string {
			return s.KnownHostsLine(rsa.PublicKey())
		}},
		{"revoked other key and cert-authority lines are not mistaken for this host's key", func(s *sshtest.Server) string {
			other := sshtest.Ed25519Key(t).PublicKey()
			return "@revoked * " + string(ssh.MarshalAuthorizedKey(other)) +
				"@cert-authority *.example.com " + string(ssh.MarshalAuthorizedKey(other)) +
				s.KnownHostsLine(ed25519.PublicKey())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			s := f.server(t, sshtest.Config{HostKeys: []ssh.Signer{rsa, ed25519}})
			appendFile(t, f.knownHosts, tt.entry(s))
			dial(t, f, f.target("web1", s), f.options())
		})
	}
}

func TestRevokedHostKeyIsRefused(t *testing.T) {
	f := newFixture(t)
	s := f.server(t, sshtest.Config{})
	appendFile(t, f.knownHosts, "@revoked * "+string(ssh.MarshalAuthorizedKey(s.HostKeys()[0])))
	o := f.options()
	o.AcceptNewHostKeys = true
	_, err := transport.Dial(context.Background(), f.target("web1", s), o)
	if err == nil || !strings.Contains(err.Error(), "web1 ("+s.Addr()+"): host key") || !strings.Contains(err.Error(), "@revoked") {
		t.Errorf("Dial error = %v, want the revoked key refused naming web1", err)
	}
}

func TestHostKeyAlias(t *testing.T) {
	f := newFixture(t)
	s := f.server(t, sshtest.Config{})
	appendFile(t, f.knownHosts, "cluster-web "+string(ssh.MarshalAuthorizedKey(s.HostKeys()[0])))
	if _, err := transport.Dial(context.Background(), f.target("web1", s), f.options()); !errors.As(err, new(*transport.UnknownHostKeyError)) {
		t.Fatalf("without HostKeyAlias: Dial error = %v, want the host unknown", err)
	}
	f.config(t, "HostKeyAlias cluster-web\n")
	dial(t, f, f.target("web1", s), f.options())
}

// A host on a port other than 22 that known_hosts holds only without the
// port is checked against that entry, as ssh does; a different key there
// leaves the host unknown, not changed.
func TestKnownHostsEntryWithoutThePort(t *testing.T) {
	f := newFixture(t)
	s := f.server(t, sshtest.Config{})
	appendFile(t, f.knownHosts, s.Host()+" "+string(ssh.MarshalAuthorizedKey(s.HostKeys()[0])))
	dial(t, f, f.target("web1", s), f.options())

	other := newFixture(t)
	appendFile(t, other.knownHosts, s.Host()+" "+string(ssh.MarshalAuthorizedKey(sshtest.Ed25519Key(t).PublicKey())))
	target := f.target("web1", s)
	if _, err := transport.Dial(context.Background(), target, other.options()); !errors.As(err, new(*transport.UnknownHostKeyError)) {
		t.Errorf("a different key on the port-less entry: Dial error = %v, want the host unknown", err)
	}
}

func TestAcceptNewWritesHashedLinesUnderHashKnownHosts(t *testing.T) {
	f := newFixture(t)
	s := f.server(t, sshtest.Config{})
	f.config(t, "HashKnownHosts yes\n")
	o := f.options()
	o.AcceptNewHostKeys = true
	dial(t, f, f.target("web1", s), o)

	line := readFile(t, f.knownHosts)
	if !strings.HasPrefix(line, "|1|") || strings.Contains(line, s.Host()) || strings.Count(line, "\n") != 1 {
		t.Errorf("known_hosts = %q, want one hashed line", line)
	}
	dial(t, f, f.target("web1", s), f.options()) // strict: the hashed line is found
}

// StrictHostKeyChecking no records unknown keys, like accept-new; unlike
// ssh, shoal still refuses a changed one.
func TestStrictHostKeyCheckingNoStillRefusesChangedKeys(t *testing.T) {
	f := newFixture(t)
	f.config(t, "StrictHostKeyChecking no\n")
	unknown := f.server(t, sshtest.Config{})
	dial(t, f, f.target("web1", unknown), f.options())

	changed := f.server(t, sshtest.Config{})
	f.trust(t, changed, sshtest.Ed25519Key(t).PublicKey())
	_, err := transport.Dial(context.Background(), f.target("web2", changed), f.options())
	if !errors.As(err, new(*transport.HostKeyChangedError)) {
		t.Errorf("Dial error = %v, want HostKeyChangedError", err)
	}
}
