package transport

import (
	"context"
	"io"
	"strconv"
)

// Host runs shell commands on one node. *Conn (SSH) implements it; Local
// runs them on this machine and serves unit tests of steps.
type Host interface {
	// Name is the node's name in the config, used in every message.
	Name() string
	// Run executes cmd.Script with POSIX sh on the node (under `sudo -n`
	// when the node says sudo = true) in a new session, and returns when
	// the script exits or ctx is done (then the session is closed). A
	// non-zero exit status is returned as *ExitError.
	Run(ctx context.Context, cmd Command) error
}

// Command is one script to run in one session.
type Command struct {
	Script string    // POSIX sh; every user-supplied word inside is shell.Quote'd
	Stdin  io.Reader // nil: no input
	Stdout io.Writer // nil: discarded
	Stderr io.Writer // nil: kept for ExitError.Stderr (last 4 KiB)
}

// ExitError is a script that ran and exited non-zero.
type ExitError struct {
	Node   string
	Status int
	Stderr string // tail of stderr when Command.Stderr was nil
}

func (e *ExitError) Error() string {
	msg := e.Node + ": exit status " + strconv.Itoa(e.Status)
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}
