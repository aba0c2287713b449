package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/steps"
	"github.com/shoal-sh/shoal/transport"
)

// Planner diffs compiled entries against the live nodes.
type Planner struct {
	Nodes    []string                  // every node in config order (orders the output)
	Hosts    map[string]transport.Host // connected nodes
	DialErrs map[string]error          // nodes that could not be reached
	Parallel int
}

// Plan gathers each node's facts in one round trip, diffs every entry and
// returns the plan in execution order, with the facts it read. A node that
// cannot be reached or read gets NodeState.Error and no changes; the other
// nodes are still planned.
//
// Entries whose steps are Expanders (a dynamic_dir "sites/*/files") are
// expanded once the facts are in: the steps they stand for join the plan,
// their facts gathered in one more round trip per node, and c.Entries
// holds them afterwards, for the Runner. Each Plan expands c afresh.
func (pl *Planner) Plan(ctx context.Context, c *Compiled, configDigest string) (*plan.Plan, *facts.Set) {
	set := facts.NewSet(pl.Hosts)
	nodeErr := map[string]error{}
	for n, err := range pl.DialErrs {
		nodeErr[n] = err
	}
	pl.gather(ctx, set, c.compiled, nodeErr)
	entries, g := pl.expand(ctx, set, c, nodeErr)
	c.Entries, c.graph = entries, g
	src := failedNodes{Source: set, errs: nodeErr}

	changes := make([]*plan.Change, len(entries))
	diffErr := make([]error, len(entries))
	pl.each(len(entries), func(i int) {
		e := entries[i]
		if nodeErr[e.Step.Node()] != nil {
			return
		}
		for _, nf := range e.Step.Facts() {
			if err := nodeErr[nf.Node]; err != nil {
				diffErr[i] = fmt.Errorf("%s: needs facts from %s, which failed", e.Step.ID(), nf.Node)
				return
			}
		}
		ch, err := e.Step.Diff(ctx, src)
		if err != nil {
			diffErr[i] = fmt.Errorf("%s: %w", e.Step.ID(), err)
			return
		}
		if ch.ID == "" {
			ch.ID = e.Step.ID()
		}
		if ch.Site == "" {
			ch.Site = e.Site
		}
		changes[i] = ch
	})
	order := g.planOrder(entries, pl.Nodes)
	settleGuarded(entries, changes)
	settleFollowers(g, order, changes)
	settleAhead(g, order, changes)
	wireAfter(g, order, changes)
	settlePending(changes)
	for i, err := range diffErr {
		if err == nil {
			continue
		}
		n := entries[i].Step.Node()
		if nodeErr[n] == nil || !strings.Contains(nodeErr[n].Error(), err.Error()) {
			nodeErr[n] = errors.Join(nodeErr[n], err) // one line each in the plan
		}
	}

	needed := neededNodes(entries)
	p := &plan.Plan{Version: plan.PlanVersion, ConfigDigest: configDigest}
	for _, n := range pl.Nodes {
		st := &plan.NodeState{Name: n}
		if err := nodeErr[n]; err != nil {
			if needed[n] {
				st.Error = err.Error()
			}
		} else if _, ok := pl.Hosts[n]; ok {
			st.FactsDigest = set.Digest(n)
		}
		p.Nodes = append(p.Nodes, st)
	}
	for _, i := range order {
		if changes[i] != nil {
			p.Changes = append(p.Changes, changes[i])
		}
	}
	return p, set
}

