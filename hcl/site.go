package hcl

import (
	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
)

// siteFields adds a partial `site` to ctx while a site's own attributes
// are read, so they can say ${site.name} and, once root is known,
// ${site.root}.
func siteFields(ctx *hashicl.EvalContext, fields map[string]string) *hashicl.EvalContext {
	obj := map[string]cty.Value{}
	for k, v := range fields {
		obj[k] = cty.StringVal(v)
	}
	child := ctx.NewChild()
	child.Variables = map[string]cty.Value{"site": cty.ObjectVal(obj)}
	return child
}

// decodeSites decodes `site` blocks, flattens each one's recipe into it
// and checks every reference.
func (d *decoder) decodeSites(base *hashicl.EvalContext, cfg *Config) []*Site {
	var sites []*Site
	names := newNameSet("site")
	for _, b := range d.blocks["site"] {
		name := b.Labels[0]
		if !checkName("site", name, b.LabelRanges[0], &d.diags) || !names.add(name, b.LabelRanges[0], &d.diags) {
			continue
		}
		content, ds := b.Body.Content(bodySchema(siteAttributes, d.kindOrder, false))
		d.diags = append(d.diags, ds...)
		if ds.HasErrors() {
			continue
		}
		s := &Site{Name: name, DeclRange: b.DefRange}
		a := attrs{all: content.Attributes, ctx: siteFields(base, map[string]string{"name": name})}
		a.string("root", &s.Root)
		a.ctx = siteFields(base, map[string]string{"name": name, "root": s.Root})
		a.string("recipe", &s.RecipeName)
		a.string("primary", &s.Primary)
		a.strings("nodes", &s.Nodes)
		a.string("storage", &s.Storage)
		a.string("owner", &s.Owner)
		a.string("group", &s.Group)
		a.string("on_conflict", &s.OnConflict)
		a.bool("snapshot_before_apply", &s.SnapshotBeforeApply)
		a.bool("follow_root_link", &s.FollowRootLink)
		a.bool("fix_ids", &s.FixIDs)
		d.diags = append(d.diags, a.diags...)
		mark := len(d.diags)
		own := d.decodeBody(content, d.origin(b, describeOwner("site", name)))
		ownDiags := d.takeDiags(mark)
		if a.diags.HasErrors() {
			d.diags = append(d.diags, ownDiags...)
			continue
		}
		check := siteCheck{d: d, cfg: cfg, site: s, attrs: content.Attributes}
		check.root()
		check.nodes()
		check.account()
		check.onConflict()
		recipe := check.recipe()
		check.params(recipe, a.ctx)
		check.blocks(recipe, own, ownDiags, base)
		check.detect(recipe, base)
		check.storage()
		check.snapshotBeforeApply()
		sites = append(sites, s)
	}
	d.checkSharedRoots(sites)
	return sites
}

// blocks flattens the recipe's blocks with the site's own applied, checks
// what the site's values make checkable, and the references between them.
func (c *siteCheck) blocks(r *Recipe, own body, ownDiags hashicl.Diagnostics, base *hashicl.EvalContext) {
	s := c.site
	var inherited []*block.Decl
	if r != nil {
		inherited = r.Blocks
	}
	owner := describeOwner("site", s.Name)
	var from map[*block.Decl]*block.Decl
	merged := c.d.merge(inherited, own, owner)
	s.Blocks, from = c.d.keepWhen(merged, c.cfg.siteContext(base, s))
	mine := map[*block.Decl]bool{}
	claims := false
	for _, b := range own.blocks {
		mine[b] = true
		claims = true
	}
	for copied, b := range from {
		mine[copied] = mine[b]
	}
	// A recipe's blocks that use the site or its parameters are checked
	// again now that they are known; the rest were checked with the recipe.
	recheck := func(b *block.Decl) bool { return mine[b] || refersTo(b, "site", "param") }
	for _, b := range s.Blocks {
		if _, decided := from[b]; !mine[b] && (refersTo(b, "site", "param") || decided) {
			claims = true
		}
	}
	s.Blocks = c.d.checkBlocks(s.Blocks, c.cfg.siteContext(base, s), owner, recheck, claims, ownDiags)
	c.references(merged)
}

// references checks that after and on_change name blocks of the site. A
// block that is declared but left out by its when (a recipe's other
// mode) may be named: there is then nothing to wait for.
func (c *siteCheck) references(declared []*block.Decl) {
	s := c.site
	known := map[string]bool{}
	for _, b := range declared {
		known[b.Address()] = true
	}
	candidates := sortedKeys(known)
	for _, b := range s.Blocks {
		for _, refs := range [][]block.Ref{b.After, b.OnChange} {
			for _, ref := range refs {
				if ref.Label != "" && !known[ref.String()] {
					c.d.diags = append(c.d.diags, errorAt(ref.Range.Ptr(), "Unknown reference",
						"Site %q: %s refers to %s, which the site does not have.%s", s.Name, b.Describe(), ref, didYouMean(ref.String(), candidates)))
				}
			}
		}
	}
}
