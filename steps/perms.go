package steps

import (
	"context"
	"fmt"
	"path"
	"regexp"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// Perms gives a writable folder and everything in it an owner and group,
// and its directories a mode when Mode is set (files keep theirs). It
// never follows a symlink inside the folder. When the folder itself is a
// symlink into the storage, only the node with OnlyTarget (the primary)
// manages what it points to; the others leave it alone. A folder reached
// through a symlink on the way from the root (or a root that is one,
// unless FollowRootLink) is refused.
type Perms struct {
	NodeName   string
	Site       string
	Root       string // absolute site root
	Dir        string // relative to Root
	Owner      string
	Group      string
	Mode       string // octal for directories, "" = leave modes
	OnlyTarget bool
	// Shallow manages the folder itself, not what is under it: for folders
	// on the storage, whose uploads are the app's and too many to walk on
	// every plan.
	Shallow        bool
	FollowRootLink bool
	// Via is the dynamic folder (relative to Root) that Dir lies in, and
	// ViaTarget the storage folder it links to: the one link on the way
	// that is shoal's own. "" when Dir is not on the storage.
	Via, ViaTarget string
}

var (
	_ Step     = (*Perms)(nil)
	_ Scripter = (*Perms)(nil)
)

func (s *Perms) Kind() string   { return "perms" }
func (s *Perms) Node() string   { return s.NodeName }
func (s *Perms) ID() string     { return changeID(s.NodeName, s.Kind(), s.folder()) }
func (s *Perms) folder() string { return path.Join(s.Root, s.Dir) }

func (s *Perms) ownership() facts.Ownership {
	return facts.Ownership{Path: s.folder(), User: s.Owner, Group: s.Group, DirMode: s.Mode, FollowTop: s.OnlyTarget, Shallow: s.Shallow}
}

func (s *Perms) Facts() []NodeFact {
	return []NodeFact{{s.NodeName, facts.Path{Path: s.folder(), Shallow: true}}, {s.NodeName, s.ownership()}}
}

var octalMode = regexp.MustCompile(`^[0-7]{3,4}$`)

func (s *Perms) validate() error {
	if err := checkSiteFolder(s.NodeName, s.Root, s.Dir); err != nil {
		return err
	}
	if s.Owner == "" || s.Group == "" {
		return fmt.Errorf("permissions of %s on %s: owner and group are required", s.folder(), s.NodeName)
	}
	if s.Mode != "" && !octalMode.MatchString(s.Mode) {
		return fmt.Errorf("permissions of %s on %s: mode %q is not octal", s.folder(), s.NodeName, s.Mode)
	}
	return nil
}

func (s *Perms) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	info, err := facts.ReadPathFact(ctx, src, s.NodeName, facts.Path{Path: s.folder(), Shallow: true})
	if err != nil {
		return nil, fmt.Errorf("planning permissions of %s on %s: %w", s.folder(), s.NodeName, err)
	}
	c := &plan.Change{ID: s.ID(), Node: s.NodeName, Site: s.Site, Kind: s.Kind(), Target: s.folder()}
	owner := s.Owner + ":" + s.Group
	switch {
	case info.Kind == facts.PathSymlink && !s.OnlyTarget:
		c.Action, c.Reason = plan.NoOp, fmt.Sprintf("%s links to %s: its owners are managed on the primary", s.Dir, info.Target)
		return c, nil
	case info.Kind == facts.PathFile || info.Kind == facts.PathOther:
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("%s is a %s, not a folder", s.folder(), info.Kind)
		return c, nil
	}
	own, err := facts.ReadOwnership(ctx, src, s.NodeName, s.ownership())
	if err != nil {
		return nil, fmt.Errorf("planning permissions of %s on %s: %w", s.folder(), s.NodeName, err)
	}
	switch {
	case own.UnknownUser:
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("user %s does not exist on %s", s.Owner, s.NodeName)
	case own.UnknownGroup:
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("group %s does not exist on %s", s.Group, s.NodeName)
	case info.Kind == facts.PathAbsent || own.Absent:
		c.Action, c.Summary = plan.Create, "create "+s.Dir+" owned by "+owner+withMode(s.Mode)
	case own.WrongOwner == 0 && own.WrongMode == 0:
		c.Action, c.Reason = plan.NoOp, s.Dir+" is owned by "+owner+withMode(s.Mode)
	default:
		c.Action = plan.Update
		c.Summary = fmt.Sprintf("chown %s in %s to %s", entries(own.WrongOwner), s.Dir, owner)
		if own.WrongOwner == 0 {
			c.Summary = fmt.Sprintf("chmod %d directories in %s to %s", own.WrongMode, s.Dir, s.Mode)
		} else if own.WrongMode > 0 {
			c.Summary += fmt.Sprintf(", chmod %d directories to %s", own.WrongMode, s.Mode)
		}
	}
	return c, nil
}

// Apply changes owners with lchown semantics (chown -R -P -h: links
// themselves, never what they point to). On the primary, "$d/" enters the
// folder's own link to the storage and nothing further.
func (s *Perms) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	script := s.ApplyScript(c)
	if script == "" {
		return s.validate()
	}
	if err := h.Run(ctx, transport.Command{Script: script}); err != nil {
		return fmt.Errorf("setting permissions of %s on %s: %w", s.folder(), s.NodeName, err)
	}
	return nil
}

// ApplyScript sets owner, group (and directory modes) without following
// symlinks; a folder that became a symlink is left alone unless
// OnlyTarget says the storage behind it is this node's to manage.
func (s *Perms) ApplyScript(*plan.Change) string {
	if s.validate() != nil {
		return ""
	}
	return shell.Script(permsBody, shell.Bind("R", s.Root), shell.Bind("D", path.Clean(s.Dir)),
		shell.Bind("FR", yesNo(s.FollowRootLink)), shell.Bind("VIA", s.Via), shell.Bind("VT", s.ViaTarget),
		shell.Bind("d", s.folder()), shell.Bind("only_target", yesNo(s.OnlyTarget)), shell.Bind("shallow", yesNo(s.Shallow)),
		shell.Bind("owner", s.Owner+":"+s.Group), shell.Bind("mode", s.Mode))
}

// permsBody owns $d (and, but shallow, everything under it) with lchown
// semantics: links themselves, never what they point to. With only_target
// (the primary's own link to the storage) "$d/" enters that one link and
// nothing further.
const permsBody = `set -e
` + beneathCheck + `shoal_beneath
if [ -L "$d" ] && [ "$only_target" != yes ]; then exit 0; fi
if [ ! -e "$d" ] && [ ! -L "$d" ]; then mkdir -p -- "$d"; fi
top=$d
if [ "$only_target" = yes ]; then top=$d/; fi
if [ "$shallow" = yes ]; then
	chown -h -- "$owner" "$top"
	if [ -n "$mode" ]; then find "$top" -maxdepth 0 -type d ! -perm "$mode" -exec chmod "$mode" {} +; fi
else
	chown -R -P -h -- "$owner" "$top"
	if [ -n "$mode" ]; then find "$top" -type d ! -perm "$mode" -exec chmod "$mode" {} +; fi
fi
`

func withMode(mode string) string {
	if mode == "" {
		return ""
	}
	return ", directories " + mode
}
