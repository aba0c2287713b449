// Package hcl is shoal's configuration language: the schema of node,
// storage, site, recipe and variable blocks, variables and templating,
// recipes with `extends`, and diagnostics that name file:line:col with a
// source snippet. Load returns a checked Config; it never touches the
// network and never runs anything.
//
// hashicorp's hcl/v2 is imported as hashicl throughout, since this package
// is called hcl too.
//
// How a load goes: the built-in recipes (package recipes) are parsed as
// recipes/<file>.hcl, then the user's files; blocks are filed by type;
// variables get their values (--var over --var-file over default); then
// nodes, storage, recipes (extends resolved, parent's folders first, a
// child's entry for the same path replacing the parent's in place) and
// sites (recipe folders, then the site's own) are decoded and checked.
// Every problem found is reported in one run.
//
// Expressions see `var.<name>` everywhere, and inside a site block
// `site.name` and, in every attribute but root itself, `site.root`.
// Node-scoped values (`node.name`) belong to step kinds that run per node
// (cron, file, exec): those will be decoded from recipe and site blocks
// with a context made per node, so siteContext is where to extend.
//
// Role clash rule: a node that is a storage's server may also be a node
// of a site on that storage (its sshfs/nfs client mount is a loopback),
// unless the export and the mount point are the same path or nested:
// then mounting would hide the exported data on that node.
//
// This package must not import anything that talks to hosts (transport,
// facts, steps) nor render anything but diagnostics and HCL.
package hcl
