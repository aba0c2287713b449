package hcl

import (
	hashicl "github.com/hashicorp/hcl/v2"

	"github.com/shoal-sh/shoal/block"
)

// The schemas below, with the block kinds a Loader is given, are the
// whole language: hcl reports any block or attribute not listed as
// unsupported, with its range.

var fileSchema = &hashicl.BodySchema{
	Blocks: []hashicl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "node", LabelNames: []string{"name"}},
		{Type: "storage", LabelNames: []string{"name"}},
		{Type: "site", LabelNames: []string{"name"}},
		{Type: "recipe", LabelNames: []string{"name"}},
	},
}

// builtinSchema: embedded recipe files hold recipes only.
var builtinSchema = &hashicl.BodySchema{
	Blocks: []hashicl.BlockHeaderSchema{
		{Type: "recipe", LabelNames: []string{"name"}},
	},
}

var variableSchema = &hashicl.BodySchema{
	Attributes: []hashicl.AttributeSchema{
		{Name: "default"},
		{Name: "sensitive"},
		{Name: "description"},
	},
}

var nodeSchema = &hashicl.BodySchema{
	Attributes: []hashicl.AttributeSchema{
		{Name: "host"},
		{Name: "address"},
		{Name: "user"},
		{Name: "port"},
		{Name: "sudo"},
		{Name: "jump"},
		{Name: "identity_file"},
		{Name: "roles"},
	},
}

var storageSchema = &hashicl.BodySchema{
	Attributes: []hashicl.AttributeSchema{
		{Name: "type", Required: true},
		{Name: "server"},
		{Name: "address"},
		{Name: "export"},
		{Name: "mount", Required: true},
		{Name: "options"},
		{Name: "allow"},
		{Name: "credentials"},
		{Name: "mount_over"},
	},
}

var siteAttributes = []hashicl.AttributeSchema{
	{Name: "recipe"},
	{Name: "root", Required: true},
	{Name: "primary", Required: true},
	{Name: "nodes", Required: true},
	{Name: "storage"},
	{Name: "owner"},
	{Name: "group"},
	{Name: "on_conflict"},
	{Name: "follow_root_link"},
	{Name: "fix_ids"},
	{Name: "params"},
	{Name: "snapshot_before_apply"},
}

var recipeAttributes = []hashicl.AttributeSchema{
	{Name: "extends"},
	{Name: "description"},
	{Name: "detect"},
}

// excludeBlock removes an inherited block: exclude "cache_dir" "tmp" {}.
var excludeBlock = hashicl.BlockHeaderSchema{Type: "exclude", LabelNames: []string{"kind", "label"}}

var paramBlock = hashicl.BlockHeaderSchema{Type: "param", LabelNames: []string{"name"}}

var paramSchema = &hashicl.BodySchema{
	Attributes: []hashicl.AttributeSchema{
		{Name: "default"},
		{Name: "sensitive"},
		{Name: "description"},
	},
}

// stepMeta are the meta-arguments every step kind takes; when, every
// kind.
var stepMeta = []hashicl.AttributeSchema{{Name: "on"}, {Name: "after"}, {Name: "on_change"}}

var whenMeta = hashicl.AttributeSchema{Name: "when"}

// bodySchema is a recipe's or a site's schema: its attributes, then a
// block type per kind, then exclude (and param, in recipes).
func bodySchema(attrs []hashicl.AttributeSchema, kinds []block.Kind, recipe bool) *hashicl.BodySchema {
	s := &hashicl.BodySchema{Attributes: attrs}
	for _, k := range kinds {
		s.Blocks = append(s.Blocks, hashicl.BlockHeaderSchema{Type: k.Name(), LabelNames: []string{labelName(k)}})
	}
	s.Blocks = append(s.Blocks, excludeBlock)
	if recipe {
		s.Blocks = append(s.Blocks, paramBlock)
	}
	return s
}

func labelName(k block.Kind) string {
	if k.Label() == block.LabelPath {
		return "path"
	}
	return "name"
}

// kindSchema is the schema of one kind's blocks: its own, plus when, and
// the step meta-arguments for steps.
func kindSchema(k block.Kind) *hashicl.BodySchema {
	own := k.Schema()
	s := &hashicl.BodySchema{Blocks: own.Blocks}
	s.Attributes = append(append(s.Attributes, own.Attributes...), whenMeta)
	if k.Step() {
		s.Attributes = append(s.Attributes, stepMeta...)
	}
	return s
}
