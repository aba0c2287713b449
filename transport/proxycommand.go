package transport

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// proxyConn is an SSH connection's byte stream carried by a ProxyCommand:
// what shoal writes goes to the command's stdin, what it prints comes
// back. The command runs as ssh runs it, `exec <command>` in the user's
// shell, but in a session of its own: no terminal to prompt on, and a
// Ctrl-C at shoal's terminal does not cut the connection under a running
// step. Closing the connection ends the command.
type proxyConn struct {
	cmd    *exec.Cmd
	stdin  *os.File
	stdout *os.File
	remote net.Addr
	stderr *LineWriter
	exited chan struct{} // closed once cmd has been waited for

	closeOnce sync.Once
	mu        sync.Mutex
	lastLines []string // the command's last stderr lines, for errors
}

var _ net.Conn = (*proxyConn)(nil)

// startProxyCommand runs command to reach host:port; each line it writes
// to stderr goes to log.
func startProxyCommand(command, host string, port int, log func(string)) (*proxyConn, error) {
	shell := os.Getenv("SHELL")
	if shell == "" {
		shell = "/bin/sh"
	}
	toProxy, stdin, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	stdout, fromProxy, err := os.Pipe()
	if err != nil {
		toProxy.Close()
		stdin.Close()
		return nil, err
	}
	c := &proxyConn{
		cmd:    exec.Command(shell, "-c", "exec "+command),
		stdin:  stdin,
		stdout: stdout,
		remote: proxyAddr(net.JoinHostPort(host, strconv.Itoa(port))),
		exited: make(chan struct{}),
	}
	c.stderr = &LineWriter{Line: func(line string) {
		c.mu.Lock()
		c.lastLines = append(c.lastLines, line)
		if len(c.lastLines) > 5 {
			c.lastLines = c.lastLines[1:]
		}
		c.mu.Unlock()
		log(line)
	}}
	c.cmd.Stdin, c.cmd.Stdout, c.cmd.Stderr = toProxy, fromProxy, c.stderr
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = c.cmd.Start()
	toProxy.Close()
	fromProxy.Close()
	if err != nil {
		stdin.Close()
		stdout.Close()
		return nil, err
	}
	go func() {
		c.cmd.Wait()
		c.stderr.Flush()
		close(c.exited)
	}()
	return c, nil
}

func (c *proxyConn) Read(p []byte) (int, error)  { return c.stdout.Read(p) }
func (c *proxyConn) Write(p []byte) (int, error) { return c.stdin.Write(p) }

// Close ends the command: its stdin closes, then it gets SIGHUP (as ssh
// sends its proxy), then, after a grace period, SIGKILL; its session's
// other processes get the same.
func (c *proxyConn) Close() error {
	c.closeOnce.Do(func() {
		c.stdin.Close()
		pgid := -c.cmd.Process.Pid
		syscall.Kill(pgid, syscall.SIGHUP)
		select {
		case <-c.exited:
		case <-time.After(2 * time.Second):
			syscall.Kill(pgid, syscall.SIGKILL)
			<-c.exited
		}
		c.stdout.Close()
	})
	return nil
}

// said is the command's last words on stderr, to explain a failure. The
// last lines arrive as the command exits, which a loaded machine may take
// a while to see; a failed dial can afford to wait for them.
func (c *proxyConn) said() []string {
	select {
	case <-c.exited:
	case <-time.After(2 * time.Second):
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lastLines...)
}

func (c *proxyConn) LocalAddr() net.Addr  { return proxyAddr("proxy-command") }
func (c *proxyConn) RemoteAddr() net.Addr { return c.remote }

func (c *proxyConn) SetDeadline(t time.Time) error {
	return errors.Join(c.stdin.SetDeadline(t), c.stdout.SetDeadline(t))
}
func (c *proxyConn) SetReadDeadline(t time.Time) error  { return c.stdout.SetReadDeadline(t) }
func (c *proxyConn) SetWriteDeadline(t time.Time) error { return c.stdin.SetWriteDeadline(t) }

// proxyAddr is the host:port a ProxyCommand reaches, standing in for a
// TCP address.
type proxyAddr string

func (a proxyAddr) Network() string { return "proxy-command" }
func (a proxyAddr) String() string  { return string(a) }
