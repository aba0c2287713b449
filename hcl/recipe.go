package hcl

import (
	"strings"

	hashicl "github.com/hashicorp/hcl/v2"
)

// recipeDecl is a recipe block before `extends` is resolved.
type recipeDecl struct {
	recipe  *Recipe
	own     folders
	extends *hashicl.Range // the extends expression, for diagnostics
}

// decodeRecipes decodes every recipe, built-in and the user's, and
// resolves `extends`: a recipe's folders are its parent's with its own
// applied on top (same path replaces, new paths append).
func (d *decoder) decodeRecipes(ctx *hashicl.EvalContext) map[string]*Recipe {
	decls := map[string]*recipeDecl{}
	var order []string
	names := newNameSet("recipe")
	for _, b := range d.blocks["recipe"] {
		name := b.Labels[0]
		if !checkName("recipe", name, b.LabelRanges[0], &d.diags) || !names.add(name, b.LabelRanges[0], &d.diags) {
			continue
		}
		content, ds := b.Body.Content(recipeSchema)
		d.diags = append(d.diags, ds...)
		r := &Recipe{Name: name, Builtin: d.builtin[b], DeclRange: b.DefRange}
		a := attrs{all: content.Attributes, ctx: ctx}
		a.string("extends", &r.Extends)
		a.string("description", &r.Description)
		d.diags = append(d.diags, a.diags...)
		decl := &recipeDecl{recipe: r, own: d.decodeFolders(content, ctx, describe("recipe", name))}
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
		if r := resolved[name]; r != nil {
			d.diags = append(d.diags, r.folders().check(describe("recipe", name))...)
		} else {
			delete(resolved, name)
		}
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
	if r.Extends == "" {
		r.DynamicDirs, r.CacheDirs, r.LocalDirs, r.Writable = decl.own.Dynamic, decl.own.Cache, decl.own.Local, decl.own.Writable
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
	merged := parent.folders().merge(decl.own)
	r.DynamicDirs, r.CacheDirs, r.LocalDirs, r.Writable = merged.Dynamic, merged.Cache, merged.Local, merged.Writable
	if r.Description == "" {
		r.Description = parent.Description
	}
	resolved[name] = r
	return r
}

func (r *Recipe) folders() folders {
	return folders{Dynamic: r.DynamicDirs, Cache: r.CacheDirs, Local: r.LocalDirs, Writable: r.Writable}
}
