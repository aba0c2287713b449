package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

// Mount makes sure a mount point is mounted from the expected source,
// mounting it from fstab when it is not. It never mounts over a folder
// that holds files (they would be hidden), and for storage someone else
// mounts (VerifyOnly) it only checks.
type Mount struct {
	NodeName     string
	MountPoint   string
	Type         string // storage type: nfs, sshfs, cifs, mounted
	ExpectSource string // "10.0.0.1:/srv/nas"; empty accepts any source
	VerifyOnly   bool   // storage type "mounted"
	Fstab        string // the fstab `mount` reads; DefaultFstab when empty
	// Login, for sshfs, is the SSH login the mount will make to the
	// storage server (node Server): tried by the plan while the mount
	// point is not mounted, so a missing host key or refused key is named
	// with its fix instead of failing the mount with "Connection reset".
	Login  *facts.SSHLogin
	Server string
	// KeyFile is an IdentityFile a Credentials step writes earlier in the
	// same apply, with content of SHA-256 KeySum: until it holds that, a
	// missing or refused key at plan time is no problem yet (apply checks
	// the login again before mounting).
	KeyFile, KeySum string
	// Storage names the storage block, for messages; MoveAside is its
	// mount_over = "move_aside": a mount point that holds local files is
	// renamed to <mount point>.shoal-local (kept, never deleted) and the
	// storage mounted in its place, instead of refusing.
	Storage   string
	MoveAside bool
}

var (
	_ Step    = (*Mount)(nil)
	_ Applier = (*Mount)(nil)
)

func (m *Mount) ID() string   { return changeID(m.NodeName, m.Kind(), m.MountPoint) }
func (m *Mount) Kind() string { return "mount" }
func (m *Mount) Node() string { return m.NodeName }

func (m *Mount) Facts() []NodeFact {
	fs := []NodeFact{
		{Node: m.NodeName, Fact: facts.MountTable{}},
		{Node: m.NodeName, Fact: facts.File{Path: m.MountPoint}},
	}
	if m.Login != nil {
		fs = append(fs, NodeFact{Node: m.NodeName, Fact: *m.Login})
	}
	if m.KeyFile != "" {
		fs = append(fs, NodeFact{Node: m.NodeName, Fact: facts.FileSum{Path: m.KeyFile}})
	}
	return fs
}

func (m *Mount) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	c := &plan.Change{ID: m.ID(), Node: m.NodeName, Kind: m.Kind(), Target: m.MountPoint}
	mi, err := facts.Mount(ctx, src, m.NodeName, m.MountPoint)
	if err != nil {
		return nil, err
	}
	if mi.Mounted {
		if !m.sourceMatches(mi.Source) {
			c.Action, c.Reason = plan.Conflict, fmt.Sprintf("%s is mounted from %s, not %s", m.MountPoint, mi.Source, m.ExpectSource)
			return c, nil
		}
		c.Action, c.Reason = plan.NoOp, fmt.Sprintf("%s is mounted from %s", m.MountPoint, mi.Source)
		return c, nil
	}
	if m.VerifyOnly {
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("%s is not mounted (storage type mounted: shoal only verifies)", m.MountPoint)
		return c, nil
	}
	at, err := facts.ReadFile(ctx, src, m.NodeName, m.MountPoint)
	if err != nil {
		return nil, err
	}
	switch {
	case at.Exists && !at.IsDir:
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("%s is a file, not a folder to mount on", m.MountPoint)
	case at.Exists && !at.DirEmpty:
		if c, err = m.diffLocalFiles(ctx, src, c); err != nil {
			return nil, err
		}
	default:
		c.Action, c.Summary = plan.Create, "mount "+m.MountPoint
	}
	// a mount to make (after moving local files aside, maybe) that could
	// not log in is refused before anything moves
	if (c.Action == plan.Create || c.Action == plan.Update) && m.Login != nil {
		login, err := facts.ReadSSHLogin(ctx, src, m.NodeName, *m.Login)
		if err != nil {
			return nil, err
		}
		keyPending := false
		if m.KeyFile != "" {
			key, err := facts.ReadFileSum(ctx, src, m.NodeName, m.KeyFile)
			if err != nil {
				return nil, err
			}
			keyPending = key.Kind != "file" || key.SHA256 != m.KeySum
		}
		if why := m.loginProblem(login, keyPending); why != "" {
			c.Action, c.Summary, c.Reason, c.Total = plan.Conflict, "", why, plan.Progress{}
		}
	}
	return c, nil
}

func (m *Mount) sourceMatches(source string) bool {
	return m.ExpectSource == "" || strings.TrimRight(source, "/") == strings.TrimRight(m.ExpectSource, "/")
}

// Apply creates the mount point, mounts it from fstab if it is still
// empty, and checks the mount table afterwards.
func (m *Mount) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	if m.Login != nil { // the key may be new since the plan: a failed login is named, not "Connection reset"
		login, err := facts.ReadSSHLogin(ctx, facts.NewSet(map[string]transport.Host{h.Name(): h}), h.Name(), *m.Login)
		if err != nil {
			return err
		}
		if why := m.loginProblem(login, false); why != "" {
			return errors.New(why)
		}
	}
	if err := h.Run(ctx, transport.Command{Script: m.Script()}); err != nil {
		return fmt.Errorf("mounting %s on %s: %w", m.MountPoint, h.Name(), err)
	}
	mi, err := facts.Mount(ctx, facts.NewSet(map[string]transport.Host{h.Name(): h}), h.Name(), m.MountPoint)
	if err != nil {
		return fmt.Errorf("checking the mount of %s on %s: %w", m.MountPoint, h.Name(), err)
	}
	if !mi.Mounted || !m.sourceMatches(mi.Source) {
		return fmt.Errorf("mounting %s on %s: mount succeeded but the mount table shows %+v", m.MountPoint, h.Name(), mi)
	}
	r.Output(fmt.Sprintf("mounted %s from %s", m.MountPoint, mi.Source))
	return nil
}
