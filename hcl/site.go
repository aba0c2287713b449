package hcl

import (
	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// siteContext adds `site` to ctx, so a site's attributes can say
// ${site.name} and, once root is known, ${site.root}.
func siteContext(ctx *hashicl.EvalContext, fields map[string]string) *hashicl.EvalContext {
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
func (d *decoder) decodeSites(ctx *hashicl.EvalContext, cfg *Config) []*Site {
	var sites []*Site
	names := newNameSet("site")
	for _, b := range d.blocks["site"] {
		name := b.Labels[0]
		if !checkName("site", name, b.LabelRanges[0], &d.diags) || !names.add(name, b.LabelRanges[0], &d.diags) {
			continue
		}
		content, ds := b.Body.Content(siteSchema)
		d.diags = append(d.diags, ds...)
		if ds.HasErrors() {
			continue
		}
		s := &Site{Name: name, DeclRange: b.DefRange}
		a := attrs{all: content.Attributes, ctx: siteContext(ctx, map[string]string{"name": name})}
		a.string("root", &s.Root)
		a.ctx = siteContext(ctx, map[string]string{"name": name, "root": s.Root})
		a.string("recipe", &s.RecipeName)
		a.string("primary", &s.Primary)
		a.strings("nodes", &s.Nodes)
		a.string("storage", &s.Storage)
		a.string("owner", &s.Owner)
		a.string("group", &s.Group)
		a.string("on_conflict", &s.OnConflict)
		a.bool("follow_root_link", &s.FollowRootLink)
		d.diags = append(d.diags, a.diags...)
		own := d.decodeFolders(content, a.ctx, describe("site", name))
		if a.diags.HasErrors() {
			continue
		}
		check := siteCheck{d: d, cfg: cfg, site: s, attrs: content.Attributes}
		check.root()
		check.nodes()
		check.account()
		check.onConflict()
		check.folders(own)
		check.storage()
		sites = append(sites, s)
	}
	d.checkSharedRoots(sites)
	return sites
}
