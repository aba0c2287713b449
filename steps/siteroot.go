package steps

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
)

// SiteRoot checks a node's ground before anything of the site is done
// there. The root must be a real folder, not a symlink (unless
// FollowLink): everything else would read, write or delete in whatever
// the link points to. The primary must hold it (everything else copies
// from it: a missing root is an error in the plan, not something shoal
// creates); a replica may lack it (replicate makes it). On the primary,
// each declared folder must be reached without a symlink on the way, and
// no cache folder may be a symlink (replicas would get a link that purge
// refuses); declared folders the tree lacks are listed. Every other
// change of the site on the node is left alone while this one refuses.
type SiteRoot struct {
	NodeName   string
	Site       string
	Root       string
	Primary    bool
	FollowLink bool
	Folders    []SiteFolder // the site's declared folders, checked on the primary
}

// SiteFolder is a declared folder: its block type and path.
type SiteFolder struct {
	Kind string // dynamic_dir, cache_dir, local_dir, writable
	Dir  string // relative to the root
}

var _ Step = (*SiteRoot)(nil)

func (s *SiteRoot) ID() string   { return changeID(s.NodeName, s.Kind(), s.Root) }
func (s *SiteRoot) Kind() string { return "site-root" }
func (s *SiteRoot) Node() string { return s.NodeName }

func (s *SiteRoot) Facts() []NodeFact {
	fs := []NodeFact{{Node: s.NodeName, Fact: facts.Path{Path: s.Root, Shallow: true}}}
	if s.Primary {
		for _, f := range s.Folders {
			fs = append(fs, NodeFact{Node: s.NodeName, Fact: s.folder(f)})
		}
	}
	return fs
}

func (s *SiteRoot) folder(f SiteFolder) facts.Folder {
	return facts.Folder{Root: s.Root, Dir: path.Clean(f.Dir)}
}

func (s *SiteRoot) role() string {
	if s.Primary {
		return "the primary " + s.NodeName
	}
	return s.NodeName
}

func (s *SiteRoot) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	info, err := facts.ReadPathFact(ctx, src, s.NodeName, facts.Path{Path: s.Root, Shallow: true})
	if err != nil {
		return nil, fmt.Errorf("reading the site root %s on %s: %w", s.Root, s.NodeName, err)
	}
	c := &plan.Change{ID: s.ID(), Node: s.NodeName, Site: s.Site, Kind: s.Kind(), Target: s.Root, Action: plan.NoOp}
	switch {
	case info.Kind == facts.PathSymlink && !s.FollowLink:
		c.Action = plan.Conflict
		c.Reason = fmt.Sprintf("site root %s on %s is a symlink to %s: shoal works only in a real folder; "+
			"make %s that folder, or set follow_root_link = true on site %q to work in what it points to",
			s.Root, s.NodeName, printablePath(info.Target), s.Root, s.Site)
		return c, nil
	case info.Kind == facts.PathAbsent && !s.Primary:
		c.Reason = fmt.Sprintf("%s is missing: replicate makes it", s.Root)
		return c, nil
	case info.Kind != facts.PathDir && info.Kind != facts.PathSymlink && s.Primary:
		return nil, fmt.Errorf("site %s: root %s on the primary %s is %s, not the installed site's folder", s.Site, s.Root, s.NodeName, info.Kind)
	case info.Kind != facts.PathDir && info.Kind != facts.PathSymlink:
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("site root %s on %s is a %s, not a folder", s.Root, s.NodeName, info.Kind)
		return c, nil
	}
	c.Reason = fmt.Sprintf("%s holds the installed site", s.Root)
	if !s.Primary {
		c.Reason = fmt.Sprintf("%s is a folder", s.Root)
	}
	if info.Kind == facts.PathSymlink {
		c.Reason = fmt.Sprintf("%s links to %s, followed as the site says", s.Root, printablePath(info.Target))
	}
	if !s.Primary {
		return c, nil
	}
	var refused, missing []string
	for _, f := range s.Folders {
		fi, err := facts.ReadFolder(ctx, src, s.NodeName, s.folder(f))
		if err != nil {
			return nil, err
		}
		switch {
		case fi.Through != "":
			refused = append(refused, fmt.Sprintf("%s %s is reached through the symlink %s -> %s",
				f.Kind, f.Dir, printablePath(fi.Through), printablePath(fi.Target)))
		case fi.Kind == facts.PathSymlink && f.Kind == "cache_dir":
			refused = append(refused, fmt.Sprintf("cache_dir %s is a symlink: replicas would get a link that is never purged through; make it a folder", f.Dir))
		case fi.Kind == facts.PathAbsent:
			missing = append(missing, fmt.Sprintf("missing on %s: %s %s (%s)", s.NodeName, f.Kind, f.Dir, whenMissing[f.Kind]))
		}
	}
	if len(refused) > 0 {
		c.Action = plan.Conflict
		c.Reason = fmt.Sprintf("%s on %s: shoal never works through a symlink the site's users could have planted; %s",
			strings.Join(refused, "; "), s.role(), "replace each link with the folder it stands for")
		return c, nil
	}
	c.Details = missing
	switch len(missing) {
	case 0:
	case 1:
		c.Reason += "; a declared folder is missing"
	default:
		c.Reason += fmt.Sprintf("; %d declared folders are missing", len(missing))
	}
	return c, nil
}

// whenMissing says what becomes of a declared folder the primary lacks.
var whenMissing = map[string]string{
	"dynamic_dir": "linked to the storage all the same",
	"cache_dir":   "replicas mirror the primary: none gets one",
	"local_dir":   "replicas mirror the primary: none gets one",
	"writable":    "made, owned by the site owner",
}
