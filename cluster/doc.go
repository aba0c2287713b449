// Package cluster ties the pieces together: it compiles a Config into
// steps on nodes, in the order SPEC gives (exports → fstab/mount → relocate
// on the primary → replicate → link and purge on replicas → perms), gathers
// every node's facts in one round trip, diffs the steps into a plan.Plan
// with cross-node dependencies, runs a plan's changes through the steps
// that made them (several Scripters of a node in one session), and holds
// the per-node apply lock.
//
// It must not render anything or read flags: the command layer does.
package cluster
