package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

// Planner diffs entries against the live nodes.
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
func (pl *Planner) Plan(ctx context.Context, entries []Entry, configDigest string) (*plan.Plan, *facts.Set) {
	set := facts.NewSet(pl.Hosts)
	nodeErr := map[string]error{}
	for n, err := range pl.DialErrs {
		nodeErr[n] = err
	}
	pl.gather(ctx, set, entries, nodeErr)

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
		c, err := e.Step.Diff(ctx, set)
		if err != nil {
			diffErr[i] = fmt.Errorf("%s: %w", e.Step.ID(), err)
			return
		}
		if c.ID == "" {
			c.ID = e.Step.ID()
		}
		if c.Site == "" {
			c.Site = e.Site
		}
		changes[i] = c
	})
	settleFollowers(entries, changes)
	settleGuarded(entries, changes)
	for i, err := range diffErr {
		if err == nil {
			continue
		}
		n := entries[i].Step.Node()
		if nodeErr[n] == nil || !strings.Contains(nodeErr[n].Error(), err.Error()) {
			nodeErr[n] = errors.Join(nodeErr[n], err) // one line each in the plan
		}
	}

	p := &plan.Plan{Version: plan.PlanVersion, ConfigDigest: configDigest}
	for _, n := range pl.Nodes {
		st := &plan.NodeState{Name: n}
		if err := nodeErr[n]; err != nil {
			st.Error = err.Error()
		} else if _, ok := pl.Hosts[n]; ok {
			st.FactsDigest = set.Digest(n)
		}
		p.Nodes = append(p.Nodes, st)
	}
	p.Changes = order(entries, changes, pl.Nodes)
	return p, set
}

// gather fetches, per node, every fact the entries declare, in one round trip.
func (pl *Planner) gather(ctx context.Context, set *facts.Set, entries []Entry, nodeErr map[string]error) {
	perNode := map[string][]facts.Fact{}
	for _, e := range entries {
		for _, nf := range e.Step.Facts() {
			perNode[nf.Node] = append(perNode[nf.Node], nf.Fact)
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
// refuses: what it planned was read on ground that is not safe to act on.
func settleGuarded(entries []Entry, changes []*plan.Change) {
	byID := map[string]*plan.Change{}
	for i, e := range entries {
		if changes[i] != nil {
			byID[e.Step.ID()] = changes[i]
		}
	}
	for i, e := range entries {
		c := changes[i]
		if c == nil || c.Action == plan.NoOp {
			continue
		}
		for _, g := range e.Guards {
			if guard, ok := byID[g]; ok && guard.Action == plan.Conflict {
				c.Action = plan.NoOp
				c.Reason = "left alone: " + g + " is refused"
				c.Summary, c.Details, c.Total = "", nil, plan.Progress{}
				break
			}
		}
	}
}

// settleFollowers turns a follower's change into a NoOp when the change it
// follows does nothing.
func settleFollowers(entries []Entry, changes []*plan.Change) {
	byID := map[string]*plan.Change{}
	for i, e := range entries {
		if changes[i] != nil {
			byID[e.Step.ID()] = changes[i]
		}
	}
	for i, e := range entries {
		c := changes[i]
		if e.Follows == "" || c == nil || c.Action == plan.NoOp || c.Action == plan.Conflict {
			continue
		}
		if lead, ok := byID[e.Follows]; ok && lead.Action == plan.NoOp {
			c.Action = plan.NoOp
			c.Reason = "left alone: " + e.Follows + " changes nothing"
			c.Summary, c.Details, c.Total = "", nil, plan.Progress{}
		}
	}
}
