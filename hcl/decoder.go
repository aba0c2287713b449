package hcl

import (
	hashicl "github.com/hashicorp/hcl/v2"

	"github.com/shoal-sh/shoal/block"
)

// decoder turns parsed files into a Config. Each block kind is decoded in
// its own file; references between kinds are checked once all are known.
type decoder struct {
	blocks    map[string][]*hashicl.Block
	builtin   map[*hashicl.Block]bool // recipe blocks embedded from recipes/
	kinds     map[string]block.Kind   // the kinds recipe and site bodies hold
	kindOrder []block.Kind
	variables map[string]*Variable // once decoded: which are sensitive
	diags     hashicl.Diagnostics
}

func newDecoder(kinds []block.Kind) *decoder {
	d := &decoder{blocks: map[string][]*hashicl.Block{}, builtin: map[*hashicl.Block]bool{}, kinds: map[string]block.Kind{}, kindOrder: kinds}
	for _, k := range kinds {
		d.kinds[k.Name()] = k
	}
	return d
}

// declaredRecipe reports whether a recipe block named name exists, even
// one that failed to resolve.
func (d *decoder) declaredRecipe(name string) bool {
	for _, b := range d.blocks["recipe"] {
		if b.Labels[0] == name {
			return true
		}
	}
	return false
}

// collect files a body's top-level blocks by type.
func (d *decoder) collect(body hashicl.Body, builtin bool) {
	schema := fileSchema
	if builtin {
		schema = builtinSchema
	}
	content, diags := body.Content(schema)
	d.diags = append(d.diags, diags...)
	for _, b := range content.Blocks {
		d.blocks[b.Type] = append(d.blocks[b.Type], b)
		if builtin {
			d.builtin[b] = true
		}
	}
}

// decode decodes every block in dependency order: variables (used by all
// expressions), nodes, storage, recipes, then sites, which refer to all.
func (d *decoder) decode(values map[string]assignedValue) (*Config, hashicl.Diagnostics) {
	cfg := &Config{}
	var complete bool
	cfg.Variables, complete = d.decodeVariables(values)
	d.variables = cfg.Variables
	if !complete {
		// Every expression using the missing value would fail too.
		return nil, d.diags
	}
	base := baseContext(cfg.Variables)

	cfg.Nodes = d.decodeNodes(base)
	cfg.Storages = d.decodeStorages(base, cfg.Nodes)
	cfg.Recipes = d.decodeRecipes(base)
	cfg.Sites = d.decodeSites(base, cfg)
	if d.diags.HasErrors() {
		return nil, d.diags
	}
	return cfg, d.diags
}

func (c *Config) nodeNames() []string {
	names := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		names[i] = n.Name
	}
	return names
}

func (c *Config) storageNames() []string {
	names := make([]string, len(c.Storages))
	for i, s := range c.Storages {
		names[i] = s.Name
	}
	return names
}

// Node returns the node named name, or nil.
func (c *Config) Node(name string) *Node {
	for _, n := range c.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Storage returns the storage named name, or nil.
func (c *Config) Storage(name string) *Storage {
	for _, s := range c.Storages {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Site returns the site named name, or nil.
func (c *Config) Site(name string) *Site {
	for _, s := range c.Sites {
		if s.Name == name {
			return s
		}
	}
	return nil
}
