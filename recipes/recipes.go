package recipes

import "embed"

// FS holds every built-in recipe file, *.hcl at its root, and the files
// a recipe's blocks read with templatefile (scripts, templates), in a
// folder named after the recipe.
//
//go:embed *.hcl */*
var FS embed.FS
