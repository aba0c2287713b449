package steps

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
)

// Detect checks that the primary's tree is the recipe's app: every file
// the recipe's detect list names is there. A tree that is not is an error
// in the plan, before anything moves (relocating the folders of another
// app's layout would scatter it).
type Detect struct {
	NodeName string
	Site     string
	Recipe   string
	Root     string
	Files    []string // relative to Root
}

var _ Step = (*Detect)(nil)

func (s *Detect) ID() string   { return changeID(s.NodeName, s.Kind(), s.Root) }
func (s *Detect) Kind() string { return "detect" }
func (s *Detect) Node() string { return s.NodeName }

func (s *Detect) Facts() []NodeFact {
	fs := make([]NodeFact, len(s.Files))
	for i, f := range s.Files {
		fs[i] = NodeFact{s.NodeName, facts.Path{Path: path.Join(s.Root, f), Shallow: true}}
	}
	return fs
}

func (s *Detect) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	var missing []string
	for _, f := range s.Files {
		info, err := facts.ReadPathFact(ctx, src, s.NodeName, facts.Path{Path: path.Join(s.Root, f), Shallow: true})
		if err != nil {
			return nil, fmt.Errorf("looking for %s on %s: %w", f, s.NodeName, err)
		}
		if info.Kind == facts.PathAbsent {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("site %s: %s on the primary %s does not look like a %s tree: it lacks %s",
			s.Site, s.Root, s.NodeName, s.Recipe, strings.Join(missing, ", "))
	}
	return &plan.Change{
		ID: s.ID(), Node: s.NodeName, Site: s.Site, Kind: s.Kind(), Target: s.Root, Action: plan.NoOp,
		Reason: fmt.Sprintf("%s holds a %s tree (%s)", s.Root, s.Recipe, strings.Join(s.Files, ", ")),
	}, nil
}
