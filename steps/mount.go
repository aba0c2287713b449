package steps

import (
	"context"
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
	return []NodeFact{
		{Node: m.NodeName, Fact: facts.MountTable{}},
		{Node: m.NodeName, Fact: facts.File{Path: m.MountPoint}},
	}
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
		return m.diffLocalFiles(ctx, src, c)
	default:
		c.Action, c.Summary = plan.Create, "mount "+m.MountPoint
	}
	return c, nil
}

func (m *Mount) sourceMatches(source string) bool {
	return m.ExpectSource == "" || strings.TrimRight(source, "/") == strings.TrimRight(m.ExpectSource, "/")
}

// Apply creates the mount point, mounts it from fstab if it is still
// empty, and checks the mount table afterwards.
func (m *Mount) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
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
