package recipes

import "embed"

// FS holds every built-in recipe file, *.hcl at its root.
//
//go:embed *.hcl
var FS embed.FS
