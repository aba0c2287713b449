package cluster

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	hashicl "github.com/hashicorp/hcl/v2"

	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/steps"
)

// graph is the entries' relations resolved to indices: deps[i] must
// succeed before i runs (its after and on_change), follows[i] are the
// entries i's change depends on (on_change). depth is the longest chain
// of deps leading to each entry: sorting by it is a topological order,
// the order a plan lists changes in, and roughly the stages SPEC names
// (exports, fstab, mounts, the primary's moves, replicate, links and
// purges, owners, config).
type graph struct {
	deps    [][]int
	follows [][]int
	// ahead[i] are the entries i goes ahead of (Entry.Ahead): each waits
	// for i, and i changes only when one of them does.
	ahead [][]int
	// follower[i]: i declared on_change, whether or not its references
	// found an entry (a replica's reload follows its replicate; the
	// primary has none).
	follower []bool
	depth    []int
}

// entryIndex finds entries by kind and node, and by declaring block.
type entryIndex struct {
	entries     []steps.Entry
	byKindNode  map[string][]int // kind + "\x00" + node ("" for any node, or any kind on a node)
	byBlock     map[string][]int // site + "\x00" + block
	byBlockNode map[string][]int // site + "\x00" + block + "\x00" + node
}

func newEntryIndex(entries []steps.Entry) *entryIndex {
	x := &entryIndex{entries: entries, byKindNode: map[string][]int{}, byBlock: map[string][]int{}, byBlockNode: map[string][]int{}}
	for i, e := range entries {
		kind, node := e.Step.Kind(), e.Step.Node()
		x.byKindNode[kind+"\x00"+node] = append(x.byKindNode[kind+"\x00"+node], i)
		x.byKindNode[kind+"\x00"] = append(x.byKindNode[kind+"\x00"], i)
		x.byKindNode["\x00"+node] = append(x.byKindNode["\x00"+node], i) // any kind on node
		if e.Block != "" {
			x.byBlock[e.Site+"\x00"+e.Block] = append(x.byBlock[e.Site+"\x00"+e.Block], i)
			k := e.Site + "\x00" + e.Block + "\x00" + node
			x.byBlockNode[k] = append(x.byBlockNode[k], i)
		}
	}
	return x
}

// resolve lists the entries r selects.
func (x *entryIndex) resolve(r steps.Ref) []int {
	var candidates []int
	switch {
	case r.Block != "" && r.Near:
		candidates = x.byBlockNode[r.Site+"\x00"+r.Block+"\x00"+r.Node]
		if len(candidates) == 0 {
			candidates = x.byBlock[r.Site+"\x00"+r.Block]
		}
		return candidates
	case r.Block != "":
		candidates = x.byBlock[r.Site+"\x00"+r.Block]
	default:
		candidates = x.byKindNode[r.Kind+"\x00"+r.Node]
	}
	var out []int
	for _, i := range candidates {
		e := x.entries[i]
		if (r.Site == "" || e.Site == r.Site) && (r.Node == "" || e.Step.Node() == r.Node) && (r.Kind == "" || e.Step.Kind() == r.Kind) {
			out = append(out, i)
		}
	}
	return out
}

// newGraph resolves every entry's relations; a cycle is a diagnostic
// naming the blocks that wait for each other.
func newGraph(entries []steps.Entry, cfg *hcl.Config) (*graph, hashicl.Diagnostics) {
	x := newEntryIndex(entries)
	g := &graph{deps: make([][]int, len(entries)), follows: make([][]int, len(entries)), ahead: make([][]int, len(entries)), follower: make([]bool, len(entries))}
	// why[i][j] is the reference a user wrote that made i wait for j.
	why := map[[2]int]*hashicl.Range{}
	for i, e := range entries {
		seen := map[int]bool{}
		add := func(r steps.Ref, follow bool) {
			for _, j := range x.resolve(r) {
				if follow {
					g.follows[i] = append(g.follows[i], j)
				}
				if r.Range != nil {
					why[[2]int{i, j}] = r.Range
				}
				if !seen[j] {
					seen[j] = true
					g.deps[i] = append(g.deps[i], j)
				}
			}
		}
		for _, r := range e.After {
			add(r, false)
		}
		for _, r := range e.OnChange {
			add(r, true)
		}
		g.follower[i] = len(e.OnChange) > 0
	}
	chainWriters(entries, g)
	g.goAhead(entries, x)
	if cycle := g.findCycle(); cycle != nil {
		return nil, hashicl.Diagnostics{cycleDiagnostic(cycle, entries, why, cfg)}
	}
	g.measureDepth()
	return g, nil
}

// chainWriters makes steps of one node that write the same file wait for
// the one declared before them.
func chainWriters(entries []steps.Entry, g *graph) {
	last := map[string]int{} // node + "\x00" + path → the latest writer so far
	for i, e := range entries {
		w, ok := e.Step.(steps.Writer)
		if !ok {
			continue
		}
		for _, p := range w.Writes() {
			key := e.Step.Node() + "\x00" + p
			if j, ok := last[key]; ok && !slices.Contains(g.deps[i], j) {
				g.deps[i] = append(g.deps[i], j)
			}
			last[key] = i
		}
	}
}