// expand returns the compiled entries with, after each Expander's, the
// entries of the steps it stands for, and the graph of them all; c's own
// when nothing expands. The new steps' facts are gathered in one round
// trip per node. An Expander that fails fails its node.
func (pl *Planner) expand(ctx context.Context, set *facts.Set, c *Compiled, nodeErr map[string]error) ([]steps.Entry, *graph) {
	entries := c.compiled
	added := make([][]steps.Step, len(entries))
	var mu sync.Mutex
	pl.each(len(entries), func(i int) {
		x, ok := entries[i].Step.(steps.Expander)
		if !ok || failed(x, nodeErr, &mu) {
			return
		}
		ss, err := x.Expand(ctx, set)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			nodeErr[x.Node()] = errors.Join(nodeErr[x.Node()], fmt.Errorf("%s: %w", x.ID(), err))
			return
		}
		added[i] = ss
	})
	var out, fresh []steps.Entry
	ids := map[string]bool{}
	for _, e := range entries {
		ids[e.Step.ID()] = true
	}
	for i, e := range entries {
		out = append(out, e)
		for _, s := range added[i] {
			if ids[s.ID()] {
				nodeErr[s.Node()] = errors.Join(nodeErr[s.Node()], fmt.Errorf("%s: stands for %s, which is planned already", e.Step.ID(), s.ID()))
				continue
			}
			ids[s.ID()] = true
			x := steps.Entry{Step: s, Site: e.Site, Block: e.Block, After: e.After, OnChange: e.OnChange, Unconditional: e.Unconditional, Guards: e.Guards}
			out = append(out, x)
			fresh = append(fresh, x)
		}
	}
	if len(fresh) == 0 {
		return entries, c.graph
	}
	pl.gather(ctx, set, fresh, nodeErr)
	g, diags := newGraph(out, c.cfg)
	if diags.HasErrors() { // expansions copy their expander's relations: no new cycle should form
		for _, e := range fresh {
			nodeErr[e.Step.Node()] = errors.Join(nodeErr[e.Step.Node()], fmt.Errorf("expanding %s: %s", e.Block, diags.Error()))
		}
		return entries, c.graph
	}
	return out, g
}

// failed reports whether a step's node, or a node it reads facts from,
// has failed already.
func failed(s steps.Step, nodeErr map[string]error, mu *sync.Mutex) bool {
	mu.Lock()
	defer mu.Unlock()
	if nodeErr[s.Node()] != nil {
		return true
	}
	for _, nf := range s.Facts() {
		if nodeErr[nf.Node] != nil {
			return true
		}
	}
	return false
}

// neededNodes are the nodes a plan can't do without: those its entries
// run on and those whose facts they must have. A node read only for
// optional facts may be down: the steps that read it say what that means.
func neededNodes(entries []steps.Entry) map[string]bool {
	needed := map[string]bool{}
	for _, e := range entries {
		needed[e.Step.Node()] = true
		for _, nf := range e.Step.Facts() {
			needed[nf.Node] = true
		}
	}
	return needed
}

// failedNodes answers facts of the nodes that could not be reached or
// read with that node's error, without trying them again.
type failedNodes struct {
	facts.Source
	errs map[string]error
}

func (s failedNodes) Get(ctx context.Context, node string, f facts.Fact) (facts.Section, error) {
	if err := s.errs[node]; err != nil {
		return facts.Section{}, err
	}
	return s.Source.Get(ctx, node, f)
}

// gather fetches, per node, every fact the entries declare (optional ones
// too) that set does not hold yet, in one round trip.
func (pl *Planner) gather(ctx context.Context, set *facts.Set, entries []steps.Entry, nodeErr map[string]error) {
	perNode := map[string][]facts.Fact{}
	for _, e := range entries {
		for _, nf := range steps.AllFacts(e.Step) {
			if !set.Has(nf.Node, nf.Fact) {
				perNode[nf.Node] = append(perNode[nf.Node], nf.Fact)
			}
		}
	}
	var nodes []string
	for n := range perNode {
		if nodeErr[n] == nil {
			nodes = append(nodes, n)
		}
	}
	sort.Strings(nodes)
	var mu sync.Mutex
	pl.each(len(nodes), func(i int) {
		n := nodes[i]
		if err := set.Gather(ctx, n, perNode[n]); err != nil {
			mu.Lock()
			nodeErr[n] = err
			mu.Unlock()
		}
	})
}

// each runs f(0..n-1) with at most Parallel at once.
func (pl *Planner) each(n int, f func(i int)) {
	limit := pl.Parallel
	if limit < 1 {
		limit = 1
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f(i)
		}()
	}
	wg.Wait()
}

// settleGuarded leaves a change alone (NoOp) when a step guarding it
// refuses (Entry.Guards): what it planned was read on ground that is not
// safe to act on, and the plan shows the one conflict that says why.
func settleGuarded(entries []steps.Entry, cs []*plan.Change) {
	byID := map[string]*plan.Change{}
	for i, e := range entries {
		if cs[i] != nil {
			byID[e.Step.ID()] = cs[i]
		}
	}
	for i, e := range entries {
		c := cs[i]
		if c == nil || c.Action == plan.NoOp {
			continue
		}
		for _, g := range e.Guards {
			if guard, ok := byID[g]; ok && guard.Action == plan.Conflict {
				c.Action = plan.NoOp
				c.Reason = "left alone: " + g + " is refused"
				c.Summary, c.Details, c.Total, c.Payload, c.Pending = "", nil, plan.Progress{}, nil, ""
				break
			}
		}
	}
}

