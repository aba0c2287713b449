package hcl

import (
	hashicl "github.com/hashicorp/hcl/v2"
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

// folders flattens the recipe's folders with the site's own appended.
func (c *siteCheck) folders(own folders) {
	s := c.site
	base := folders{}
	if s.RecipeName != "" {
		r, ok := c.cfg.Recipes[s.RecipeName]
		if !ok {
			if !c.d.declaredRecipe(s.RecipeName) {
				c.fail("recipe", "Unknown recipe",
					"Site %q: recipe %q is neither built in nor declared.%s", s.Name, s.RecipeName, didYouMean(s.RecipeName, sortedKeys(c.cfg.Recipes)))
			}
			return
		}
		base = r.folders()
	}
	all := base.merge(own)
	s.DynamicDirs, s.CacheDirs, s.LocalDirs, s.Writable = all.Dynamic, all.Cache, all.Local, all.Writable
	if len(own.Dynamic)+len(own.Cache)+len(own.Local) > 0 {
		c.d.diags = append(c.d.diags, all.check(describe("site", s.Name))...)
	}
}

// storage checks the site's storage and the roles it gives nodes: the
// storage's mount point must not overlap the site root, and a node may
// not both serve an export and mount the storage over that same path
// (the clash rule: the client mount would hide the server's data).
func (c *siteCheck) storage() {
	s := c.site
	if s.Storage == "" {
		if len(s.DynamicDirs) > 0 {
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
		if n == st.Server && (within(st.Export, st.Mount) || within(st.Mount, st.Export)) {
			c.fail("nodes", "Node roles clash",
				"Node %q serves storage %q from %s and, as a node of site %q, would mount it at %s: the mount would hide the exported data. Use a different mount point or export.",
				n, st.Name, st.Export, s.Name, st.Mount)
		}
	}
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