// goAhead makes the entries each entry goes ahead of wait for it, but for
// those it waits for itself, however indirectly: they still run first
// (the key a snapshot pulls with is set up before the snapshot of the
// node it reads). Each edge added points into the entry going ahead,
// from one outside what it waits for, so no cycle can come of it.
func (g *graph) goAhead(entries []steps.Entry, x *entryIndex) {
	for i, e := range entries {
		if len(e.Ahead) == 0 {
			continue
		}
		before := g.closure(i)
		for _, r := range e.Ahead {
			for _, j := range x.resolve(r) {
				if j == i || before[j] || slices.Contains(g.ahead[i], j) {
					continue
				}
				g.ahead[i] = append(g.ahead[i], j)
				if !slices.Contains(g.deps[j], i) {
					g.deps[j] = append(g.deps[j], i)
				}
			}
		}
	}
}

// closure is every entry i waits for, directly or not.
func (g *graph) closure(i int) map[int]bool {
	seen := map[int]bool{}
	stack := append([]int(nil), g.deps[i]...)
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[j] {
			continue
		}
		seen[j] = true
		stack = append(stack, g.deps[j]...)
	}
	return seen
}

// findCycle returns the entries of one cycle, in the order each waits for
// the next, or nil.
func (g *graph) findCycle() []int {
	const (
		unvisited = iota
		active
		done
	)
	state := make([]int, len(g.deps))
	var stack []int
	var cycle []int
	var visit func(i int) bool
	visit = func(i int) bool {
		state[i] = active
		stack = append(stack, i)
		for _, j := range g.deps[i] {
			switch state[j] {
			case active:
				for k := len(stack) - 1; k >= 0; k-- {
					if stack[k] == j {
						cycle = append([]int(nil), stack[k:]...)
						return true
					}
				}
			case unvisited:
				if visit(j) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = done
		return false
	}
	for i := range g.deps {
		if state[i] == unvisited && visit(i) {
			return cycle
		}
	}
	return nil
}

func cycleDiagnostic(cycle []int, entries []steps.Entry, why map[[2]int]*hashicl.Range, cfg *hcl.Config) *hashicl.Diagnostic {
	var names []string
	var subject *hashicl.Range
	var blocks []string
	seen := map[string]bool{}
	for k, i := range cycle {
		e := entries[i]
		name := e.Step.ID()
		if e.Block != "" {
			name = e.Block + " (" + e.Step.Node() + ")"
			if !seen[e.Block] {
				seen[e.Block] = true
				blocks = append(blocks, describeBlock(cfg, e.Site, e.Block))
			}
		}
		names = append(names, name)
		next := cycle[(k+1)%len(cycle)]
		if r := why[[2]int{i, next}]; r != nil && subject == nil {
			subject = r
		}
	}
	names = append(names, names[0])
	detail := fmt.Sprintf("These wait for each other, so none could run: %s.", strings.Join(names, " → "))
	if len(blocks) > 0 {
		detail += " Declared at: " + strings.Join(blocks, "; ") + "."
	}
	return &hashicl.Diagnostic{Severity: hashicl.DiagError, Summary: "Cycle in after / on_change", Detail: detail, Subject: subject}
}

// describeBlock names a site's block with where it is declared.
func describeBlock(cfg *hcl.Config, site, address string) string {
	if cfg == nil {
		return address
	}
	if s := cfg.Site(site); s != nil {
		for _, b := range s.Blocks {
			if b.Address() == address {
				return fmt.Sprintf("%s at %s", address, b.DeclRange)
			}
		}
	}
	return address
}

// measureDepth fills depth, visiting entries in Kahn's topological order.
func (g *graph) measureDepth() {
	n := len(g.deps)
	g.depth = make([]int, n)
	waiting := make([]int, n)
	dependents := make([][]int, n)
	for i, deps := range g.deps {
		waiting[i] = len(deps)
		for _, j := range deps {
			dependents[j] = append(dependents[j], i)
		}
	}
	var ready []int
	for i := range waiting {
		if waiting[i] == 0 {
			ready = append(ready, i)
		}
	}
	for len(ready) > 0 {
		i := ready[0]
		ready = ready[1:]
		for _, j := range dependents[i] {
			g.depth[j] = max(g.depth[j], g.depth[i]+1)
			waiting[j]--
			if waiting[j] == 0 {
				ready = append(ready, j)
			}
		}
	}
}

// planOrder sorts entry indices as a plan lists them: by depth, then by
// node in config order, then as compiled.
func (g *graph) planOrder(entries []steps.Entry, nodes []string) []int {
	rank := map[string]int{}
	for i, n := range nodes {
		rank[n] = i
	}
	out := make([]int, len(entries))
	for i := range out {
		out[i] = i
	}
	sort.SliceStable(out, func(a, b int) bool {
		i, j := out[a], out[b]
		if g.depth[i] != g.depth[j] {
			return g.depth[i] < g.depth[j]
		}
		ni, nj := rank[entries[i].Step.Node()], rank[entries[j].Step.Node()]
		if ni != nj {
			return ni < nj
		}
		return i < j
	})
	return out
}
