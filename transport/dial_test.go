package transport_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shoal-sh/shoal/internal/sshtest"
	"github.com/shoal-sh/shoal/transport"
)

func TestSSHConfigAliasResolution(t *testing.T) {
	f := newFixture(t)
	s := f.server(t, sshtest.Config{})
	aliasKnownHosts := filepath.Join(f.dir, "kh_alias")
	appendFile(t, aliasKnownHosts, s.KnownHostsLine(s.HostKeys()[0]))
	os.Rename(f.key, filepath.Join(f.dir, "id_alias"))
	config := fmt.Sprintf(`Host other
    User nobody

Host web-*
    HostName %s
    Port %d
    User deploy
    IdentityFile %s/id_alias
    UserKnownHostsFile %s/kh_alias
`, s.Host(), s.Port(), f.dir, f.dir)
	os.WriteFile(f.sshConfig, []byte(config), 0o600)

	o := transport.Options{SSHConfig: f.sshConfig} // known_hosts from ssh_config
	c := dial(t, f, transport.Target{Node: "web1", Host: "web-1"}, o)
	if err := c.Run(context.Background(), transport.Command{Script: "true"}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if diff := cmp.Diff([]string{"deploy"}, s.Users()); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
}

func TestTargetFieldsOverrideSSHConfig(t *testing.T) {
	f := newFixture(t)
	s := f.trusted(t)
	os.WriteFile(f.sshConfig, []byte("Host *\n    User deploy\n    Port 1\n"), 0o600)
	target := f.target("web1", s)
	target.User = "admin"
	c := dial(t, f, target, f.options())
	if err := c.Run(context.Background(), transport.Command{Script: "true"}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if diff := cmp.Diff([]string{"admin"}, s.Users()); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
}

func TestProxyJump(t *testing.T) {
	f := newFixture(t)
	bastion := f.server(t, sshtest.Config{Forwarding: true})
	f.trust(t, bastion, bastion.HostKeys()[0])
	node := f.trusted(t)

	tests := []struct {
		name   string
		host   string
		jump   string
		config string
	}{
		{name: "user@host:port", host: node.Host(), jump: fmt.Sprintf("jumper@%s:%d", bastion.Host(), bastion.Port())},
		{name: "alias from ssh_config", host: node.Host(), jump: "bastion", config: fmt.Sprintf(
			"Host bastion\n    HostName %s\n    Port %d\n    User jumper\n    IdentityFile %s\n", bastion.Host(), bastion.Port(), f.key)},
		{name: "ProxyJump in ssh_config", host: "files.internal", config: fmt.Sprintf(
			"Host files.internal\n    HostName %s\n    ProxyJump jumper@%s:%d\n", node.Host(), bastion.Host(), bastion.Port())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.WriteFile(f.sshConfig, []byte(tt.config), 0o600)
			target := f.target("files", node)
			target.Host, target.Jump = tt.host, tt.jump
			bastionBefore, nodeBefore := bastion.Connections(), node.Connections()
			c := dial(t, f, target, f.options())
			if err := c.Run(context.Background(), transport.Command{Script: "true"}); err != nil {
				t.Fatalf("Run: %v", err)
			}
			got := []int{c.Dials(), bastion.Connections() - bastionBefore, node.Connections() - nodeBefore, bastion.Sessions()}
			if diff := cmp.Diff([]int{2, 1, 1, 0}, got); diff != "" {
				t.Errorf("dials, bastion and node connections, bastion sessions (-want +got):\n%s", diff)
			}
			if users := bastion.Users(); users[len(users)-1] != "jumper" {
				t.Errorf("bastion saw user %q, want jumper", users[len(users)-1])
			}
		})
	}
}

func TestDialAllSharesTheJumpHost(t *testing.T) {
	f := newFixture(t)
	bastion := f.server(t, sshtest.Config{Forwarding: true})
	f.trust(t, bastion, bastion.HostKeys()[0])
	node := f.trusted(t)

	var targets []transport.Target
	for i := range 10 {
		target := f.target(fmt.Sprintf("web%d", i), node)
		target.Jump = bastion.Addr()
		targets = append(targets, target)
	}
	conns, errs := transport.DialAll(context.Background(), targets, f.options(), 10)
	if len(errs) > 0 {
		t.Fatalf("DialAll errors: %v", errs)
	}
	dials := 0
	for _, c := range conns {
		dials += c.Dials()
	}
	waitFor(t, "the server to count the connections", func() bool { return node.Connections() >= 10 })
	got := []int{bastion.Connections(), node.Connections(), dials}
	if diff := cmp.Diff([]int{1, 10, 11}, got); diff != "" {
		t.Errorf("bastion connections, node connections, sum of Dials (-want +got):\n%s", diff)
	}

	for name, c := range conns {
		if name != "web0" {
			c.Close()
		}
	}
	if err := conns["web0"].Run(context.Background(), transport.Command{Script: "true"}); err != nil {
		t.Errorf("the last node lost its way through the bastion when the others closed: %v", err)
	}
	conns["web0"].Close()
	waitFor(t, "the bastion connection to close with the last node", func() bool { return bastion.OpenConnections() == 0 })
}

func TestDialAllThroughADeadJumpHostNamesEveryNode(t *testing.T) {
	f := newFixture(t)
	node := f.trusted(t)
	port := freePort(t)
	var targets []transport.Target
	for _, name := range []string{"files1", "files2"} {
		target := f.target(name, node)
		target.Jump = fmt.Sprintf("127.0.0.1:%d", port)
		targets = append(targets, target)
	}
	_, errs := transport.DialAll(context.Background(), targets, f.options(), 2)
	got := map[string]string{}
	for name, err := range errs {
		got[name] = err.Error()
	}
	want := map[string]string{
		"files1": fmt.Sprintf("files1: jump host (127.0.0.1:%d): dial: connection refused", port),
		"files2": fmt.Sprintf("files2: jump host (127.0.0.1:%d): dial: connection refused", port),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestJumpHostThatRefusesForwarding(t *testing.T) {
	f := newFixture(t)
	bastion := f.trusted(t) // no forwarding
	node := f.trusted(t)
	target := f.target("files", node)
	target.Jump = fmt.Sprintf("%s:%d", bastion.Host(), bastion.Port())
	_, err := transport.Dial(context.Background(), target, f.options())
	want := fmt.Sprintf("files (%s via root@%s): dial:", node.Addr(), bastion.Addr())
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Dial error = %v, want it to start with %q", err, want)
	}
}

func TestHandshakeTimeout(t *testing.T) {
	f := newFixture(t)
	addr := sshtest.SilentListener(t)
	host, port, _ := net.SplitHostPort(addr)
	o := f.options()
	o.ConnectTimeout = 200 * time.Millisecond
	var portNum int
	fmt.Sscan(port, &portNum)

	start := time.Now()
	_, err := transport.Dial(context.Background(), transport.Target{Node: "web2", Host: host, Port: portNum}, o)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Dial took %s with a 200ms timeout", took)
	}
	var dialErr *transport.DialError
	if !errors.As(err, &dialErr) || dialErr.Stage != "handshake" {
		t.Fatalf("Dial error = %v, want a handshake DialError", err)
	}
	want := "web2 (" + addr + "): handshake: timed out after 200ms"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q should start with %q", err, want)
	}
}

func TestDialRefusedAndDialAllCollectsEveryError(t *testing.T) {
	f := newFixture(t)
	s := f.trusted(t)
	closedPort := freePort(t)
	targets := []transport.Target{
		f.target("web1", s),
		{Node: "web3", Host: "127.0.0.1", Port: closedPort},
		f.target("web2", s),
	}
	conns, errs := transport.DialAll(context.Background(), targets, f.options(), 2)
	for _, c := range conns {
		c.Close()
	}
	if len(conns) != 2 || conns["web1"] == nil || conns["web2"] == nil {
		t.Errorf("conns = %v, want web1 and web2", conns)
	}
	want := map[string]string{"web3": fmt.Sprintf("web3 (127.0.0.1:%d): dial: connection refused", closedPort)}
	got := map[string]string{}
	for node, err := range errs {
		got[node] = err.Error()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
