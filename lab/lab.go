package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// DefaultDir is where a lab lives when Options.Dir is empty.
const DefaultDir = "/run/shoal-lab"

// Storage modes: how /srv/nas on "files" reaches /mnt/nas on the web hosts.
const (
	StorageSSHFS = "sshfs" // web hosts mount files:/srv/nas with sshfs
	StorageBind  = "bind"  // one directory under Dir bind-mounted everywhere
)

// Options say what lab to start.
type Options struct {
	Dir     string // default DefaultDir
	Web     int    // number of web hosts, default 3
	Storage string // StorageSSHFS (default) or StorageBind
	// Extra names more hosts ("dns", "db", "backup"): plain hosts with
	// real sshd, each with a role of its name and no shared storage.
	Extra []string

	// firstNet is the first lab network tried. This package's tests start
	// high, so a lab that other tests start at the same time still gets
	// network 0, the addresses fixtures name (10.77.0.5, 10.77.0.11...).
	firstNet int
}

// Host is one running lab host.
type Host struct {
	Name  string
	Addr  string // IPv4 address on the lab bridge
	Roles []string
	PID   int // the host's init (sshd) as seen from this machine
	// Link is the host's end of its veth on this machine, in the lab's
	// bridge: `ip link set <Link> down` cuts the host off the network.
	Link string
}

// Lab is a running lab and the files a client uses to reach it.
type Lab struct {
	Dir          string
	Hosts        []Host
	Storage      string
	Bridge       string // the lab's network bridge on this machine
	SSHConfig    string // ssh -F this
	KnownHosts   string
	IdentityFile string
}

// HostStatus says whether one host's process runs and its sshd answers.
type HostStatus struct {
	Host    Host
	Running bool
	SSH     bool
	Err     string // why SSH did not answer, when it did not
}

var (
	extraName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,9}$`)
	webName   = regexp.MustCompile(`^web[0-9]+$`)
)

// readyTimeout bounds how long Up waits for every host to answer SSH.
const readyTimeout = 20 * time.Second

func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		o.Dir = DefaultDir
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return o, fmt.Errorf("lab dir %s: %w", o.Dir, err)
	}
	o.Dir = dir
	if o.Web == 0 {
		o.Web = 3
	}
	if o.Web < 1 || o.Web > maxWeb {
		return o, fmt.Errorf("lab: --web must be between 1 and %d, got %d", maxWeb, o.Web)
	}
	seen := map[string]bool{}
	for _, name := range o.Extra {
		if !extraName.MatchString(name) || name == "files" || webName.MatchString(name) || seen[name] {
			return o, fmt.Errorf("lab: extra host %q: want a new name of 1-10 lower-case letters, digits and '-' (not files or webN)", name)
		}
		seen[name] = true
	}
	if len(o.Extra) > maxExtra {
		return o, fmt.Errorf("lab: at most %d extra hosts, got %d", maxExtra, len(o.Extra))
	}
	switch o.Storage {
	case "":
		o.Storage = StorageSSHFS
	case StorageSSHFS, StorageBind:
	default:
		return o, fmt.Errorf("lab: storage must be %q or %q, got %q", StorageSSHFS, StorageBind, o.Storage)
	}
	return o, nil
}

// Up starts a lab in o.Dir and returns once every host accepts SSH. It
// refuses if a lab is already up there. If anything fails, whatever was
// started is torn down again before the error is returned.
func Up(ctx context.Context, o Options) (*Lab, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("lab: needs root (network namespaces, mounts)")
	}
	if _, err := readState(o.Dir); err == nil {
		return nil, fmt.Errorf("lab: a lab is already up in %s (run `shoal lab down --dir %s` first)", o.Dir, o.Dir)
	}
	st := &state{Dir: o.Dir, Storage: o.Storage}
	lab, err := st.start(ctx, o.Web, o.Extra, o.firstNet)
	if err != nil {
		if downErr := st.down(); downErr != nil {
			err = errors.Join(err, fmt.Errorf("cleaning up after the failed start: %w", downErr))
		}
		return nil, err
	}
	return lab, nil
}

// Down stops the lab in dir and removes everything Up created, as listed in
// its state file, and nothing else. It works when the hosts already died and
// does nothing when no lab is up there.
func Down(dir string) error {
	if dir == "" {
		dir = DefaultDir
	}
	st, err := readState(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return st.down()
}

// Status reports the lab in dir and, for each host, whether it runs and
// answers SSH.
func Status(dir string) (*Lab, []HostStatus, error) {
	if dir == "" {
		dir = DefaultDir
	}
	st, err := readState(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("lab: no lab is up in %s", dir)
	}
	if err != nil {
		return nil, nil, err
	}
	lab := st.lab()
	statuses := make([]HostStatus, len(st.Hosts))
	done := make(chan struct{})
	for i, h := range st.Hosts {
		go func() {
			defer func() { done <- struct{}{} }()
			s := HostStatus{Host: lab.Hosts[i], Running: h.alive()}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if err := readBanner(ctx, h.Addr); err != nil {
				s.Err = err.Error()
			} else {
				s.SSH = true
			}
			statuses[i] = s
		}()
	}
	for range st.Hosts {
		<-done
	}
	return lab, statuses, nil
}
