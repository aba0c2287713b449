package transport_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-sh/shoal/internal/sshtest"
	"github.com/shoal-sh/shoal/transport"
)

// proxyHelperEnv makes the test binary a ProxyCommand: `<binary> nc HOST
// PORT` relays stdin and stdout to HOST:PORT; `<binary> silent` never
// speaks. Either first writes its pid to the file the variable names.
const proxyHelperEnv = "SHOAL_TEST_PROXY_PIDFILE"

func TestMain(m *testing.M) {
	if pidFile := os.Getenv(proxyHelperEnv); pidFile != "" && len(os.Args) > 1 {
		os.Exit(proxyHelper(pidFile, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func proxyHelper(pidFile string, args []string) int {
	os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())), 0o600)
	if args[0] == "silent" {
		time.Sleep(time.Minute)
		return 0
	}
	fmt.Fprintf(os.Stderr, "proxy: connecting to %s:%s\n", args[1], args[2])
	conn, err := net.Dial("tcp", net.JoinHostPort(args[1], args[2]))
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		return 1
	}
	go io.Copy(conn, os.Stdin)
	io.Copy(os.Stdout, conn)
	return 0
}

// proxyCommand is the helper as a ProxyCommand, and where its pid goes.
func proxyCommand(t *testing.T, args string) (command, pidFile string) {
	t.Helper()
	pidFile = filepath.Join(t.TempDir(), "proxy.pid")
	t.Setenv(proxyHelperEnv, pidFile)
	return os.Args[0] + " " + args, pidFile
}

// logLines collects Options.Log's lines.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) log(node, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, node+": "+line)
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func TestProxyCommandCarriesTheConnection(t *testing.T) {
	f := newFixture(t)
	s := f.trusted(t)
	command, pidFile := proxyCommand(t, "nc %h %p")
	f.config(t, fmt.Sprintf("Host web1\n    HostName %s\n    Port %d\n    ProxyCommand %s\n", s.Host(), s.Port(), command))
	var log logLines
	o := f.options()
	o.Log = log.log

	c := dial(t, f, transport.Target{Node: "web1", Host: "web1", IdentityFile: f.key}, o)
	if err := c.Run(context.Background(), transport.Command{Script: "true"}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := fmt.Sprintf("web1: ProxyCommand: proxy: connecting to %s:%d", s.Host(), s.Port())
	if !strings.Contains(log.String(), want) {
		t.Errorf("log = %q, want it to hold the proxy's stderr %q", log.String(), want)
	}
	pid := readPid(t, pidFile)
	c.Close()
	waitFor(t, "the proxy command to end with the connection", func() bool { return !alive(pid) })
}

func TestProxyCommandIsKilledWhenTheHandshakeTimesOut(t *testing.T) {
	f := newFixture(t)
	command, pidFile := proxyCommand(t, "silent")
	f.config(t, "Host web1\n    ProxyCommand "+command+"\n")
	o := f.options()
	o.ConnectTimeout = 300 * time.Millisecond

	_, err := transport.Dial(context.Background(), transport.Target{Node: "web1", Host: "web1", IdentityFile: f.key}, o)
	var dialErr *transport.DialError
	if !errors.As(err, &dialErr) || dialErr.Stage != "handshake" || !strings.Contains(err.Error(), "via ProxyCommand") {
		t.Fatalf("Dial error = %v, want a handshake timeout via the ProxyCommand", err)
	}
	pid := readPid(t, pidFile)
	waitFor(t, "the proxy command to be killed", func() bool { return !alive(pid) })
}

func TestProxyCommandFailureSaysWhatTheCommandSaid(t *testing.T) {
	f := newFixture(t)
	f.config(t, "Host web1\n    ProxyCommand sh -c 'echo \"channel 0: open failed: connect failed: No route to host\" >&2; exit 255'\n")
	_, err := transport.Dial(context.Background(), transport.Target{Node: "web1", Host: "web1", IdentityFile: f.key}, f.options())
	want := "the ProxyCommand said: channel 0: open failed: connect failed: No route to host"
	if err == nil || !strings.HasPrefix(err.Error(), "web1 (web1:22 via ProxyCommand sh -c") || !strings.Contains(err.Error(), want) {
		t.Errorf("Dial error = %v, want it to name the node and end with %q", err, want)
	}
}

// The usual ProxyCommand, `ssh -W %h:%p bastion`, with the real ssh
// client and the test server as the bastion.
func TestProxyCommandThroughSSHW(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("no ssh client")
	}
	f := newFixture(t)
	bastion := f.server(t, sshtest.Config{Forwarding: true})
	f.trust(t, bastion, bastion.HostKeys()[0])
	node := f.trusted(t)
	f.config(t, fmt.Sprintf(`Host bastion
    HostName %s
    Port %d
    IdentityFile %s
    IdentitiesOnly yes
    UserKnownHostsFile %s
    BatchMode yes
Host web1
    HostName %s
    Port %d
    ProxyCommand ssh -F %s -W %%h:%%p bastion
`, bastion.Host(), bastion.Port(), f.key, f.knownHosts, node.Host(), node.Port(), f.sshConfig))

	c := dial(t, f, transport.Target{Node: "web1", Host: "web1", IdentityFile: f.key}, f.options())
	if err := c.Run(context.Background(), transport.Command{Script: "true"}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if bastion.Connections() != 1 || node.Connections() != 1 {
		t.Errorf("bastion saw %d connections, node %d; want 1 each", bastion.Connections(), node.Connections())
	}
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	var pid int
	waitFor(t, "the proxy command to start", func() bool {
		b, err := os.ReadFile(path)
		pid, _ = strconv.Atoi(string(b))
		return err == nil && pid > 0
	})
	return pid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }
