package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Names of what Up creates inside the lab directory; Down removes these
// and nothing else.
const (
	stateFile    = "lab.json"
	identityName = "id_ed25519"
	knownHosts   = "known_hosts"
	sshConfig    = "ssh_config"
	hostsDir     = "hosts" // per host: a scratch mount point and a log
	nasDir       = "nas"   // files' /srv/nas (and, with bind, the web hosts' /mnt/nas)
)

// state is what Up created, written to <dir>/lab.json as it goes, so Down
// can undo a lab that is up, half up, or whose hosts died.
type state struct {
	Dir        string
	Storage    string
	CreatedDir bool   // Up made Dir, so Down removes it when empty
	Net        labNet // valid once Bridge is set
	Bridge     bool   // Up created the bridge of Net
	Hosts      []hostState
}

type hostState struct {
	Name      string
	Addr      string
	Roles     []string
	Plain     bool   // an extra host: no shared storage
	PID       int    // 0 until started
	StartTime uint64 // /proc/<pid>/stat starttime, to tell our process from a reused pid
}

// labHosts are "files", web1..webN and the extra hosts on network n.
func labHosts(n labNet, web int, extra []string) []hostState {
	hosts := []hostState{{Name: "files", Addr: n.files(), Roles: []string{"files"}}}
	for i := 1; i <= web; i++ {
		hosts = append(hosts, hostState{Name: "web" + strconv.Itoa(i), Addr: n.web(i), Roles: []string{"web"}})
	}
	for i, name := range extra {
		hosts = append(hosts, hostState{Name: name, Addr: n.extra(i), Roles: []string{name}, Plain: true})
	}
	return hosts
}

func readState(dir string) (*state, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, err
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("reading lab state %s: %w", filepath.Join(dir, stateFile), err)
	}
	return &st, nil
}

func (st *state) save() error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding lab state: %w", err)
	}
	path := filepath.Join(st.Dir, stateFile)
	if err := os.WriteFile(path+".tmp", data, 0o600); err != nil {
		return fmt.Errorf("writing lab state: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("writing lab state: %w", err)
	}
	return nil
}

func (st *state) path(name string) string { return filepath.Join(st.Dir, name) }

func (st *state) lab() *Lab {
	lab := &Lab{
		Dir:          st.Dir,
		Storage:      st.Storage,
		SSHConfig:    st.path(sshConfig),
		KnownHosts:   st.path(knownHosts),
		IdentityFile: st.path(identityName),
	}
	if st.Bridge {
		lab.Bridge = st.Net.bridge()
	}
	for _, h := range st.Hosts {
		host := Host{Name: h.Name, Addr: h.Addr, Roles: h.Roles, PID: h.PID}
		if st.Bridge {
			host.Link = st.Net.veth(h.Name)
		}
		lab.Hosts = append(lab.Hosts, host)
	}
	return lab
}

// down kills the hosts, deletes their links and the bridge, and removes
// the files Up wrote. It carries on past failures and reports them all.
func (st *state) down() error {
	var errs []error
	for _, h := range st.Hosts {
		if err := h.kill(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, h := range st.Hosts {
		if h.PID == 0 {
			continue // never started, so never plugged in
		}
		if err := deleteLink(st.Net.veth(h.Name)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", h.Name, err))
		}
	}
	if st.Bridge {
		if err := deleteLink(st.Net.bridge()); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...) // keep the state file: down can be retried
	}
	for _, name := range []string{identityName, identityName + ".pub", knownHosts, sshConfig, hostsDir, nasDir, stateFile + ".tmp", stateFile} {
		if err := os.RemoveAll(st.path(name)); err != nil {
			errs = append(errs, fmt.Errorf("removing %s: %w", st.path(name), err))
		}
	}
	if st.CreatedDir && len(errs) == 0 {
		err := os.Remove(st.Dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTEMPTY) { // someone else's files: keep them
			errs = append(errs, fmt.Errorf("removing lab dir: %w", err))
		}
	}
	return errors.Join(errs...)
}

// alive reports whether the host's init still runs (and is not a zombie).
func (h hostState) alive() bool {
	start, zombie, ok := procStart(h.PID)
	return ok && start == h.StartTime && !zombie
}

// kill stops the host's init; the kernel then kills everything in its pid
// namespace and tears down its network and mount namespaces.
func (h hostState) kill() error {
	if h.PID == 0 || !h.alive() {
		return nil
	}
	if err := syscall.Kill(h.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("%s: stopping pid %d: %w", h.Name, h.PID, err)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if !h.alive() {
			return nil
		}
	}
	return fmt.Errorf("%s: pid %d still runs 5s after SIGKILL", h.Name, h.PID)
}

// procStart reads a process's start time (clock ticks after boot) and
// whether it is a zombie, from /proc/<pid>/stat.
func procStart(pid int) (start uint64, zombie, ok bool) {
	if pid <= 0 {
		return 0, false, false
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false, false
	}
	// The command name (field 2) may hold spaces; the rest follows its ')'.
	rest := string(data[strings.LastIndexByte(string(data), ')')+1:])
	fields := strings.Fields(rest) // fields[0] is state (field 3), starttime is field 22
	if len(fields) < 20 {
		return 0, false, false
	}
	start, err = strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return 0, false, false
	}
	return start, fields[0] == "Z", true
}
