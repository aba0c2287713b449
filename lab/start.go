package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// hostEnv marks a re-executed binary as a lab host (see RunHostIfRequested);
// its value is the host's name. The rest of the host's spec arrives as JSON
// on file descriptor 3, once its network is plugged in.
const hostEnv = "SHOAL_LAB_HOST"

// hostPath is the PATH of a host's setup and of its sshd.
const hostPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// hostSpec is everything a host needs to set itself up.
type hostSpec struct {
	Name          string
	Addr          string
	Roles         []string
	Neighbours    []string // every other address on the bridge
	Scratch       string   // mount point for the tmpfs holding the overlay's upper layer
	HideDirs      []string
	EtcHosts      string
	SSHDConfig    string
	HostKey       keyPair
	AuthorizedKey string
	NAS           string // the lab's shared directory on this machine
	NASMount      string // where NAS is bind-mounted inside ("" for none)
	SSHFS         *sshfsSpec
}

// sshfsSpec says how a web host mounts files:/srv/nas.
type sshfsSpec struct {
	ClientKey  []byte // installed as /root/.ssh/id_ed25519
	KnownHosts string // files' key, installed as /root/.ssh/known_hosts
	Server     string // files' address
	Export     string
	Mount      string
}

// runningHost is a started host process that waits for its spec.
type runningHost struct {
	spec   *os.File // write end of the host's fd 3
	exited <-chan error
	log    string
}

// start creates the lab step by step, recording each step in the state
// file before taking it.
func (st *state) start(ctx context.Context, web int, extra []string, firstNet int) (*Lab, error) {
	if err := st.makeDir(); err != nil {
		return nil, err
	}
	n, err := claimNet(firstNet)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	st.Net, st.Bridge = n, true
	st.Hosts = labHosts(n, web, extra)
	if err := st.save(); err != nil {
		return nil, err
	}
	client, err := newKeyPair("shoal-lab")
	if err != nil {
		return nil, err
	}
	hostKeys := make(map[string]keyPair, len(st.Hosts))
	for _, h := range st.Hosts {
		if hostKeys[h.Name], err = newKeyPair("root@" + h.Name); err != nil {
			return nil, err
		}
	}
	lab := st.lab()
	if err := st.writeClientFiles(lab, client, hostKeys); err != nil {
		return nil, err
	}
	running := make([]runningHost, len(st.Hosts))
	defer func() {
		for _, r := range running {
			if r.spec != nil {
				r.spec.Close() // a host still waiting for its spec then exits
			}
		}
	}()
	for i := range st.Hosts {
		if running[i], err = st.startHost(&st.Hosts[i]); err != nil {
			return nil, err
		}
		if err := st.save(); err != nil {
			return nil, err
		}
	}
	if err := attachHosts(st.Net, st.Hosts); err != nil {
		return nil, err
	}
	for i, h := range st.Hosts {
		spec, err := json.Marshal(st.spec(h, lab, client, hostKeys))
		if err != nil {
			return nil, fmt.Errorf("%s: encoding spec: %w", h.Name, err)
		}
		if _, err := running[i].spec.Write(spec); err != nil {
			return nil, fmt.Errorf("%s: sending spec: %w", h.Name, err)
		}
		running[i].spec.Close()
		running[i].spec = nil
	}
	if err := st.waitReady(ctx, running); err != nil {
		return nil, err
	}
	return st.lab(), nil
}

func (st *state) makeDir() error {
	if _, err := os.Stat(st.Dir); errors.Is(err, os.ErrNotExist) {
		st.CreatedDir = true
	}
	for _, dir := range []string{st.Dir, st.path(hostsDir), st.path(nasDir)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating lab dir: %w", err)
		}
	}
	if st.CreatedDir {
		if err := os.Chmod(st.Dir, 0o700); err != nil { // it holds the lab's private key
			return fmt.Errorf("creating lab dir: %w", err)
		}
	}
	return st.save()
}

