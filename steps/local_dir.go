package steps

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
)

// local_dir: `local_dir "logs" {}` is a folder whose contents are each
// node's own. It compiles to no step: replicate copies the folder with its
// top-level dot-files and keep names (shipped with the code), never the
// rest of what is in it, and nothing purges it.
var _ = register(&Kind{
	Type:      "local_dir",
	LabelKind: block.LabelPath,
	Arguments: []Argument{{Name: "keep", Type: cty.List(cty.String)}},
	Validate:  validateKeep,
	ClaimsOf: func(d *block.Decl) []block.Claim {
		return []block.Claim{{Space: block.InRoot, Path: d.Label, Use: block.Local, Decl: d, Keep: d.Strings("keep")}}
	},
})
