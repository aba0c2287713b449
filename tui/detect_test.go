package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// openTTYs lists this process's descriptors that point at a terminal
// device, so a test can prove nothing opened /dev/tty.
func openTTYs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	var ttys []string
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && (target == "/dev/tty" || strings.HasPrefix(target, "/dev/pts/")) {
			ttys = append(ttys, e.Name()+"→"+target)
		}
	}
	return ttys
}

func TestUseTUIIsFalseForNonTerminals(t *testing.T) {
	t.Setenv("CI", "")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()

	before := openTTYs(t)
	for _, tt := range []struct {
		name          string
		stdin, stdout *os.File
	}{
		{"pipes", r, w},
		{"file output", r, file},
		{"file input", file, w},
		{"nil", nil, nil},
	} {
		if UseTUI(tt.stdin, tt.stdout, false) {
			t.Errorf("%s: UseTUI = true, want false", tt.name)
		}
	}
	if after := openTTYs(t); len(after) > len(before) {
		t.Errorf("UseTUI opened a terminal: before %v, after %v", before, after)
	}
}

func TestInCI(t *testing.T) {
	for value, want := range map[string]bool{"": false, "false": false, "0": false, "true": true, "1": true, "woodpecker": true} {
		t.Setenv("CI", value)
		if got := inCI(); got != want {
			t.Errorf("CI=%q: inCI = %v, want %v", value, got, want)
		}
	}
}
