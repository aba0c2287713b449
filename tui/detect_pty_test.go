//go:build linux

package tui

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair, so UseTUI can be shown a terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlocking the pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("naming the pty: %v", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("opening the pty: %v", err)
	}
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

func TestUseTUIOnATerminal(t *testing.T) {
	_, tty := openPTY(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, tt := range []struct {
		name          string
		ci            string
		stdin, stdout *os.File
		yes           bool
		want          bool
	}{
		{"terminal", "", tty, tty, false, true},
		{"CI=false", "false", tty, tty, false, true},
		{"--yes", "", tty, tty, true, false},
		{"CI=true", "true", tty, tty, false, false},
		{"stdout piped", "", tty, w, false, false},
		{"stdin piped", "", r, tty, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			if got := UseTUI(tt.stdin, tt.stdout, tt.yes); got != tt.want {
				t.Errorf("UseTUI = %v, want %v", got, tt.want)
			}
		})
	}
}
