package steps

import (
	"context"
	"fmt"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
)

// SiteRoot checks that the primary holds the installed site: everything
// else copies from it, so a missing root is an error in the plan, not
// something shoal creates.
type SiteRoot struct {
	NodeName string
	Site     string
	Root     string
}

var _ Step = (*SiteRoot)(nil)

func (s *SiteRoot) ID() string   { return changeID(s.NodeName, s.Kind(), s.Root) }
func (s *SiteRoot) Kind() string { return "site-root" }
func (s *SiteRoot) Node() string { return s.NodeName }
func (s *SiteRoot) Facts() []NodeFact {
	return []NodeFact{{Node: s.NodeName, Fact: facts.Path{Path: s.Root, Shallow: true}}}
}

func (s *SiteRoot) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	info, err := facts.ReadPathFact(ctx, src, s.NodeName, facts.Path{Path: s.Root, Shallow: true})
	if err != nil {
		return nil, fmt.Errorf("reading the site root %s on %s: %w", s.Root, s.NodeName, err)
	}
	if info.Kind != facts.PathDir {
		return nil, fmt.Errorf("site %s: root %s on the primary %s is %s, not the installed site's folder", s.Site, s.Root, s.NodeName, info.Kind)
	}
	return &plan.Change{
		Node: s.NodeName, Site: s.Site, Kind: s.Kind(), Target: s.Root, Action: plan.NoOp,
		Reason: fmt.Sprintf("%s holds the installed site", s.Root),
	}, nil
}
