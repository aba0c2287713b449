package steps

import (
	"github.com/shoal-sh/shoal/block"
)

// local_dir: `local_dir "logs" {}`: a folder whose contents are each
// node's own. It compiles to no step: replicate copies the folder, never
// what is in it, and nothing purges it.
var _ = register(&Kind{
	Type:      "local_dir",
	LabelKind: block.LabelPath,
	ClaimsOf: func(d *block.Decl) []block.Claim {
		return []block.Claim{{Space: block.InRoot, Path: d.Label, Use: block.Local, Decl: d}}
	},
})
