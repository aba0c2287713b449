package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// RunHostIfRequested turns this process into a lab host when it was started
// as one by Up (the SHOAL_LAB_HOST marker is set): it sets the host up and
// execs sshd, never returning. On failure it prints "<host>: <step>: <error>"
// to the host's log and exits 1. Otherwise it returns at once. main calls it
// first thing, and so does TestMain in tests that start a lab.
func RunHostIfRequested() {
	name := os.Getenv(hostEnv)
	if name == "" {
		return
	}
	fmt.Fprintln(os.Stderr, runHost(name))
	os.Exit(1)
}

// hostStep is one stage of turning the process into a host.
type hostStep struct {
	name string
	run  func(hostSpec) error
}

var hostSteps = []hostStep{
	{"network", configureNetwork},
	{"hostname", func(s hostSpec) error { return syscall.Sethostname([]byte(s.Name)) }},
	{"root filesystem", mountRoot},
	{"system mounts", mountSystem},
	{"pivot_root", pivotRoot},
	{"sshfs", mountSSHFS},
}

// runHost only returns on failure.
func runHost(name string) error {
	spec, err := readSpec()
	if err != nil {
		return fmt.Errorf("%s: reading spec: %w", name, err)
	}
	syscall.Umask(0o022)
	for _, step := range hostSteps {
		if err := step.run(spec); err != nil {
			return fmt.Errorf("%s: %s: %w", name, step.name, err)
		}
	}
	env := []string{hostPath, "LANG=C.UTF-8"}
	err = syscall.Exec("/usr/sbin/sshd", []string{"/usr/sbin/sshd", "-D", "-e"}, env)
	return fmt.Errorf("%s: exec sshd: %w", name, err)
}

// readSpec blocks until Up has plugged the network in and sent the spec.
func readSpec() (hostSpec, error) {
	f := os.NewFile(3, "spec")
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return hostSpec{}, err
	}
	if len(data) == 0 {
		return hostSpec{}, fmt.Errorf("no spec: the lab was stopped while starting")
	}
	var spec hostSpec
	return spec, json.Unmarshal(data, &spec)
}

// configureNetwork brings up lo and eth0 (already moved in by Up), with
// the MAC of every lab address known in advance.
func configureNetwork(s hostSpec) error {
	lines := []string{
		"link set lo up",
		"addr add " + s.Addr + "/24 dev eth0",
		"link set eth0 up",
	}
	return ipBatch(append(lines, staticNeighbours("eth0", s.Neighbours)...)...)
}

// pivotRoot makes the overlay the root and drops the machine's root.
func pivotRoot(s hostSpec) error {
	if err := os.Chdir(mergedDir(s)); err != nil {
		return err
	}
	if err := syscall.PivotRoot(".", "."); err != nil {
		return err
	}
	if err := syscall.Unmount(".", syscall.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the old root: %w", err)
	}
	return os.Chdir("/")
}

// mountSSHFS mounts files:/srv/nas on a web host once files answers SSH.
// It names the server "files" (in every host's /etc/hosts), so the mount's
// source reads root@files:/srv/nas whichever network the lab got, as the
// fixture's storage (address = "files") expects.
func mountSSHFS(s hostSpec) error {
	if s.SSHFS == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if err := readBanner(ctx, s.SSHFS.Server); err != nil {
		return fmt.Errorf("waiting for files: %w", err)
	}
	cmd := exec.CommandContext(ctx, "sshfs",
		"-o", "allow_other,reconnect,ServerAliveInterval=15,BatchMode=yes,StrictHostKeyChecking=yes",
		"-o", "IdentityFile=/root/.ssh/id_ed25519,UserKnownHostsFile=/root/.ssh/known_hosts",
		"root@files:"+s.SSHFS.Export, s.SSHFS.Mount)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
