package transport

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
)

// Local is a Host that runs scripts with this machine's sh. Step tests use
// it against temporary directories.
type Local struct {
	NodeName string
}

var _ Host = (*Local)(nil)

// Name returns the node name the Local host stands for.
func (l *Local) Name() string { return l.NodeName }

// Run executes cmd with `sh -c`.
func (l *Local) Run(ctx context.Context, cmd Command) error {
	c := exec.CommandContext(ctx, "sh", "-c", cmd.Script)
	c.Stdin = cmd.Stdin
	c.Stdout = cmd.Stdout
	var tail bytes.Buffer
	if cmd.Stderr != nil {
		c.Stderr = cmd.Stderr
	} else {
		c.Stderr = &tail
	}
	err := c.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return &ExitError{Node: l.NodeName, Status: exit.ExitCode(), Stderr: lastBytes(tail.String(), 4096)}
	}
	return err
}

func lastBytes(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}
