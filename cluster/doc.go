// Package cluster ties the pieces together. Compile turns a Config into
// steps on nodes: per site the built-in ones (the storage's export, fstab
// and mount on each node, the site root, detect and owner checks,
// replicate to each replica, whose exclusions come from the blocks'
// claims) and, through the registry of package steps, what each block
// compiles to, evaluated per node; every entry's relations (after,
// on_change, and the built-in defaults) become a graph, whose cycles are
// diagnostics. The Planner gathers every node's facts in one round trip,
// diffs the steps into a plan.Plan in topological order, settles
// followers (on_change) and wires each change after the nearest changes
// it depends on. Steps that stand for others (steps.Expander: a folder
// pattern's Glob) are expanded once the facts are in, the new steps'
// facts gathered in one more round trip per node, and the graph rebuilt
// with each expansion in its expander's place. Runner carries a plan's changes out through the steps
// that made them (several Scripters of a node in one session). Locker
// holds the per-node apply lock.
//
// Nothing here knows a kind of block: a new kind is a file in steps.
// It must not render anything or read flags: the command layer does.
package cluster
