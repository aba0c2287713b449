package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shoal-sh/shoal/shell"
)

// tmuxSession runs one command in a detached tmux session on a private
// server, so the test drives a real terminal the way an operator does.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func startTmux(t *testing.T, width, height int, command string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed: scripts/test.sh installs it")
		}
		t.Skip("tmux is not installed")
	}
	s := &tmuxSession{t: t, socket: fmt.Sprintf("shoal-e2e-%d", os.Getpid())}
	s.run("new-session", "-d", "-s", "apply", "-x", fmt.Sprint(width), "-y", fmt.Sprint(height), command)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	return s
}

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// screen is the visible pane plus its scrollback.
func (s *tmuxSession) screen() string {
	return s.run("capture-pane", "-p", "-J", "-S", "-500", "-t", "apply")
}

// waitFor polls the pane until it shows want; it fails when the deadline
// passes or shoal exits first.
func (s *tmuxSession) waitFor(want string, within time.Duration) string {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		screen := s.screen()
		if strings.Contains(screen, want) {
			return screen
		}
		if strings.Contains(screen, "EXIT=") || time.Now().After(deadline) {
			s.t.Fatalf("the screen never showed %q within %v:\n%s", want, within, screen)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestApplyInTerminal runs `shoal apply` with no --yes in a terminal: the
// plan review comes up, y applies, and every web node ends done.
func TestApplyInTerminal(t *testing.T) {
	site := loadFixture(t)
	if strings.TrimSpace(onHost(t, "web1", "test -d "+shell.Quote(siteRoot)+" && echo staged || true")) != "staged" {
		stage, err := os.ReadFile(filepath.Join(repoRoot, "fixtures", "dolphin", "stage.sh"))
		if err != nil {
			t.Fatal(err)
		}
		onHost(t, "web1", "set -- "+siteRoot+"\n"+string(stage))
	}
	if len(site.BlocksOf("cache_dir")) == 0 {
		t.Fatal("the fixture site declares no cache dirs to dirty")
	}
	// Whatever ran before, a stale cache file gives every web node work.
	cache := shell.Quote(filepath.Join(siteRoot, site.BlocksOf("cache_dir")[0].Label))
	for _, h := range webHosts {
		onHost(t, h, "mkdir -p "+cache+" && echo stale > "+cache+"/shoal-e2e-tui")
	}

	command := fmt.Sprintf("cd %s && env -u CI NO_COLOR=1 %s -F %s -C fixtures/dolphin apply; echo EXIT=$?; sleep 600",
		shell.Quote(repoRoot), shell.Quote(shoalBin), shell.Quote(sshConfig))
	tm := startTmux(t, 120, 40, "sh -c "+shell.Quote(command))

	review := tm.waitFor("Apply these changes?", time.Minute)
	t.Logf("plan review:\n%s", review)
	tm.run("send-keys", "-t", "apply", "y")
	final := tm.waitFor("EXIT=", 3*time.Minute)
	t.Logf("finished apply:\n%s", final)

	if !strings.Contains(final, "EXIT=0") || !strings.Contains(final, "Apply complete:") {
		t.Errorf("apply did not complete with exit 0")
	}
	for _, h := range webHosts {
		if !regexp.MustCompile(`✓ ` + h + `\s+done`).MatchString(final) {
			t.Errorf("%s did not reach done", h)
		}
	}
	if strings.Contains(final, "✗") {
		t.Errorf("a step failed")
	}
}