// changes reports whether a change does something (or is refused).
func changes(c *plan.Change) bool {
	return c != nil && c.Action != plan.NoOp
}

// settleFollowers turns a follower's change into a NoOp when nothing it
// follows (on_change) changes; order is topological, so a follower of a
// follower sees its lead settled.
func settleFollowers(g *graph, order []int, cs []*plan.Change) {
	for _, i := range order {
		c := cs[i]
		if !g.follower[i] || !changes(c) || c.Action == plan.Conflict {
			continue
		}
		var leads []string
		moved := false
		for _, j := range g.follows[i] {
			if changes(cs[j]) {
				moved = true
				break
			}
			if cs[j] != nil {
				leads = append(leads, cs[j].ID)
			}
		}
		if moved {
			continue
		}
		c.Action = plan.NoOp
		c.Reason = "left alone: " + orNothing(leads) + " changes nothing"
		c.Summary, c.Details, c.Total, c.Payload = "", nil, plan.Progress{}, nil
	}
}

// settleAhead turns the change of an entry that goes ahead of others
// (Entry.Ahead) into a NoOp when none of them changes, and lists those
// that do in its details. Those others come later in order, so a reverse
// walk settles them first.
func settleAhead(g *graph, order []int, cs []*plan.Change) {
	for k := len(order) - 1; k >= 0; k-- {
		i := order[k]
		c := cs[i]
		if len(g.ahead[i]) == 0 || !changes(c) || c.Action == plan.Conflict {
			continue
		}
		var moving, nodes []string
		for _, j := range g.ahead[i] {
			if changes(cs[j]) {
				moving = append(moving, cs[j].ID)
			}
			if cs[j] != nil && !slices.Contains(nodes, cs[j].Node) {
				nodes = append(nodes, cs[j].Node)
			}
		}
		if len(moving) == 0 {
			c.Action = plan.NoOp
			c.Reason = "left alone: nothing it goes ahead of changes"
			if len(nodes) > 0 {
				c.Reason = "left alone: nothing on " + strings.Join(nodes, ", ") + " changes"
			}
			c.Summary, c.Details, c.Total, c.Payload = "", nil, plan.Progress{}, nil
			continue
		}
		const listed = 5
		line := "before " + strings.Join(moving[:min(len(moving), listed)], ", ")
		if len(moving) > listed {
			line += fmt.Sprintf(" and %d more", len(moving)-listed)
		}
		c.Details = append(c.Details, line)
	}
}

func orNothing(ids []string) string {
	if len(ids) == 0 {
		return "nothing it follows"
	}
	return strings.Join(ids, ", ")
}

// wireAfter fills each change's After with the nearest changes among its
// dependencies: through dependencies that change nothing, to what they
// wait for. A failure then skips everything that waits on it, and nothing
// waits for a step with nothing to do.
func wireAfter(g *graph, order []int, cs []*plan.Change) {
	// frontier[i]: the changes that something waiting for i waits for.
	frontier := make([][]string, len(cs))
	for _, i := range order {
		var after []string
		seen := map[string]bool{}
		for _, j := range g.deps[i] {
			for _, id := range frontier[j] {
				if !seen[id] {
					seen[id] = true
					after = append(after, id)
				}
			}
		}
		if changes(cs[i]) {
			cs[i].After = after
			frontier[i] = []string{cs[i].ID}
			continue
		}
		frontier[i] = after
	}
}

// settlePending refuses a change that waits for the changes before it
// (Change.Pending) when there are none: nothing in this plan will make
// what it needs.
func settlePending(cs []*plan.Change) {
	for _, c := range cs {
		if c == nil || c.Pending == "" || c.Action == plan.NoOp || c.Action == plan.Conflict {
			continue
		}
		if len(c.After) == 0 {
			c.Action = plan.Conflict
			c.Reason = c.Pending + ", and no step before it in this plan changes anything that could make it"
			c.Summary, c.Details, c.Payload = "", nil, nil
		}
	}
}
