package steps

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// Purge keeps a cache folder, Root/Dir, present and empty. It removes
// only what is inside the folder, never the folder itself, never follows
// a symlink and refuses a folder reached through one.
type Purge struct {
	NodeName string
	Site     string
	Root     string // absolute site root
	Dir      string // relative to Root
	Owner    string // chown spec for a folder it creates ("www-data:www-data"); "" keeps root's
	// Primary, when set, is the node whose tree the replica gets: a
	// cache folder it does not have (a cache plugin not installed) is
	// not made on the replica, where replicate would delete it again.
	Primary string
}

var (
	_ Step     = (*Purge)(nil)
	_ Scripter = (*Purge)(nil)
)

func (s *Purge) Kind() string   { return "purge" }
func (s *Purge) Node() string   { return s.NodeName }
func (s *Purge) ID() string     { return changeID(s.NodeName, s.Kind(), s.folder()) }
func (s *Purge) folder() string { return path.Join(s.Root, s.Dir) }
func (s *Purge) Facts() []NodeFact {
	fs := []NodeFact{{s.NodeName, facts.Path{Path: s.folder()}}}
	if s.Primary != "" {
		fs = append(fs, NodeFact{s.Primary, facts.Path{Path: s.folder(), Shallow: true}})
	}
	return fs
}

func (s *Purge) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	if err := checkSiteFolder(s.NodeName, s.Root, s.Dir); err != nil {
		return nil, err
	}
	info, err := facts.ReadPath(ctx, src, s.NodeName, s.folder())
	if err != nil {
		return nil, fmt.Errorf("planning purge of %s on %s: %w", s.folder(), s.NodeName, err)
	}
	c := &plan.Change{ID: s.ID(), Node: s.NodeName, Site: s.Site, Kind: s.Kind(), Target: s.folder()}
	if s.Primary != "" {
		primary, err := facts.ReadPathFact(ctx, src, s.Primary, facts.Path{Path: s.folder(), Shallow: true})
		if err != nil {
			return nil, fmt.Errorf("planning purge of %s on %s: %w", s.folder(), s.NodeName, err)
		}
		if primary.Kind == facts.PathAbsent && info.Kind == facts.PathAbsent {
			c.Action, c.Reason = plan.NoOp, fmt.Sprintf("%s is missing on the primary %s: nothing to purge", s.Dir, s.Primary)
			return c, nil
		}
	}
	switch {
	case info.Kind == facts.PathSymlink:
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("%s is a symlink to %s: a cache is never purged through a link", s.folder(), info.Target)
	case info.Kind == facts.PathAbsent:
		c.Action, c.Summary = plan.Create, "create empty "+s.Dir+ownedBy(s.Owner)
	case info.Kind != facts.PathDir:
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("%s is a %s, not a folder", s.folder(), info.Kind)
	case info.Empty():
		c.Action, c.Reason = plan.NoOp, s.Dir+" is already empty"
	default:
		c.Action = plan.Update
		c.Summary = fmt.Sprintf("empty %s: remove %s, %s", s.Dir, entries(info.Entries), volume(plan.Progress{Files: info.Files, Bytes: info.Bytes}))
		c.Total = plan.Progress{Files: info.Files, Bytes: info.Bytes}
	}
	return c, nil
}

// Apply creates the folder or deletes what is in it, after proving the
// folder is reached from the site root without a symlink.
func (s *Purge) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	script := s.ApplyScript(c)
	if script == "" {
		return checkSiteFolder(s.NodeName, s.Root, s.Dir)
	}
	if err := h.Run(ctx, transport.Command{Script: script}); err != nil {
		return fmt.Errorf("purging %s on %s: %w", s.folder(), s.NodeName, err)
	}
	r.Progress(c.Total)
	return nil
}

// ApplyScript empties the folder (making it if absent), checking first, on
// the node, that it is a real folder inside the site root.
func (s *Purge) ApplyScript(c *plan.Change) string {
	if checkSiteFolder(s.NodeName, s.Root, s.Dir) != nil {
		return ""
	}
	chown := ""
	if s.Owner != "" {
		chown = `chown -- ` + shell.Quote(s.Owner) + ` "$d"`
	}
	return `set -e
d=` + shell.Quote(s.folder()) + `
if [ -L "$d" ]; then echo "$d is a symlink: not purging through it" >&2; exit 1; fi
if [ ! -e "$d" ]; then
	mkdir -p -- "$d"
	` + chown + `
fi
[ -d "$d" ] || { echo "$d is not a folder" >&2; exit 1; }
here=$PWD
cd -P -- "$d"
real=$PWD
cd -P -- ` + shell.Quote(s.Root) + `
want=$PWD/` + shell.Quote(path.Clean(s.Dir)) + `
cd -- "$here"
[ "$real" = "$want" ] || { echo "$d leads to $real through a symlink: not purging" >&2; exit 1; }
find "$real" -mindepth 1 -delete
`
}

// checkSiteFolder refuses folders that are not inside the site root.
func checkSiteFolder(node, root, dir string) error {
	if !path.IsAbs(root) || path.Clean(root) != root || root == "/" {
		return fmt.Errorf("site root %q on %s must be a clean absolute path other than /", root, node)
	}
	if clean := path.Clean(dir); dir == "" || path.IsAbs(dir) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
		return fmt.Errorf("folder %q on %s must be inside the site root %s", dir, node, root)
	}
	return nil
}

func ownedBy(owner string) string {
	if owner == "" {
		return ""
	}
	return " owned by " + owner
}

func entries(n int) string {
	if n == 1 {
		return "1 entry"
	}
	return groupThousands(int64(n)) + " entries"
}
