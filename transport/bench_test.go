package transport_test

import (
	"context"
	"os"
	"testing"

	"github.com/shoal-sh/shoal/internal/sshtest"
	"github.com/shoal-sh/shoal/transport"
	"golang.org/x/crypto/ssh"
)

// The figures are loopback against the in-process server, so they measure
// shoal's own overhead (handshake, session setup), not a network.

func benchFixture(b *testing.B) (*sshtest.Server, transport.Target, transport.Options) {
	home := b.TempDir()
	b.Setenv("SSH_AUTH_SOCK", "")
	key, signer := sshtest.WritePrivateKey(b, home, "id", "")
	s := sshtest.Start(b, sshtest.Config{AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}})
	known := home + "/known_hosts"
	if err := writeString(known, s.KnownHostsLine(s.HostKeys()[0])); err != nil {
		b.Fatal(err)
	}
	empty := home + "/ssh_config"
	if err := writeString(empty, ""); err != nil {
		b.Fatal(err)
	}
	target := transport.Target{Node: "bench", Host: s.Host(), Port: s.Port(), IdentityFile: key}
	return s, target, transport.Options{SSHConfig: empty, KnownHosts: []string{known}}
}

func BenchmarkDial(b *testing.B) {
	_, target, o := benchFixture(b)
	for b.Loop() {
		c, err := transport.Dial(context.Background(), target, o)
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

func BenchmarkRun(b *testing.B) {
	_, target, o := benchFixture(b)
	c, err := transport.Dial(context.Background(), target, o)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for b.Loop() {
		if err := c.Run(context.Background(), transport.Command{Script: "true"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRunParallel(b *testing.B) {
	_, target, o := benchFixture(b)
	c, err := transport.Dial(context.Background(), target, o)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := c.Run(context.Background(), transport.Command{Script: "true"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func writeString(path, text string) error { return os.WriteFile(path, []byte(text), 0o600) }
