package hcl

import hashicl "github.com/hashicorp/hcl/v2"

// The schemas below are the whole language: hcl reports any block or
// attribute not listed as unsupported, with its range.

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
	},
}

// folderBlocks are the blocks a recipe and a site share.
var folderBlocks = []hashicl.BlockHeaderSchema{
	{Type: "dynamic_dir", LabelNames: []string{"path"}},
	{Type: "cache_dir", LabelNames: []string{"path"}},
	{Type: "local_dir", LabelNames: []string{"path"}},
	{Type: "writable", LabelNames: []string{"path"}},
}

var siteSchema = &hashicl.BodySchema{
	Attributes: []hashicl.AttributeSchema{
		{Name: "recipe"},
		{Name: "root", Required: true},
		{Name: "primary", Required: true},
		{Name: "nodes", Required: true},
		{Name: "storage"},
		{Name: "owner"},
		{Name: "group"},
		{Name: "on_conflict"},
		{Name: "follow_root_link"},
	},
	Blocks: folderBlocks,
}

var recipeSchema = &hashicl.BodySchema{
	Attributes: []hashicl.AttributeSchema{
		{Name: "extends"},
		{Name: "description"},
	},
	Blocks: folderBlocks,
}

var dynamicDirSchema = &hashicl.BodySchema{
	Attributes: []hashicl.AttributeSchema{{Name: "shared"}},
}

// cacheDirSchema is cache_dir's and local_dir's: keep names top-level
// entries that ship with the code (dot-files always do).
var cacheDirSchema = &hashicl.BodySchema{
	Attributes: []hashicl.AttributeSchema{{Name: "keep"}},
}

var writableSchema = &hashicl.BodySchema{
	Attributes: []hashicl.AttributeSchema{{Name: "mode"}},
}
