package cluster

import (
	"sort"

	"github.com/shoal-sh/shoal/plan"
)

// order sorts changes by phase, then node (config order), then the order
// the steps were compiled in, and fills in After:
//   - every change of the node's previous phase that has changes, so a
//     node's phases run in order (changes of one phase, on disjoint paths,
//     may run side by side) and a failure skips the node's later phases;
//   - every export before any client's fstab or mount;
//   - a site's changes on its primary (phase ≤ PhasePrimary) before that
//     site's replicate, link and purge on replicas.
func order(entries []Entry, changes []*plan.Change, nodes []string) []*plan.Change {
	rank := map[string]int{}
	for i, n := range nodes {
		rank[n] = i
	}
	type item struct {
		e   Entry
		c   *plan.Change
		seq int
	}
	var items []item
	for i, c := range changes {
		if c != nil {
			items = append(items, item{entries[i], c, i})
		}
	}
	sort.SliceStable(items, func(a, b int) bool {
		x, y := items[a], items[b]
		if x.e.Phase != y.e.Phase {
			return x.e.Phase < y.e.Phase
		}
		if rank[x.c.Node] != rank[y.c.Node] {
			return rank[x.c.Node] < rank[y.c.Node]
		}
		return x.seq < y.seq
	})

	// per node: the phase being collected, its changes, and the changes of
	// the phase before it (what the current phase waits for)
	type nodePhases struct {
		phase         Phase
		current, prev []string
	}
	perNode := map[string]*nodePhases{}
	var exports []string
	primaryOf := map[string][]string{} // site → IDs of its primary-side changes
	for _, it := range items {
		c := it.c
		if c.Action == plan.NoOp || c.Action == plan.Conflict {
			continue
		}
		np := perNode[c.Node]
		if np == nil {
			np = &nodePhases{phase: it.e.Phase}
			perNode[c.Node] = np
		}
		if it.e.Phase != np.phase {
			np.phase, np.prev, np.current = it.e.Phase, np.current, nil
		}
		after := append([]string(nil), np.prev...)
		if it.e.Phase >= PhaseFstab {
			after = append(after, exports...)
		}
		if it.e.Phase >= PhaseReplicate && it.e.Site != "" {
			after = append(after, primaryOf[it.e.Site]...)
		}
		c.After = dedupe(append(c.After, after...))
		np.current = append(np.current, c.ID)
		switch {
		case it.e.Phase == PhaseExport:
			exports = append(exports, c.ID)
		case it.e.Phase == PhasePrimary:
			primaryOf[it.e.Site] = append(primaryOf[it.e.Site], c.ID)
		}
	}
	out := make([]*plan.Change, len(items))
	for i, it := range items {
		out[i] = it.c
	}
	return out
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
