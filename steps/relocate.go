package steps

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

// Relocate makes Root/Dir (L) a symlink to Shared (S), a directory on the
// live storage mounted at Mount, moving L's data there first. It never
// writes into an unmounted mount point, never overwrites or deletes data
// it has not verified to be on the storage, and recognises every state an
// interrupted move leaves behind (L.shoal-old, S.shoal-partial).
//
// It never works through a symlink: not a root that is one (unless
// FollowRootLink), not a folder on the way to L. Symlinks in L move as
// links, nothing set on them, and only when their target stays below
// them (relative, no ".."); a folder holding others is refused, each one
// named, since they may lead out of it and sshfs cannot read them back.
// Data that cannot fit in the storage's free space is refused too.
type Relocate struct {
	NodeName string
	Site     string
	Root     string // absolute site root
	Dir      string // relative to Root
	Shared   string // absolute: <mount>/<site>/<shared>
	Mount    string // storage mount point
	// MountCheck is what the mount must be: a prefix of its FSType
	// ("fuse.sshfs", "nfs") or of its Source ("10.77.0.5:/srv/nas");
	// "" accepts any mount.
	MountCheck string
	// MountPlanned says an earlier change of the same apply mounts the
	// storage: Diff then plans as if it were mounted; Apply still checks.
	MountPlanned bool
	// Replica is a node that links to a folder the primary moves: the
	// storage is shared, so a S.shoal-partial there is the primary's move
	// under way, not this node's to finish.
	Replica bool
	// Merge is on_conflict = "merge": when L and S both hold data, copy
	// what S lacks, overwrite nothing, keep differing files aside.
	Merge bool
	// ForceCopy copies and verifies even when a rename would do.
	ForceCopy bool
	// FollowRootLink works through a Root that is a symlink.
	FollowRootLink bool
	// StorageHere says this node serves the storage in place (its export
	// is the mount point): Mount is a local folder here, not a mount.
	StorageHere bool
	// Observe reads the node at apply time; nil reads it through the
	// host. Tests substitute the mount table.
	Observe func(transport.Host) facts.Source
}

var (
	_ Step     = (*Relocate)(nil)
	_ Scripter = (*Relocate)(nil)
)

func (s *Relocate) Kind() string { return "relocate" }
func (s *Relocate) Node() string { return s.NodeName }
func (s *Relocate) ID() string   { return changeID(s.NodeName, s.Kind(), s.local()) }

func (s *Relocate) local() string   { return path.Join(s.Root, s.Dir) }
func (s *Relocate) old() string     { return s.local() + ".shoal-old" }
func (s *Relocate) partial() string { return s.Shared + ".shoal-partial" }

func (s *Relocate) Facts() []NodeFact {
	fs := []NodeFact{{s.NodeName, facts.MountTable{}}}
	for _, p := range s.paths() {
		fs = append(fs, NodeFact{s.NodeName, p})
	}
	if !s.Replica {
		fs = append(fs, NodeFact{s.NodeName, s.freeSpace()})
	}
	return fs
}

// freeSpace is the room left where S goes, measured while L is a folder.
// A replica, which has nothing to move as a rule, asks for it only when
// it has.
func (s *Relocate) freeSpace() facts.FreeSpace {
	return facts.FreeSpace{Path: path.Dir(s.Shared), For: s.local()}
}

// paths are L, S, L.shoal-old, S.shoal-partial, S's parent and the mount
// point, in the order relocateFacts reads them. Only L, on the node's own
// disk, is walked for its size; the storage never is, until a conflict
// needs S's size for its message.
func (s *Relocate) paths() []facts.Path {
	return []facts.Path{
		{Path: s.local()},
		{Path: s.Shared, Shallow: true}, {Path: s.old(), Shallow: true}, {Path: s.partial(), Shallow: true},
		{Path: path.Dir(s.Shared), Shallow: true}, {Path: s.Mount, Shallow: true},
	}
}

