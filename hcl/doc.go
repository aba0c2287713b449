// Package hcl is shoal's configuration language: the schema of node,
// storage, site, recipe and variable blocks, variables and templating,
// recipes with `extends`, and diagnostics that name file:line:col with a
// source snippet. Load returns a checked Config; it never touches the
// network.
//
// hashicorp's hcl/v2 is imported as hashicl throughout, since this package
// is called hcl too.
package hcl
