package lab

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// readBanner connects to addr:22 and reads the SSH identification line,
// retrying until it succeeds or ctx is done.
func readBanner(ctx context.Context, addr string) error {
	var last error
	for {
		if last = tryBanner(ctx, addr); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no SSH banner from %s:22: %w", addr, last)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func tryBanner(ctx context.Context, addr string) error {
	// A SYN sent before the host's eth0 is up is lost, and TCP would resend
	// it only after a second; dialling again soon is much faster.
	d := net.Dialer{Timeout: 25 * time.Millisecond}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(addr, "22"))
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline := time.Now().Add(2 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "SSH-") {
		return fmt.Errorf("not an SSH banner: %q", line)
	}
	return nil
}

// waitReady waits until every host answers SSH, failing as soon as one
// host's process exits (with the end of its log) or readyTimeout passes.
func (st *state) waitReady(ctx context.Context, running []runningHost) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	errs := make(chan error, len(st.Hosts))
	for i, h := range st.Hosts {
		go func() {
			ready := make(chan error, 1)
			go func() { ready <- readBanner(ctx, h.Addr) }()
			select {
			case err := <-ready:
				if err != nil {
					err = fmt.Errorf("%s: waiting for sshd: %w (log: %s)", h.Name, err, logTail(running[i].log))
				}
				errs <- err
			case err := <-running[i].exited:
				errs <- fmt.Errorf("%s: host exited (%v): %s", h.Name, err, logTail(running[i].log))
			}
		}()
	}
	var first error
	for range st.Hosts {
		if err := <-errs; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// logTail returns the last lines of a host's log for an error message.
func logTail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "no log: " + err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}