// relocateFacts is what Relocate knows of its node.
type relocateFacts struct {
	local, shared, old, partial, sharedParent, mountRoot facts.PathInfo
	mount                                                facts.MountInfo
	sharedFull                                           facts.PathInfo // S measured: only for a conflict's message
	free                                                 int64          // bytes free where S goes; -1 unknown
}

func (s *Relocate) read(ctx context.Context, src facts.Source) (relocateFacts, error) {
	var f relocateFacts
	mount, err := facts.Mount(ctx, src, s.NodeName, s.Mount)
	if err != nil {
		return f, err
	}
	f.mount = mount
	dst := []*facts.PathInfo{&f.local, &f.shared, &f.old, &f.partial, &f.sharedParent, &f.mountRoot}
	for i, p := range s.paths() {
		if *dst[i], err = facts.ReadPathFact(ctx, src, s.NodeName, p); err != nil {
			return f, err
		}
	}
	f.free = -1
	if !s.Replica || (f.local.Kind == facts.PathDir && !f.local.Empty()) {
		if f.free, err = facts.ReadFreeSpace(ctx, src, s.NodeName, s.freeSpace()); err != nil {
			return f, err
		}
	}
	return f, nil
}

func (s *Relocate) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	f, err := s.read(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("planning relocation of %s on %s: %w", s.local(), s.NodeName, err)
	}
	bothHoldData := f.local.Kind == facts.PathDir && !f.local.Empty() && f.shared.Kind == facts.PathDir && !f.shared.Empty()
	if bothHoldData && !s.Merge {
		if f.sharedFull, err = facts.ReadPath(ctx, src, s.NodeName, s.Shared); err != nil {
			return nil, fmt.Errorf("planning relocation of %s on %s: %w", s.local(), s.NodeName, err)
		}
	}
	d := s.decide(f, s.MountPlanned)
	c := &plan.Change{
		ID: s.ID(), Node: s.NodeName, Site: s.Site, Kind: s.Kind(), Target: s.local(),
		Action: d.action, Summary: d.summary, Reason: d.reason, Total: d.total, Details: d.details,
	}
	plan.SetPayload(c, relocatePayload{State: d.state.String()})
	if s.MountPlanned && !s.mountLive(f.mount) && c.Action != plan.Conflict {
		c.Details = append(c.Details, "assumes "+s.Mount+" is mounted by an earlier change; apply checks it again")
	}
	return c, nil
}

// relocatePayload is what a relocate change carries to apply: the state
// the plan found. Apply reads the node again and acts on what it finds;
// a planned link runs as a script that checks the state itself.
type relocatePayload struct {
	State string `json:"state"`
}

func (s *Relocate) validate() error {
	for _, p := range []string{s.Root, s.Shared, s.Mount} {
		if !path.IsAbs(p) || path.Clean(p) != p {
			return fmt.Errorf("relocating %s on %s: %q must be a clean absolute path", s.Dir, s.NodeName, p)
		}
	}
	if err := checkSiteFolder(s.NodeName, s.Root, s.Dir); err != nil {
		return err
	}
	if !strings.HasPrefix(s.Shared, strings.TrimSuffix(s.Mount, "/")+"/") {
		return fmt.Errorf("relocating %s on %s: %s is not inside the storage %s", s.local(), s.NodeName, s.Shared, s.Mount)
	}
	return nil
}

// mountLive reports whether the storage is mounted and is the one asked
// for, or is this node's own folder (StorageHere).
func (s *Relocate) mountLive(m facts.MountInfo) bool {
	if s.StorageHere {
		return true
	}
	if !m.Mounted {
		return false
	}
	c := s.MountCheck
	return c == "" || strings.HasPrefix(m.FSType, c) || strings.HasPrefix(m.Source, c)
}

// changeID is "<node>/<kind>/<target>" with the target's leading slash dropped.
func changeID(node, kind, target string) string {
	return node + "/" + kind + "/" + strings.TrimPrefix(target, "/")
}
