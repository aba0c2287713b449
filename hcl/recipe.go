package hcl

import (
	"os"
	"path/filepath"
	"strings"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/recipes"
)

// recipeDecl is a recipe block before `extends` is resolved.
type recipeDecl struct {
	recipe  *Recipe
	params  []*Param
	own     body
	diags   hashicl.Diagnostics // of decoding its body, reported with its checks
	extends *hashicl.Range      // the extends expression, for diagnostics
}

// decodeRecipes decodes every recipe, built-in and the user's, and
// resolves `extends`: a recipe's blocks and parameters are its parent's
// with its own applied on top (same kind and label, or same parameter
// name, replaces; new ones append; exclude removes).
func (d *decoder) decodeRecipes(base *hashicl.EvalContext) map[string]*Recipe {
	decls := map[string]*recipeDecl{}
	var order []string
	names := newNameSet("recipe")
	for _, b := range d.blocks["recipe"] {
		name := b.Labels[0]
		if !checkName("recipe", name, b.LabelRanges[0], &d.diags) || !names.add(name, b.LabelRanges[0], &d.diags) {
			continue
		}
		content, ds := b.Body.Content(bodySchema(recipeAttributes, d.kindOrder, true))
		d.diags = append(d.diags, ds...)
		r := &Recipe{Name: name, Builtin: d.builtin[b], DeclRange: b.DefRange}
		a := attrs{all: content.Attributes, ctx: base}
		a.string("extends", &r.Extends)
		a.string("description", &r.Description)
		d.diags = append(d.diags, a.diags...)
		if attr, ok := content.Attributes["detect"]; ok {
			r.Detect = attr.Expr
		}
		o := d.origin(b, describeOwner("recipe", name))
		mark := len(d.diags)
		decl := &recipeDecl{recipe: r, own: d.decodeBody(content, o), params: d.decodeParams(content, base, o.owner)}
		decl.diags = d.takeDiags(mark)
		if attr, ok := content.Attributes["extends"]; ok {
			decl.extends = attr.Expr.Range().Ptr()
		}
		decls[name] = decl
		order = append(order, name)
	}

	resolved := map[string]*Recipe{}
	for _, name := range order {
		d.resolveRecipe(name, decls, resolved, nil)
	}
	for _, name := range order {
		r := resolved[name]
		if r == nil {
			d.diags = append(d.diags, decls[name].diags...)
			delete(resolved, name)
			continue
		}
		// A recipe's own blocks are checked here, with its parameters
		// declared but unknown; inherited ones were checked in their own.
		own := map[*block.Decl]bool{}
		for _, b := range decls[name].own.blocks {
			own[b] = true
		}
		ctx := recipeContext(base, r.Params)
		r.Blocks = d.checkBlocks(r.Blocks, ctx, describeOwner("recipe", name), func(b *block.Decl) bool { return own[b] }, true, decls[name].diags)
	}
	return resolved
}

// resolveRecipe flattens name onto its parents, depth first; chain holds
// the recipes being resolved, to catch cycles. It returns nil, and
// records nil in resolved so the problem is reported once, when name
// cannot be resolved.
func (d *decoder) resolveRecipe(name string, decls map[string]*recipeDecl, resolved map[string]*Recipe, chain []string) *Recipe {
	if r, ok := resolved[name]; ok {
		return r
	}
	decl := decls[name]
	for i, c := range chain {
		if c == name {
			cycle := append(append([]string(nil), chain[i:]...), name)
			d.diags = append(d.diags, errorAt(decl.extends, "Cycle in recipe extends",
				"Recipes extend each other in a circle: %s.", strings.Join(cycle, " → ")))
			resolved[name] = nil
			return nil
		}
	}
	r := decl.recipe
	owner := describeOwner("recipe", name)
	if r.Extends == "" {
		r.Blocks = d.merge(nil, decl.own, owner)
		r.Params = decl.params
		resolved[name] = r
		return r
	}
	if _, ok := decls[r.Extends]; !ok {
		d.diags = append(d.diags, errorAt(decl.extends, "Unknown recipe",
			"Recipe %q extends %q, which is neither built in nor declared.%s", name, r.Extends, didYouMean(r.Extends, sortedKeys(decls))))
		resolved[name] = nil
		return nil
	}
	parent := d.resolveRecipe(r.Extends, decls, resolved, append(chain, name))
	if parent == nil {
		resolved[name] = nil
		return nil
	}
	r.Blocks = d.merge(parent.Blocks, decl.own, owner)
	r.Params = mergeParams(parent.Params, decl.params)
	if r.Description == "" {
		r.Description = parent.Description
	}
	if r.Detect == nil {
		r.Detect = parent.Detect
	}
	resolved[name] = r
	return r
}

// decodeParams decodes a recipe's `param` blocks.
func (d *decoder) decodeParams(content *hashicl.BodyContent, ctx *hashicl.EvalContext, owner string) []*Param {
	var params []*Param
	names := newNameSet("param")
	for _, b := range content.Blocks {
		if b.Type != "param" {
			continue
		}
		name := b.Labels[0]
		if !hclsyntax.ValidIdentifier(name) {
			d.diags = append(d.diags, errorAt(b.LabelRanges[0].Ptr(), "Invalid param name",
				"%s: param %q: a name holds letters, digits, '_' and '-', and starts with a letter or '_'.", owner, name))
			continue
		}
		if !names.add(name, b.LabelRanges[0], &d.diags) {
			continue
		}
		c, ds := b.Body.Content(paramSchema)
		d.diags = append(d.diags, ds...)
		p := &Param{Name: name, DeclRange: b.DefRange}
		a := attrs{all: c.Attributes, ctx: ctx}
		a.bool("sensitive", &p.Sensitive)
		a.string("description", &p.Description)
		d.diags = append(d.diags, a.diags...)
		if attr, ok := c.Attributes["default"]; ok {
			v, ds := attr.Expr.Value(ctx)
			d.diags = append(d.diags, ds...)
			if !ds.HasErrors() {
				p.Default = v
			}
		}
		params = append(params, p)
	}
	return params
}

// mergeParams is base's parameters with add's applied: same name replaces.
func mergeParams(base, add []*Param) []*Param {
	out := append([]*Param(nil), base...)
	index := map[string]int{}
	for i, p := range out {
		index[p.Name] = i
	}
	for _, p := range add {
		if i, ok := index[p.Name]; ok {
			out[i] = p
			continue
		}
		index[p.Name] = len(out)
		out = append(out, p)
	}
	return out
}

// origin says who declared b and where its templates are: beside the
// file, or among the embedded recipes for a built-in one.
func (d *decoder) origin(b *hashicl.Block, owner string) origin {
	file := b.DefRange.Filename
	if rel, ok := strings.CutPrefix(file, builtinPrefix); ok && d.builtin[b] {
		return origin{owner: owner, files: recipes.FS, dir: filepath.ToSlash(filepath.Dir(rel))}
	}
	return origin{owner: owner, files: os.DirFS(filepath.Dir(file)), dir: "."}
}

// value is v as p's value: marked when p is sensitive.
func (p *Param) value(v cty.Value) cty.Value {
	if p.Sensitive {
		return v.Mark(block.SensitiveMark)
	}
	return v
}
