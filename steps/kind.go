package steps

import (
	"sort"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
)

// Kind is one kind of block recipes and sites hold, registered once, in
// the file of the steps it compiles to: its schema, its checks, the paths
// it claims and how one block of a site compiles to steps on nodes.
// Nothing outside that file knows the kind: package hcl decodes its
// blocks through block.Kind, package cluster compiles them through
// Compile.
type Kind struct {
	Type      string          // the block type: "cron"
	LabelKind block.LabelKind // a path under the root, or a name
	// Arguments and their types; Check converts each known one.
	Arguments []Argument
	Nested    []hashicl.BlockHeaderSchema // nested blocks, kept unevaluated
	// IsStep marks a declared step: it runs on the nodes its `on` names
	// (DefaultOn when absent) and takes after and on_change.
	IsStep    bool
	DefaultOn string
	// Validate checks a block beyond its arguments' types, from the
	// values known (see block.Kind.Check).
	Validate func(d *block.Decl) hashicl.Diagnostics
	// ClaimsOf lists the paths a block takes; nil: none.
	ClaimsOf func(d *block.Decl) []block.Claim
	// DefaultsOf gives absent arguments' defaults for `recipes show`.
	DefaultsOf func(d *block.Decl) map[string]cty.Value
	// Compile turns one block of a site into entries.
	Compile func(u *Unit) ([]Entry, hashicl.Diagnostics)
}

// Argument is one argument of a kind's blocks.
type Argument struct {
	Name     string
	Type     cty.Type // cty.DynamicPseudoType: any
	Required bool
}

var (
	_ block.Kind      = (*Kind)(nil)
	_ block.Defaulter = (*Kind)(nil)
)

func (k *Kind) Name() string           { return k.Type }
func (k *Kind) Label() block.LabelKind { return k.LabelKind }
func (k *Kind) Step() bool             { return k.IsStep }

func (k *Kind) Schema() *hashicl.BodySchema {
	s := &hashicl.BodySchema{Blocks: k.Nested}
	for _, a := range k.Arguments {
		s.Attributes = append(s.Attributes, hashicl.AttributeSchema{Name: a.Name, Required: a.Required})
	}
	return s
}

// Check converts each known argument to its type, then runs Validate.
func (k *Kind) Check(d *block.Decl) hashicl.Diagnostics {
	types := map[string]cty.Type{}
	for _, a := range k.Arguments {
		if a.Type != cty.DynamicPseudoType && a.Type != cty.NilType {
			types[a.Name] = a.Type
		}
	}
	diags := d.TypeErrors(types)
	if diags.HasErrors() || k.Validate == nil {
		return diags
	}
	return append(diags, k.Validate(d)...)
}

func (k *Kind) Claims(d *block.Decl) []block.Claim {
	if k.ClaimsOf == nil {
		return nil
	}
	return k.ClaimsOf(d)
}

func (k *Kind) Defaults(d *block.Decl) map[string]cty.Value {
	if k.DefaultsOf == nil {
		return nil
	}
	return k.DefaultsOf(d)
}

// registry holds every kind, filled by each kind's file as the package
// initialises and never changed after.
var registry = map[string]*Kind{}

// stepMetaArguments are the arguments the loader gives every step kind
// (hcl's stepMeta) and reads itself: a step kind's own argument of one of
// these names would never reach the kind.
var stepMetaArguments = map[string]bool{"on": true, "after": true, "on_change": true}

// register adds k to the registry; a kind's file calls it once, in a
// package-level var, so the kind is known before main runs.
func register(k *Kind) *Kind {
	if _, dup := registry[k.Type]; dup {
		panic("steps: block kind " + k.Type + " registered twice")
	}
	for _, a := range k.Arguments {
		if k.IsStep && stepMetaArguments[a.Name] {
			panic("steps: block kind " + k.Type + " has an argument " + a.Name + ", which is a meta-argument of every step")
		}
	}
	registry[k.Type] = k
	return k
}

// kindOrder is the order kinds are listed and shown in: the folder kinds
// first, as a recipe reads, then steps by name.
var kindOrder = map[string]int{"dynamic_dir": 0, "cache_dir": 1, "local_dir": 2, "writable": 3}

// Kinds lists every registered kind, in the order recipes show them.
func Kinds() []*Kind {
	out := make([]*Kind, 0, len(registry))
	for _, k := range registry {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		oi, iFolder := kindOrder[out[i].Type]
		oj, jFolder := kindOrder[out[j].Type]
		switch {
		case iFolder && jFolder:
			return oi < oj
		case iFolder != jFolder:
			return iFolder
		}
		return out[i].Type < out[j].Type
	})
	return out
}

// BlockKinds is Kinds as package hcl takes them.
func BlockKinds() []block.Kind {
	ks := Kinds()
	out := make([]block.Kind, len(ks))
	for i, k := range ks {
		out[i] = k
	}
	return out
}

// KindOf returns the registered kind named name, or nil.
func KindOf(name string) *Kind { return registry[name] }
