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

// Purge keeps a cache folder, Root/Dir, present and empty but for what
// ships with the code: its top-level dot-files and the top-level names in
// Keep (guard files such as .htaccess), which it never removes. It
// removes only what is inside the folder, never the folder itself, never
// follows a symlink and refuses a folder reached through one (a root
// that is a symlink too, unless FollowRootLink). A folder the primary
// does not have is left alone: replicas mirror the primary.
type Purge struct {
	NodeName string
	Site     string
	Root     string // absolute site root
	Dir      string // relative to Root
	Keep     []string
	Owner    string // chown spec for a folder it creates ("www-data:www-data"); "" keeps root's
	// Primary is the node whose tree the replicas copy; "" when the
	// folder is purged whatever the primary has.
	Primary        string
	FollowRootLink bool
}

var (
	_ Step     = (*Purge)(nil)
	_ Scripter = (*Purge)(nil)
)

func (s *Purge) Kind() string   { return "purge" }
func (s *Purge) Node() string   { return s.NodeName }
func (s *Purge) ID() string     { return changeID(s.NodeName, s.Kind(), s.folder()) }
func (s *Purge) folder() string { return path.Join(s.Root, s.Dir) }

func (s *Purge) contents() facts.CacheContents {
	return facts.CacheContents{Path: s.folder(), Keep: s.Keep}
}

func (s *Purge) onPrimary() facts.Folder { return facts.Folder{Root: s.Root, Dir: path.Clean(s.Dir)} }

func (s *Purge) Facts() []NodeFact {
	fs := []NodeFact{{s.NodeName, s.contents()}}
	if s.Primary != "" {
		fs = append(fs, NodeFact{s.Primary, s.onPrimary()})
	}
	return fs
}

func (s *Purge) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	if err := checkSiteFolder(s.NodeName, s.Root, s.Dir); err != nil {
		return nil, err
	}
	c := &plan.Change{ID: s.ID(), Node: s.NodeName, Site: s.Site, Kind: s.Kind(), Target: s.folder()}
	if s.Primary != "" {
		primary, err := facts.ReadFolder(ctx, src, s.Primary, s.onPrimary())
		if err != nil {
			return nil, fmt.Errorf("planning purge of %s on %s: %w", s.folder(), s.NodeName, err)
		}
		if primary.Kind == facts.PathAbsent && primary.Through == "" {
			c.Action, c.Reason = plan.NoOp, fmt.Sprintf("%s is missing on the primary %s: nothing to purge", s.Dir, s.Primary)
			return c, nil
		}
	}
	info, err := facts.ReadCacheContents(ctx, src, s.NodeName, s.contents())
	if err != nil {
		return nil, fmt.Errorf("planning purge of %s on %s: %w", s.folder(), s.NodeName, err)
	}
	switch {
	case info.Kind == facts.PathSymlink:
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("%s is a symlink to %s: a cache is never purged through a link", s.folder(), info.Target)
	case info.Kind == facts.PathAbsent:
		c.Action, c.Summary = plan.Create, "create empty "+s.Dir+ownedBy(s.Owner)
	case info.Kind != facts.PathDir:
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("%s is a %s, not a folder", s.folder(), info.Kind)
	case info.Entries == 0:
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

// ApplyScript empties the folder (making it if absent) but for what it
// keeps, checking first, on the node, that it is a real folder reached
// from the site root without a symlink.
func (s *Purge) ApplyScript(c *plan.Change) string {
	if checkSiteFolder(s.NodeName, s.Root, s.Dir) != nil {
		return ""
	}
	keep := make([]string, len(s.Keep))
	for i, k := range s.Keep {
		keep[i] = escapeName(k)
	}
	return shell.Script(purgeBody, shell.Bind("R", s.Root), shell.Bind("D", path.Clean(s.Dir)),
		shell.Bind("FR", yesNo(s.FollowRootLink)), shell.Bind("owner", s.Owner), shell.BindLines("keep", keep))
}

// purgeBody empties $R/$D but for its top-level dot-files and the names
// in $keep (find patterns, one a line), never through a link.
const purgeBody = `set -e
` + beneathCheck + `shoal_beneath
d=$R/$D
if [ -L "$d" ]; then echo "$d is a symlink: not purging through it" >&2; exit 1; fi
if [ ! -e "$d" ]; then
	mkdir -p -- "$d"
	if [ -n "$owner" ]; then chown -- "$owner" "$d"; fi
fi
[ -d "$d" ] || { echo "$d is not a folder" >&2; exit 1; }
cd -P -- "$d"
real=$PWD
cd -P -- "$R"
[ "$real" = "$PWD/$D" ] || { echo "$d leads to $real through a symlink: not purging" >&2; exit 1; }
set --
while IFS= read -r k; do
	if [ -n "$k" ]; then set -- "$@" ! -name "$k"; fi
done <<KEEP
$keep
KEEP
find "$real" -mindepth 1 -maxdepth 1 ! -name '.*' "$@" -exec rm -rf -- {} +
`

// escapeName makes find -name match name literally.
func escapeName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if strings.ContainsRune(`\*?[]`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
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
