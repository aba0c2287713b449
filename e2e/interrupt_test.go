package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestInterruptedApplyConverges kills shoal (SIGKILL: no cleanup at all, as
// when the operator's laptop dies) while it relocates user data, then
// checks that the next apply finishes the job and no byte is lost.
func TestInterruptedApplyConverges(t *testing.T) {
	const root = "/var/www/interrupted"
	cfgDir := t.TempDir()
	fixture, err := os.ReadFile(filepath.Join(repoRoot, "fixtures", "dolphin", "cluster.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(fixture), `site "community"`, `site "interrupted"`, 1)
	cfg = strings.Replace(cfg, `root    = "/var/www/dolphin"`, `root    = "`+root+`"`, 1)
	if cfg == string(fixture) || !strings.Contains(cfg, root) {
		t.Fatal("could not derive the test config from the fixture")
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "cluster.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	stage, err := os.ReadFile(filepath.Join(repoRoot, "fixtures", "dolphin", "stage.sh"))
	if err != nil {
		t.Fatal(err)
	}
	onHost(t, "web1", "set -- "+root+"\n"+string(stage))
	site := loadFixture(t)
	before := userDataAt(t, "web1", root, site)

	cmd := exec.Command(shoalBin, "-F", sshConfig, "-C", cfgDir, "apply", "--yes", "--json")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		// the first sign that user data is on the move: kill right there
		if strings.Contains(line, `"id":"web1/relocate/`) && (strings.Contains(line, `"type":"progress"`) || strings.Contains(line, `"type":"step_done"`)) {
			_ = cmd.Process.Kill()
			killed = true
			break
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatal("the apply ended before any relocation was under way")
	}
	time.Sleep(200 * time.Millisecond) // let sshd reap the killed sessions

	locked := shoal(t, "-C", cfgDir, "apply", "--yes")
	if locked.code != 3 || !strings.Contains(locked.stderr, "--force-unlock") {
		t.Fatalf("after a killed apply the lock must be reported (exit 3): exit %d\n%s\n%s", locked.code, locked.stdout, locked.stderr)
	}
	resumed := shoal(t, "-C", cfgDir, "apply", "--yes", "--force-unlock")
	if resumed.code != 0 {
		t.Fatalf("resumed apply: exit %d\n%s\n%s", resumed.code, resumed.stdout, resumed.stderr)
	}
	for _, h := range webHosts {
		if got := userDataAt(t, h, root, site); got != before {
			t.Errorf("%s: user data after the interrupted and resumed apply differs from before", h)
		}
	}
	if again := shoal(t, "-C", cfgDir, "plan", "--detailed-exitcode"); again.code != 0 {
		t.Errorf("plan after the resumed apply: exit %d\n%s", again.code, again.stdout)
	}
}
