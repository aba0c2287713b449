package hcl

import (
	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"

	"github.com/shoal-sh/shoal/block"
)

// siteCheck checks one decoded site against the rest of the config,
// cleaning its paths and flattening its recipe as it goes.
type siteCheck struct {
	d     *decoder
	cfg   *Config
	site  *Site
	attrs hashicl.Attributes
}

func (c *siteCheck) at(attr string) *hashicl.Range {
	return rangeOf(c.attrs, attr, c.site.DeclRange)
}

func (c *siteCheck) fail(attr, summary, format string, args ...any) {
	c.d.diags = append(c.d.diags, errorAt(c.at(attr), summary, format, args...))
}

func (c *siteCheck) root() {
	s := c.site
	clean, problem := checkAbsPath(s.Root, false)
	if problem != "" {
		c.fail("root", "Invalid site root", "Site %q: root %q %s.", s.Name, s.Root, problem)
		return
	}
	s.Root = clean
}

func (c *siteCheck) nodes() {
	s := c.site
	if len(s.Nodes) == 0 {
		c.fail("nodes", "Site without nodes", "Site %q lists no nodes.", s.Name)
	}
	seen := map[string]bool{}
	for _, n := range s.Nodes {
		switch {
		case seen[n]:
			c.fail("nodes", "Duplicate node", "Site %q lists node %q twice.", s.Name, n)
		case c.cfg.Node(n) == nil:
			c.fail("nodes", "Unknown node", "Site %q: node %q is not declared.%s", s.Name, n, didYouMean(n, c.cfg.nodeNames()))
		}
		seen[n] = true
	}
	switch {
	case c.cfg.Node(s.Primary) == nil:
		c.fail("primary", "Unknown node", "Site %q: primary %q is not a declared node.%s", s.Name, s.Primary, didYouMean(s.Primary, s.Nodes))
	case !seen[s.Primary]:
		c.fail("primary", "Primary not in nodes",
			"Site %q: primary %q must be one of the site's nodes; add it to nodes.", s.Name, s.Primary)
	}
}

func (c *siteCheck) account() {
	s := c.site
	if s.Owner != "" && !validName(s.Owner) {
		c.fail("owner", "Invalid owner", "Site %q: %q is not a user name.", s.Name, s.Owner)
	}
	if s.Group != "" && !validName(s.Group) {
		c.fail("group", "Invalid group", "Site %q: %q is not a group name.", s.Name, s.Group)
	}
}

func (c *siteCheck) onConflict() {
	s := c.site
	switch s.OnConflict {
	case "":
		s.OnConflict = "refuse"
	case "refuse", "merge":
	default:
		c.fail("on_conflict", "Invalid on_conflict",
			"Site %q: on_conflict is \"refuse\" (stop when both copies hold data) or \"merge\" (copy what is missing, overwrite nothing), not %q.",
			s.Name, s.OnConflict)
	}
}

// recipe returns the site's recipe, or nil (none, or an unknown one:
// then reported).
func (c *siteCheck) recipe() *Recipe {
	s := c.site
	if s.RecipeName == "" {
		return nil
	}
	r, ok := c.cfg.Recipes[s.RecipeName]
	if !ok && !c.d.declaredRecipe(s.RecipeName) {
		c.fail("recipe", "Unknown recipe",
			"Site %q: recipe %q is neither built in nor declared.%s", s.Name, s.RecipeName, didYouMean(s.RecipeName, sortedKeys(c.cfg.Recipes)))
	}
	return r
}

// params gives each of the recipe's parameters its value: the site's, else
// the default; a parameter the recipe lacks, or one without a value, is
// an error at the site's params.
func (c *siteCheck) params(r *Recipe, ctx *hashicl.EvalContext) {
	s := c.site
	s.Params = map[string]cty.Value{}
	given := map[string]cty.Value{}
	ranges := map[string]hashicl.Range{}
	if attr, ok := c.attrs["params"]; ok {
		if r == nil {
			c.fail("params", "Params without a recipe", "Site %q sets params but uses no recipe.", s.Name)
			return
		}
		given, ranges = c.paramValues(attr, ctx)
	}
	if r == nil {
		return
	}
	declared := map[string]*Param{}
	var names []string
	for _, p := range r.Params {
		declared[p.Name] = p
		names = append(names, p.Name)
	}
	for _, name := range sortedKeys(given) {
		if declared[name] == nil {
			at := ranges[name]
			c.d.diags = append(c.d.diags, errorAt(&at, "Unknown param",
				"Site %q: recipe %q has no param %q.%s", s.Name, r.Name, name, didYouMean(name, names)))
		}
	}
	for _, p := range r.Params {
		v, ok := given[p.Name]
		switch {
		case ok:
		case p.Default != cty.NilVal:
			v = p.Default
		default:
			c.fail("params", "Missing param",
				"Site %q: recipe %q needs param %q (%s), declared at %s; set it with params = { %s = ... }.",
				s.Name, r.Name, p.Name, orNone(p.Description), p.DeclRange, p.Name)
			// unknown, not absent: what reads it is not checked, rather
			// than an "Unsupported attribute" error per use burying this one
			s.Params[p.Name] = p.value(cty.DynamicVal)
			continue
		}
		s.Params[p.Name] = p.value(v)
	}
}

