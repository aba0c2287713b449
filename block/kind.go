package block

import (
	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// LabelKind says what a block's one label is.
type LabelKind int

const (
	// LabelPath: a folder or file relative to the site root ("media").
	LabelPath LabelKind = iota
	// LabelName: a name, unique per kind in a body ("wp_config"), which
	// after and on_change refer to as kind.name.
	LabelName
)

// Kind is one kind of block that recipe and site bodies hold.
type Kind interface {
	// Name is the block type: "dynamic_dir", "cron".
	Name() string
	// Label says what the block's label is.
	Label() LabelKind
	// Schema lists the kind's own arguments and nested blocks. The loader
	// adds the meta-arguments of steps (on, after, on_change).
	Schema() *hashicl.BodySchema
	// Step reports a declared step: it runs on the nodes its `on` names
	// and takes after and on_change. Folder kinds are not steps: they
	// shape the site's built-in steps.
	Step() bool
	// Check reports what is wrong with one block, from its label and the
	// arguments in d.Values. At load those are the constant arguments; at
	// compile, every argument evaluated for one node.
	Check(d *Decl) hashicl.Diagnostics
	// Claims lists the paths the block takes, from the same values.
	Claims(d *Decl) []Claim
}

// Defaulter is a Kind whose absent arguments have defaults that `shoal
// recipes show` prints, so a resolved recipe says what it does.
type Defaulter interface {
	Defaults(d *Decl) map[string]cty.Value
}
