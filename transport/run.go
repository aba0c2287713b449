package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shoal-sh/shoal/shell"
	"golang.org/x/crypto/ssh"
)

const stderrTail = 4096

// Run executes cmd in a new session. Without Stdin the script is written to
// `sh -s` on stdin (see withWatchdog), so it never shows in ps or meets
// ARG_MAX; with Stdin the script is passed to `sh -c` and Stdin is
// streamed, so keep secrets out of such scripts. On ctx done the session is
// signalled and closed and ctx.Err() is returned at once, even if the
// server has not yet answered the session request. A `sh -s` script's
// processes are then killed by its watchdog; a `sh -c` script sees its
// stdin end, which stops the usual consumers (tar -x, cat >file).
func (c *Conn) Run(ctx context.Context, cmd Command) error {
	if err := c.broken(); err != nil {
		return err
	}
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return c.broken()
	}

	tail := &tailBuffer{max: stderrTail}
	started := make(chan startedSession, 1)
	go func() { started <- c.start(cmd, tail) }()
	var s startedSession
	select {
	case s = <-started:
	case <-ctx.Done():
		go func() { // the server has yet to answer; tidy up when it does
			if s := <-started; s.session != nil {
				s.session.Close()
			}
			<-c.slots
		}()
		return ctx.Err()
	}
	defer func() { <-c.slots }()
	if s.err != nil {
		return s.err
	}
	defer s.session.Close()

	exited := make(chan error, 1)
	go func() { exited <- s.session.Wait() }()
	select {
	case err := <-exited:
		return c.exitError(err, tail)
	case <-ctx.Done():
		s.session.Signal(ssh.SIGKILL)
		s.session.Close()
		return ctx.Err()
	}
}

type startedSession struct {
	session *ssh.Session
	err     error
}

// start opens a session and starts cmd's shell in it.
func (c *Conn) start(cmd Command, tail *tailBuffer) startedSession {
	session, err := c.client.NewSession()
	var refused *ssh.OpenChannelError
	if errors.As(err, &refused) {
		return startedSession{err: fmt.Errorf("%s: opening session: %w", c.label, err)}
	}
	if err != nil { // the connection itself failed
		c.lose(err)
		return startedSession{err: c.broken()}
	}
	c.sessions.Add(1)

	session.Stdout = cmd.Stdout
	session.Stderr = tail
	if cmd.Stderr != nil {
		session.Stderr = cmd.Stderr
	}
	session.Stdin = cmd.Stdin
	var stdin io.Writer
	if cmd.Stdin == nil {
		// Left open until the session ends: its EOF is the watchdog's cue.
		if stdin, err = session.StdinPipe(); err != nil {
			session.Close()
			return startedSession{err: fmt.Errorf("%s: opening stdin: %w", c.label, err)}
		}
	}
	remote := remoteCommand(cmd, c.sudo)
	if err := session.Start(remote); err != nil {
		session.Close()
		return startedSession{err: fmt.Errorf("%s: starting %s: %w", c.label, remote, err)}
	}
	if stdin != nil {
		go io.WriteString(stdin, withWatchdog(cmd.Script)) // fails harmlessly if the session ends first
	}
	return startedSession{session: session}
}

// withWatchdog wraps a script sent to `sh -s` so that:
//   - sh parses all of it before running any of it: a truncated script
//     never half-runs;
//   - the script's commands read /dev/null, not the rest of the script;
//   - when the channel closes before the script ends (ctx cancelled, or the
//     connection dropped), its whole process group is killed. OpenSSH's
//     sshd does not do that itself for sessions without a pty, and it
//     honours signal requests only in some builds.
//
// The watchdog is a background subshell waiting for EOF on stdin, which
// the client keeps open until the session ends; the script runs in a
// subshell so its own `exit` and traps leave the wrapper in charge.
func withWatchdog(script string) string {
	// The script starts on line 1, so sh's messages give its own line numbers.
	return "{ exec 3<&0; " + // a background job's stdin is /dev/null unless redirected
		"(exec >/dev/null 2>&1; while read -r _; do :; done; kill -KILL 0) <&3 & " +
		"shoal_watchdog=$!; ( " + script + "\n) </dev/null 3<&-\n" +
		"shoal_status=$?\n" +
		"kill $shoal_watchdog 2>/dev/null\n" +
		"exit $shoal_status\n" +
		"}\n"
}

// remoteCommand is the command line the node's sshd runs: never the script
// itself unless the caller streams its own stdin.
func remoteCommand(cmd Command, sudo bool) string {
	line := "sh -s"
	if cmd.Stdin != nil {
		line = "sh -c " + shell.Quote(cmd.Script)
	}
	if sudo {
		line = "sudo -n " + line
	}
	return line
}

func (c *Conn) exitError(err error, tail *tailBuffer) error {
	var exit *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exit):
		stderr := strings.TrimSpace(tail.String())
		if c.sudo && strings.HasSuffix(stderr, "sudo: a password is required") {
			stderr += " (shoal runs `sudo -n`: give " + c.user + " passwordless sudo, or connect as root)"
		}
		return &ExitError{Node: c.node, Status: exit.ExitStatus(), Stderr: stderr}
	}
	// No exit status: usually the connection dropped, which watch is
	// about to record.
	select {
	case <-c.done:
		if broken := c.broken(); broken != nil {
			return broken
		}
	case <-time.After(time.Second):
	}
	if errors.As(err, &missing) {
		return fmt.Errorf("%s: session ended without an exit status", c.label)
	}
	return fmt.Errorf("%s: running script: %w", c.label, err)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

var _ io.Writer = (*tailBuffer)(nil)

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.buf) }
