package tui

import (
	"os"
	"strings"

	"golang.org/x/term"
)

// UseTUI reports whether the interactive UI should run: stdin and stdout
// are both terminals, the operator did not pass --yes, and CI is unset or
// false. It looks only at the files it is given and never opens /dev/tty.
func UseTUI(stdin, stdout *os.File, yes bool) bool {
	if yes || inCI() || stdin == nil || stdout == nil {
		return false
	}
	return term.IsTerminal(int(stdin.Fd())) && term.IsTerminal(int(stdout.Fd()))
}

// inCI follows the CI variable most CI systems set: anything but empty,
// "0" or "false" means a CI run.
func inCI() bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv("CI"))) {
	case "", "0", "false":
		return false
	}
	return true
}
