package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// TestApplyNeedsApproval: an apply that cannot ask (--json, or stdin not
// a terminal) refuses without --yes or a saved plan, on stderr with exit
// 1 and before it touches anything, as Terraform does; a prompt never goes
// to stdout, where a CI job's NDJSON or a log is.
func TestApplyNeedsApproval(t *testing.T) {
	dir := siteConfig(t, probeSite)
	stageProbe(t)
	before := hostState(t)

	t.Run("json in a terminal", func(t *testing.T) {
		master, tty := openPTY(t)
		answer(t, master, "yes")
		r := shoalWithStdin(t, tty, "-C", dir, "apply", "--json")
		expectRefusal(t, r, 1, "--yes")
		if strings.Contains(r.stdout, "Apply") {
			t.Errorf("a prompt or its answer reached the NDJSON stream:\n%s", r.stdout)
		}
		for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			if line != "" && !json.Valid([]byte(line)) {
				t.Errorf("stdout holds a line that is not JSON: %q", line)
			}
		}
	})
	t.Run("stdin not a terminal", func(t *testing.T) {
		r := shoalWithStdin(t, nil, "-C", dir, "apply")
		expectRefusal(t, r, 1, "--yes")
		if strings.Contains(r.stdout, "Apply") {
			t.Errorf("a prompt reached stdout:\n%s", r.stdout)
		}
	})
	if diff := cmp.Diff(before, hostState(t)); diff != "" {
		t.Errorf("an apply without approval changed the hosts (-before +after):\n%s", diff)
	}

	t.Run("prompt in a terminal, stdout piped", func(t *testing.T) {
		master, tty := openPTY(t)
		answer(t, master, "no")
		r := shoalWithStdin(t, tty, "-C", dir, "apply")
		if r.code != 0 {
			t.Errorf("declining: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stderr, "Apply these changes?") || !strings.Contains(r.stderr, "cancelled") {
			t.Errorf("the prompt and the cancellation belong on stderr:\n%s", r.stderr)
		}
		if strings.Contains(r.stdout, "Apply these changes?") || strings.Contains(r.stdout, "cancelled") {
			t.Errorf("the prompt reached stdout:\n%s", r.stdout)
		}
		if !strings.Contains(r.stdout, "/var/www/probe/media") {
			t.Errorf("the plan to review belongs on stdout:\n%s", r.stdout)
		}
	})
	if diff := cmp.Diff(before, hostState(t)); diff != "" {
		t.Errorf("a declined apply changed the hosts (-before +after):\n%s", diff)
	}

	t.Run("saved plan is the approval", func(t *testing.T) {
		saved := filepath.Join(t.TempDir(), "probe.plan")
		if r := shoal(t, "-C", dir, "plan", "-out", saved); r.code != 0 {
			t.Fatalf("plan -out: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		r := shoalWithStdin(t, nil, "-C", dir, "apply", "--json", saved)
		if r.code != 0 {
			t.Fatalf("apply --json of a saved plan: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if got := onHost(t, "web1", "readlink /var/www/probe/media"); got != "/mnt/nas/probe/media\n" {
			t.Errorf("the saved plan was not carried out: media links to %q", got)
		}
	})
}

// shoalWithStdin runs shoal like shoal does, reading stdin (nil: /dev/null).
func shoalWithStdin(t *testing.T, stdin *os.File, args ...string) result {
	t.Helper()
	cmd := exec.Command(shoalBin, append([]string{"-F", sshConfig}, args...)...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running shoal %v: %v", args, err)
	}
	return result{code, out.String(), errb.String()}
}

// answer types line into the terminal before anyone asks: a prompt that
// does come reads it at once.
func answer(t *testing.T, master *os.File, line string) {
	t.Helper()
	if _, err := master.WriteString(line + "\n"); err != nil {
		t.Fatal(err)
	}
}

// openPTY opens a pseudo-terminal pair: the slave is a terminal to shoal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlocking the pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("naming the pty: %v", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening the pty: %v", err)
	}
	t.Cleanup(func() { slave.Close() })
	return master, slave
}
