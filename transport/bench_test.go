package transport_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
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

// BenchmarkDescribe10 is the ssh_config side of a run on the lab's 10 web
// nodes and file server: every route worked out, without connecting,
// by ssh -G (11 processes, in parallel) and by shoal's own reader.
func BenchmarkDescribe10(b *testing.B) {
	dir := b.TempDir()
	b.Setenv("SSH_AUTH_SOCK", "")
	var config strings.Builder
	var targets []transport.Target
	for i := range 11 {
		name := "web" + strconv.Itoa(i)
		fmt.Fprintf(&config, "Host %s\n  HostName 10.77.0.%d\n  User root\n  IdentityFile %s/id\n  IdentitiesOnly yes\n  UserKnownHostsFile %s/known_hosts\n  StrictHostKeyChecking yes\n",
			name, 11+i, dir, dir)
		targets = append(targets, transport.Target{Node: name, Host: name})
	}
	o := transport.Options{SSHConfig: dir + "/ssh_config"}
	if err := writeString(o.SSHConfig, config.String()); err != nil {
		b.Fatal(err)
	}
	for _, resolver := range []string{"ssh -G", "shoal's ssh_config reader"} {
		b.Run(resolver, func(b *testing.B) {
			if resolver != "ssh -G" {
				b.Setenv("PATH", dir)
			} else if _, err := exec.LookPath("ssh"); err != nil {
				b.Skip("no ssh client")
			}
			for b.Loop() {
				got, routes := transport.Describe(context.Background(), targets, o)
				if got != resolver || routes[10].Err != nil {
					b.Fatalf("resolved by %s: %v", got, routes[10].Err)
				}
			}
		})
	}
}
