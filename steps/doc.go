// Package steps holds the Step interface and one file per step kind
// (relocate, replicate, purge, fstab, mount, export, perms, users,
// site-root, detect, credentials, and the kinds recipes declare). A step is a piece of
// desired state on a node: it names the facts it needs, diffs them into a
// plan.Change (or a NoOp with its reason) whose Payload carries the
// decision to apply, and applies that change with idempotent, quoted
// shell over a transport.Host. A Scripter's change can also be carried
// out by one self-checking script, so a node's ready changes share a
// session. An Expander stands for steps only facts can name: a folder
// block's pattern compiles to a Glob, which the planner asks for one step
// per folder of the primary's tree it matches.
//
// It is also the registry of block kinds (kind.go): the file of each
// kind registers its block schema, its checks, the paths it claims under
// the site root and how one block of a site compiles to entries on nodes
// (Entry, with its relations as Refs). A new kind is one file here.
//
// Steps must be safe to re-run from any intermediate state, never lose user
// data, and never print sensitive values. They never act through a symlink
// the site's users could have planted: every script that works inside a
// site root first proves, on the node, that neither the root nor a folder
// on the way is a link (shoal_beneath), and no owner, mode or time is ever
// set on a link. They never parse files nor evaluate expressions: package
// hcl does, through Unit.Eval.
package steps
