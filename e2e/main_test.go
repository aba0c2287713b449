package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var (
	shoalBin  string // built once for the package
	labDir    string
	sshConfig string
	repoRoot  string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "e2e: CI=true but not root: the lab needs root")
			return 1
		}
		fmt.Fprintln(os.Stderr, "e2e: skipped (needs root for the lab)")
		return 0
	}
	wd, _ := os.Getwd()
	repoRoot = filepath.Dir(wd)
	tmp, err := os.MkdirTemp("", "shoal-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	shoalBin = filepath.Join(tmp, "shoal")
	build := exec.Command("go", "build", "-o", shoalBin, "./cmd/shoal")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building shoal: %v\n%s", err, out)
		return 1
	}
	labDir = filepath.Join(tmp, "lab")
	sshConfig = filepath.Join(labDir, "ssh_config")
	up := exec.Command(shoalBin, "lab", "up", "--web", "3", "--host", "db", "--dir", labDir)
	if out, err := up.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: the lab did not start: %v\n%s", err, out)
		_ = exec.Command(shoalBin, "lab", "down", "--dir", labDir).Run()
		return 1
	}
	code := m.Run()
	if out, err := exec.Command(shoalBin, "lab", "down", "--dir", labDir).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: lab down: %v\n%s", err, out)
		return 1
	}
	return code
}

// result is one run of the shoal binary.
type result struct {
	code           int
	stdout, stderr string
}

// shoal runs the binary with the lab's ssh_config, in the repo root.
func shoal(t *testing.T, args ...string) result {
	t.Helper()
	return shoalOn(t, sshConfig, args...)
}

// shoalOn runs the binary with the ssh_config of a lab of its own.
func shoalOn(t *testing.T, sshConfig string, args ...string) result {
	t.Helper()
	cmd := exec.Command(shoalBin, append([]string{"-F", sshConfig}, args...)...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
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

// onHost runs a shell script on a host of the package's lab with the
// system's ssh client.
func onHost(t *testing.T, host, script string) string {
	t.Helper()
	return onLabHost(t, sshConfig, host, script)
}

// onLabHost runs a shell script on a host of the lab whose ssh_config is cfg.
func onLabHost(t *testing.T, cfg, host, script string) string {
	t.Helper()
	return labShell{sshConfig: cfg}.run(t, host, script)
}