// paramValues evaluates the site's params object, keeping where each key
// is written.
func (c *siteCheck) paramValues(attr *hashicl.Attribute, ctx *hashicl.EvalContext) (map[string]cty.Value, map[string]hashicl.Range) {
	values := map[string]cty.Value{}
	ranges := map[string]hashicl.Range{}
	if obj, ok := attr.Expr.(*hclsyntax.ObjectConsExpr); ok {
		for _, item := range obj.Items {
			k, ds := item.KeyExpr.Value(ctx)
			c.d.diags = append(c.d.diags, ds...)
			if ds.HasErrors() || k.IsNull() || !k.IsKnown() || k.Type() != cty.String {
				continue
			}
			v, ds := item.ValueExpr.Value(ctx)
			c.d.diags = append(c.d.diags, ds...)
			if ds.HasErrors() {
				continue
			}
			values[k.AsString()] = v
			ranges[k.AsString()] = item.KeyExpr.Range()
		}
		return values, ranges
	}
	v, ds := attr.Expr.Value(ctx)
	c.d.diags = append(c.d.diags, ds...)
	if ds.HasErrors() {
		return values, ranges
	}
	if v.IsNull() || !v.IsKnown() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		c.fail("params", "Invalid params", "Site %q: params is an object of parameter values, like { db_name = \"ee\" }.", c.site.Name)
		return values, ranges
	}
	for it := v.ElementIterator(); it.Next(); {
		k, val := it.Element()
		values[k.AsString()] = val
		ranges[k.AsString()] = attr.Expr.Range()
	}
	return values, ranges
}

// detect evaluates the recipe's detect list for the site: files the
// primary's tree must hold.
func (c *siteCheck) detect(r *Recipe, base *hashicl.EvalContext) {
	if r == nil || r.Detect == nil {
		return
	}
	s := c.site
	v, ds := r.Detect.Value(c.cfg.siteContext(base, s))
	c.d.diags = append(c.d.diags, ds...)
	if ds.HasErrors() {
		return
	}
	v, _ = v.UnmarkDeep()
	var paths []string
	list, err := convert.Convert(v, cty.List(cty.String))
	if err == nil {
		err = gocty.FromCtyValue(list, &paths)
	}
	if err != nil {
		c.d.diags = append(c.d.diags, errorAt(r.Detect.Range().Ptr(), "Invalid detect",
			"Recipe %q: detect is a list of files relative to the site root: %s.", r.Name, err))
		return
	}
	for _, p := range paths {
		clean, problem := block.RelPath(p, block.RootBase)
		if problem != "" {
			c.d.diags = append(c.d.diags, errorAt(r.Detect.Range().Ptr(), "Invalid detect",
				"Recipe %q: detect path %q %s.", r.Name, p, problem))
			continue
		}
		s.Detect = append(s.Detect, clean)
	}
}

func orNone(description string) string {
	if description == "" {
		return "no description"
	}
	return description
}

// storage checks the site's storage and the roles it gives nodes: the
// storage's mount point must not overlap the site root, and a node may
// not both serve an export and mount the storage over that same path
// (the clash rule: the client mount would hide the server's data).
func (c *siteCheck) storage() {
	s := c.site
	if s.Storage == "" {
		if c.needsStorage() {
			c.fail("storage", "Site needs storage",
				"Site %q has dynamic folders but no storage to move them to; set storage = \"<name>\".", s.Name)
		}
		return
	}
	st := c.cfg.Storage(s.Storage)
	if st == nil {
		c.fail("storage", "Unknown storage", "Site %q: storage %q is not declared.%s", s.Name, s.Storage, didYouMean(s.Storage, c.cfg.storageNames()))
		return
	}
	if s.Root != "" && st.Mount != "" && (within(s.Root, st.Mount) || within(st.Mount, s.Root)) {
		c.fail("storage", "Root and mount overlap",
			"Site %q: root %s and storage %q's mount point %s are nested; replicas would copy the storage, or the mount would hide the site.",
			s.Name, s.Root, st.Name, st.Mount)
	}
	if st.Server == "" || st.Export == "" || st.Mount == "" {
		return
	}
	for _, n := range s.Nodes {
		if n == st.Server && !st.ServedInPlace() && (within(st.Export, st.Mount) || within(st.Mount, st.Export)) {
			c.fail("nodes", "Node roles clash",
				"Node %q serves storage %q from %s and, as a node of site %q, would mount it at %s: the mount would hide the exported data. Use a different mount point or export, or the export's own path (the server then uses its folder in place).",
				n, st.Name, st.Export, s.Name, st.Mount)
		}
	}
}

// needsStorage reports whether a block of the site moves data to the
// storage.
func (c *siteCheck) needsStorage() bool {
	for _, b := range c.site.Blocks {
		for _, cl := range c.d.kinds[b.Kind].Claims(b) {
			if cl.Use == block.Shared {
				return true
			}
		}
	}
	return false
}

// checkSharedRoots reports two sites whose roots overlap on a node they
// share: each would relocate and replicate the other's files.
func (d *decoder) checkSharedRoots(sites []*Site) {
	for i, a := range sites {
		for _, b := range sites[:i] {
			if !(within(a.Root, b.Root) || within(b.Root, a.Root)) {
				continue
			}
			for _, n := range a.Nodes {
				if contains(b.Nodes, n) {
					d.diags = append(d.diags, errorAt(a.DeclRange.Ptr(), "Sites overlap",
						"Sites %q and %q both live at %s on node %q.", a.Name, b.Name, a.Root, n))
					break
				}
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// snapshotBeforeApply: a site that asks for a snapshot before apply
// changes a node must have a snapshot block to take it with.
func (c *siteCheck) snapshotBeforeApply() {
	s := c.site
	if s.SnapshotBeforeApply && len(s.BlocksOf("snapshot")) == 0 {
		c.fail("snapshot_before_apply", "Nothing to snapshot with",
			"Site %q: snapshot_before_apply = true takes a snapshot of a node with the site's snapshot blocks before apply changes it, and the site has none: add a snapshot block, or use a recipe that has one.", s.Name)
	}
}