func (st *state) writeClientFiles(lab *Lab, client keyPair, hostKeys map[string]keyPair) error {
	var known strings.Builder
	for _, h := range st.Hosts {
		known.WriteString(knownHostsLine(h.Name, h.Addr, hostKeys[h.Name].Public) + "\n")
	}
	files := []struct {
		path    string
		content []byte
		mode    os.FileMode
	}{
		{lab.IdentityFile, client.Private, 0o600},
		{lab.IdentityFile + ".pub", []byte(client.Public + "\n"), 0o644},
		{lab.KnownHosts, []byte(known.String()), 0o644},
		{lab.SSHConfig, []byte(renderSSHConfig(lab.IdentityFile, lab.KnownHosts, lab.Hosts)), 0o644},
	}
	for _, f := range files {
		if err := os.WriteFile(f.path, f.content, f.mode); err != nil {
			return fmt.Errorf("writing %s: %w", f.path, err)
		}
	}
	return nil
}

func (st *state) spec(h hostState, lab *Lab, client keyPair, hostKeys map[string]keyPair) hostSpec {
	s := hostSpec{
		Name:          h.Name,
		Addr:          h.Addr,
		Roles:         h.Roles,
		Neighbours:    st.neighbours(h.Addr),
		Scratch:       filepath.Join(st.path(hostsDir), h.Name),
		HideDirs:      []string{"/root", "/home", "/work", st.Dir},
		EtcHosts:      renderEtcHosts(st.Net.gateway(), lab.Hosts),
		SSHDConfig:    renderSSHDConfig(h.Addr),
		HostKey:       hostKeys[h.Name],
		AuthorizedKey: client.Public,
		NAS:           st.path(nasDir),
	}
	switch {
	case h.Plain:
	case h.Name == "files":
		s.NASMount = "/srv/nas"
	case st.Storage == StorageBind:
		s.NASMount = "/mnt/nas"
	default:
		s.SSHFS = &sshfsSpec{
			ClientKey:  client.Private,
			KnownHosts: knownHostsLine("files", st.Net.files(), hostKeys["files"].Public) + "\n",
			Server:     st.Net.files(),
			Export:     "/srv/nas",
			Mount:      "/mnt/nas",
		}
	}
	return s
}

func (st *state) neighbours(self string) []string {
	addrs := []string{st.Net.gateway()}
	for _, h := range st.Hosts {
		if h.Addr != self {
			addrs = append(addrs, h.Addr)
		}
	}
	return addrs
}

// startHost re-executes this binary as the host's init in new namespaces.
// The host blocks until its spec is sent, so the parent can plug its
// network in first.
func (st *state) startHost(h *hostState) (runningHost, error) {
	logPath := filepath.Join(st.path(hostsDir), h.Name+".log")
	if err := os.MkdirAll(filepath.Join(st.path(hostsDir), h.Name), 0o700); err != nil {
		return runningHost{}, fmt.Errorf("%s: creating scratch dir: %w", h.Name, err)
	}
	log, err := os.Create(logPath)
	if err != nil {
		return runningHost{}, fmt.Errorf("%s: creating log: %w", h.Name, err)
	}
	defer log.Close()
	specR, specW, err := os.Pipe()
	if err != nil {
		return runningHost{}, fmt.Errorf("%s: pipe: %w", h.Name, err)
	}
	defer specR.Close()
	cmd := exec.Command("/proc/self/exe")
	cmd.Args = []string{"shoal-lab-" + h.Name}
	cmd.Env = []string{hostEnv + "=" + h.Name, hostPath}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.ExtraFiles = []*os.File{specR}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setsid:     true, // a Ctrl-C at the terminal that ran `lab up` must not reach the hosts
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWNET,
	}
	if err := cmd.Start(); err != nil {
		specW.Close()
		return runningHost{}, fmt.Errorf("%s: starting host process: %w", h.Name, err)
	}
	h.PID = cmd.Process.Pid
	h.StartTime, _, _ = procStart(h.PID)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // reaps the host when this process outlives it
	return runningHost{spec: specW, exited: exited, log: logPath}, nil
}
