package steps

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
)

// Glob stands for one step per folder of the primary's tree that a
// folder block's pattern names (`dynamic_dir "sites/*/files"`): Make
// builds the step for one match, on this Glob's node. A site added to
// the tree later is a new match in the next plan; one removed is no
// longer planned.
type Glob struct {
	NodeName string
	Site     string
	Primary  string // the node whose tree the pattern is matched against
	Root     string
	Pattern  string // relative to Root
	// StepKind is the kind of the steps it stands for ("relocate"):
	// relations naming that kind on this node find the Glob too.
	StepKind string
	Make     func(match string) Step
}

var (
	_ Step     = (*Glob)(nil)
	_ Expander = (*Glob)(nil)
)

func (g *Glob) ID() string   { return changeID(g.NodeName, g.StepKind, path.Join(g.Root, g.Pattern)) }
func (g *Glob) Kind() string { return g.StepKind }
func (g *Glob) Node() string { return g.NodeName }

func (g *Glob) fact() facts.Glob { return facts.Glob{Root: g.Root, Pattern: g.Pattern} }

func (g *Glob) Facts() []NodeFact { return []NodeFact{{Node: g.Primary, Fact: g.fact()}} }

func (g *Glob) matches(ctx context.Context, src facts.Source) ([]string, error) {
	r, err := facts.ReadGlob(ctx, src, g.Primary, g.fact())
	if err != nil {
		return nil, err
	}
	out := make([]string, len(r.Matches))
	for i, m := range r.Matches {
		out[i] = m.Path
	}
	return out, nil
}

func (g *Glob) Expand(ctx context.Context, src facts.Source) ([]Step, error) {
	ms, err := g.matches(ctx, src)
	if err != nil {
		return nil, err
	}
	out := make([]Step, len(ms))
	for i, m := range ms {
		out[i] = g.Make(m)
	}
	return out, nil
}

// maxListedMatches is how many matches a Glob's reason names.
const maxListedMatches = 8

func (g *Glob) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	ms, err := g.matches(ctx, src)
	if err != nil {
		return nil, err
	}
	where := "in " + g.Primary + "'s tree"
	if g.Primary != g.NodeName {
		where = "in the primary " + g.Primary + "'s tree"
	}
	c := &plan.Change{ID: g.ID(), Node: g.NodeName, Site: g.Site, Kind: g.Kind(), Target: path.Join(g.Root, g.Pattern), Action: plan.NoOp}
	switch {
	case len(ms) == 0:
		c.Reason = fmt.Sprintf("%s matches no folder %s", g.Pattern, where)
	case len(ms) > maxListedMatches:
		c.Reason = fmt.Sprintf("%s matches %d folders %s: %s, …", g.Pattern, len(ms), where, strings.Join(ms[:maxListedMatches], ", "))
	default:
		c.Reason = fmt.Sprintf("%s matches %s %s: %s", g.Pattern, plural(len(ms), "folder"), where, strings.Join(ms, ", "))
	}
	return c, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
