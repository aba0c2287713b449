// Package hcl is shoal's configuration language: the schema of node,
// storage, site, recipe and variable blocks, variables and templating,
// recipes with `extends` and parameters, and diagnostics that name
// file:line:col with a source snippet. Load returns a checked Config; it
// never touches the network and never runs anything.
//
// hashicorp's hcl/v2 is imported as hashicl throughout, since this package
// is called hcl too.
//
// Recipe and site bodies are lists of typed blocks. The loader is given
// the kinds (block.Kind; package steps registers them): each kind's
// schema, label and checks. A body is decoded generically: a block's
// label is checked (a path under the root, or a name), its arguments kept
// as expressions (block.Decl), the meta-arguments of steps (on, after,
// on_change) read; `exclude "kind" "label" {}` removes an inherited block.
// Merging for extends and for a site's additions is by kind and label:
// same replaces in place, new appends.
//
// How a load goes: the built-in recipes (package recipes) are parsed as
// recipes/<file>.hcl, then the user's files; blocks are filed by type;
// variables get their values (--var over --var-file over default); then
// nodes, storage, recipes (extends resolved: blocks and params) and sites
// (the recipe's blocks with the site's applied, params given values) are
// decoded and checked. Every problem found is reported in one run.
//
// Expressions are evaluated where their values are known (see eval.go):
// at load with var known and site, param and node unknown, so a kind
// checks what it can; in a site with site and param known; per node, by
// package cluster through Config.Eval, with node known. Sensitive
// variables and parameters are marked (block.SensitiveMark), and so is
// every value computed from one.
//
// Role clash rule: a node that is a storage's server may also be a node
// of a site on that storage (its sshfs/nfs client mount is a loopback),
// unless the export and the mount point are the same path or nested:
// then mounting would hide the exported data on that node.
//
// This package must not import anything that talks to hosts (transport,
// facts, steps) nor render anything but diagnostics and HCL.
package hcl
