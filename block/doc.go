// Package block is the contract between the configuration language
// (package hcl) and the step kinds (package steps). A recipe or site body is
// a list of typed blocks; each Kind says what its blocks look like (label,
// arguments, whether it is a step that runs on nodes), what is wrong with
// one (Check), and which paths one takes under the site root or on the
// storage (Claims). Decl is one block as written: its label, its arguments
// kept as unevaluated expressions, and their values once known. Conflicts
// finds claims that would fight (a cache inside user data, two folders
// sharing one place on the storage) in n log n. A path label may be a
// pattern (pattern.go: `sites/*/files`, each wildcard within one folder
// name), which claims compare with every path it might match.
//
// Package hcl decodes bodies against the kinds it is given and checks them
// at load; package steps registers one Kind per block kind and compiles
// blocks into steps; package cluster hands the one to the other. This
// package must not import anything of shoal's.
package block
