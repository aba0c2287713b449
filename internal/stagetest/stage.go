package stagetest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Stage runs the fixture's stage.sh with args as the lab does (see
// runStage) and fails t, showing its output, unless it exits 0: the tree
// it builds is what the test goes on to check.
func Stage(t *testing.T, args ...string) {
	t.Helper()
	if code, out := runStage(t, args...); code != 0 {
		t.Fatalf("stage.sh exited %d:\n%s", code, out)
	}
}

// runStage runs the stage.sh in the test's working folder (the fixture's
// own) the way the lab does, as `sh -s -- ARGS` with the script on stdin,
// and returns its exit code and its output, stdout and stderr together.
// It fails t if the script cannot be read or sh cannot be run.
func runStage(t *testing.T, args ...string) (int, string) {
	t.Helper()
	script, err := os.Open("stage.sh")
	if err != nil {
		t.Fatal(err)
	}
	defer script.Close()
	cmd := exec.Command("sh", append([]string{"-s", "--"}, args...)...)
	var out bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = script, &out, &out
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String()
	}
	t.Fatalf("running stage.sh: %v", err)
	return -1, ""
}

// CheckRefusesExistingRoot makes a root that already holds a file, runs
// stage.sh with that root followed by extra, and fails t unless it exits
// 3 and leaves the file in place: a second run must not wipe a tree
// unless told to. It returns the root, for usage errors that name it.
func CheckRefusesExistingRoot(t *testing.T, extra ...string) (root string) {
	t.Helper()
	root = t.TempDir()
	keep := filepath.Join(root, "keep.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := runStage(t, append([]string{root}, extra...)...); code != 3 {
		t.Errorf("stage.sh into an existing root exited %d, want 3:\n%s", code, out)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("stage.sh touched an existing root: %v", err)
	}
	return root
}

// CheckUsageErrors runs stage.sh with each of the argument lists and
// fails t for each run that does not exit 2, stage.sh's usage error.
func CheckUsageErrors(t *testing.T, argLists ...[]string) {
	t.Helper()
	for _, args := range argLists {
		if code, out := runStage(t, args...); code != 2 {
			t.Errorf("stage.sh %v exited %d, want 2 (usage):\n%s", args, code, out)
		}
	}
}
