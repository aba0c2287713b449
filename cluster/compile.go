package cluster

import (
	"fmt"
	"path"
	"slices"
	"strings"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/gocty"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/steps"
)

// Compiled is a configuration turned into steps on nodes, with the
// relations between them resolved. A plan expands it (see Planner.Plan):
// Entries then also holds the steps its Expanders stood for, which the
// Runner must find.
type Compiled struct {
	Entries []steps.Entry
	graph   *graph
	// compiled are the entries as compiled, before any expansion; cfg
	// names blocks in diagnostics when the graph is rebuilt.
	compiled []steps.Entry
	cfg      *hcl.Config
}

// Compile turns a config into entries: per site, the built-in steps (its
// storage's export, each node's fstab line and mount, the site root and
// the owner's ids on every node, the recipe's detect files on the
// primary, replicate to each replica) and what each of its blocks
// compiles to through its kind; then the relations between them become
// the graph the planner orders by. With targets, only entries on those
// nodes are kept; they may still read facts elsewhere (a replica's
// replicate reads the primary). Problems are diagnostics naming the block.
func Compile(cfg *hcl.Config, targets []string) (*Compiled, hashicl.Diagnostics) {
	var diags hashicl.Diagnostics
	for _, t := range targets {
		if cfg.Node(t) == nil {
			diags = append(diags, &hashicl.Diagnostic{Severity: hashicl.DiagError, Summary: "Unknown target",
				Detail: fmt.Sprintf("--target %s: no such node in the configuration.", t)})
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	c := &compiler{cfg: cfg, seen: map[string]string{}}
	for _, site := range cfg.Sites {
		c.site(site)
	}
	diags = append(diags, c.diags...)
	if diags.HasErrors() {
		return nil, dedupe(diags)
	}
	entries := c.entries
	if len(targets) > 0 {
		keep := map[string]bool{}
		for _, t := range targets {
			keep[t] = true
		}
		var kept []steps.Entry
		for _, e := range entries {
			if keep[e.Step.Node()] {
				kept = append(kept, e)
			}
		}
		entries = kept
	}
	compiled, ds := relate(entries, cfg)
	diags = append(diags, ds...)
	if diags.HasErrors() {
		return nil, dedupe(diags)
	}
	return compiled, dedupe(diags)
}

// Relate resolves the relations of entries made by hand (tests, tools):
// what Compile does once it has made them.
func Relate(entries []steps.Entry) (*Compiled, hashicl.Diagnostics) {
	return relate(entries, nil)
}

func relate(entries []steps.Entry, cfg *hcl.Config) (*Compiled, hashicl.Diagnostics) {
	g, diags := newGraph(entries, cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	return &Compiled{Entries: entries, graph: g, compiled: entries, cfg: cfg}, nil
}

type compiler struct {
	cfg     *hcl.Config
	entries []steps.Entry
	// seen maps the step IDs compiled so far to the block that made each
	// ("" built in): a storage shared by sites compiles its steps once.
	seen  map[string]string
	diags hashicl.Diagnostics
}

func (c *compiler) add(es ...steps.Entry) {
	for _, e := range es {
		if _, ok := c.seen[e.Step.ID()]; ok {
			continue
		}
		c.seen[e.Step.ID()] = e.Block
		c.entries = append(c.entries, e)
	}
}

// addFrom adds the entries of block b, refusing two blocks that declare
// the same thing on a node (two files at one path).
func (c *compiler) addFrom(b *block.Decl, es []steps.Entry) {
	for _, e := range es {
		if other, ok := c.seen[e.Step.ID()]; ok && other != b.Address() {
			c.diags = append(c.diags, &hashicl.Diagnostic{Severity: hashicl.DiagError, Summary: "Declared twice",
				Detail:  fmt.Sprintf("%s: %s and %s both declare %s; keep one.", b.Owner, b.Describe(), orBuiltIn(other), e.Step.ID()),
				Subject: b.DeclRange.Ptr()})
			continue
		}
		c.add(e)
	}
}

func orBuiltIn(address string) string {
	if address == "" {
		return "a built-in step"
	}
	return address
}

// site compiles one site: its storage, its checks, its blocks, then
// replicate, whose exclusions come from the blocks' claims.
func (c *compiler) site(site *hcl.Site) {
	st := c.cfg.Storage(site.Storage)
	s := &steps.Site{
		Name: site.Name, Root: site.Root, Primary: site.Primary,
		Nodes: site.Nodes, Replicas: site.Replicas(),
		Owner: site.Owner, Group: site.Group, Merge: site.OnConflict == "merge",
		SnapshotBeforeApply: site.SnapshotBeforeApply,
		FollowRootLink:      site.FollowRootLink,
		Secrets:             c.cfg.SensitiveValues(),
	}
	if s.Group == "" {
		s.Group = site.Owner
	}
	if st != nil {
		c.storage(st, site)
		s.Storage = &steps.Storage{Type: st.Type, Mount: st.Mount, Check: mountCheck(st, serverAddress(st, c.cfg))}
		if st.ServedInPlace() {
			s.Storage.ServedBy = st.Server
		}
	}
	c.checks(site, s, st)

	kinds := map[string]*steps.Kind{}
	for _, k := range steps.Kinds() {
		kinds[k.Type] = k
	}
	for _, b := range site.Blocks {
		s.Claims = append(s.Claims, kinds[b.Kind].Claims(b)...)
	}
	first := len(c.entries)
	rootCheck := c.rootChecks(site, s)
	for _, b := range site.Blocks {
		c.block(site, s, kinds[b.Kind], b)
	}
	c.replicate(s)
	c.guard(first, site, rootCheck)
}

// rootChecks checks each node's root (a root that is a link is refused
// unless the site follows it) and, on the primary, the way to each of the
// site's declared folders; it returns each node's check.
func (c *compiler) rootChecks(site *hcl.Site, s *steps.Site) map[string]string {
	checks := map[string]string{}
	for _, n := range site.Nodes {
		check := &steps.SiteRoot{NodeName: n, Site: site.Name, Root: site.Root, Primary: n == site.Primary, FollowLink: site.FollowRootLink}
		if n == site.Primary {
			check.Folders = declaredFolders(s)
		}
		checks[n] = check.ID()
		c.add(steps.Entry{Site: site.Name, Step: check})
	}
	return checks
}

// guard makes every entry compiled for the site since first wait on its
// node's root check, and a replica's tree on the primary's too: while a
// root is refused, nothing of the site there is planned.
func (c *compiler) guard(first int, site *hcl.Site, rootCheck map[string]string) {
	for i := first; i < len(c.entries); i++ {
		e := &c.entries[i]
		n := e.Step.Node()
		check, ok := rootCheck[n]
		if !ok || e.Site != site.Name || e.Step.ID() == check {
			continue
		}
		e.Guards = append(e.Guards, check)
		if e.Step.Kind() == "replicate" {
			e.Guards = append(e.Guards, rootCheck[site.Primary])
		}
	}
}

// declaredFolders lists the site's folders for the primary's root check:
// every folder a block claims under the root, but writable ones on the
// storage (reached through shoal's own link; their perms step checks the
// way on the node).
func declaredFolders(s *steps.Site) []steps.SiteFolder {
	var fs []steps.SiteFolder
	for _, cl := range s.Claims {
		if cl.Space != block.InRoot || cl.Use == block.Written {
			continue
		}
		if cl.Use == block.Owned && insideShared(s, cl.Path) {
			continue
		}
		fs = append(fs, steps.SiteFolder{Kind: cl.Decl.Kind, Dir: cl.Path})
	}
	return fs
}

// insideShared says whether p lies strictly inside a shared folder.
func insideShared(s *steps.Site, p string) bool {
	for _, cl := range s.Claims {
		if cl.Space == block.InRoot && cl.Use == block.Shared && p != cl.Path && block.Within(p, cl.Path) {
			return true
		}
	}
	return false
}

// block compiles one block of a site through its kind; a step's entries
// get the relations it declares and come after the site's folder work on
// their node, as SPEC orders config after files.
func (c *compiler) block(site *hcl.Site, s *steps.Site, k *steps.Kind, b *block.Decl) {
	if k.Compile == nil {
		return
	}
	u := &steps.Unit{Site: s, Decl: b, Eval: func(node string) (*block.Decl, hashicl.Diagnostics) {
		d, diags := c.cfg.Eval(site, b, node)
		if diags.HasErrors() {
			return nil, diags
		}
		return d, append(diags, k.Check(d)...)
	}, Shown: func(node string) (*block.Decl, hashicl.Diagnostics) {
		return c.cfg.EvalShown(site, b, node)
	}, Select: func(words ...string) []string {
		return c.selectNodes(site, words)
	}, Address: func(node string) string {
		if n := c.cfg.Node(node); n != nil {
			return n.NodeAddress()
		}
		return ""
	}}
	if k.IsStep {
		nodes, ok := c.on(site, k, b)
		if !ok {
			return
		}
		u.Nodes = nodes
	}
	entries, diags := k.Compile(u)
	c.diags = append(c.diags, diags...)
	for i := range entries {
		e := &entries[i]
		e.Block = b.Address()
		if !k.IsStep {
			continue
		}
		n := e.Step.Node()
		for _, kind := range []string{"relocate", "replicate", "purge", "perms"} {
			e.After = append(e.After, steps.Ref{Site: site.Name, Node: n, Kind: kind})
		}
		for _, r := range b.After {
			e.After = append(e.After, declaredRef(site.Name, n, r))
		}
		for _, r := range b.OnChange {
			ref := declaredRef(site.Name, n, r)
			if e.Unconditional {
				e.After = append(e.After, ref)
				continue
			}
			e.OnChange = append(e.OnChange, ref)
		}
	}
	c.addFrom(b, entries)
}

// declaredRef is what a step on node declares in after or on_change: a
// block of its site (its entry on the node if it has one, else all of
// them), or a built-in step of the site on the node (mounts serve every
// site of a node).
func declaredRef(site, node string, r block.Ref) steps.Ref {
	if r.Label == "" {
		if r.Kind == "mount" {
			site = ""
		}
		return steps.Ref{Site: site, Node: node, Kind: r.Kind, Range: r.Range.Ptr()}
	}
	return steps.Ref{Site: site, Node: node, Block: r.String(), Near: true, Range: r.Range.Ptr()}
}

// on resolves a step's `on` to nodes, in config order: "primary",
// "replicas", "all" (the site's nodes), or roles and node names of the
// configuration, one or a list of them.
func (c *compiler) on(site *hcl.Site, k *steps.Kind, b *block.Decl) ([]string, bool) {
	words := []string{k.DefaultOn}
	subject := b.DeclRange.Ptr()
	if b.On != nil {
		subject = b.On.Range().Ptr()
		v, diags := c.cfg.EvalExpr(site, b, b.On)
		c.diags = append(c.diags, diags...)
		if diags.HasErrors() {
			return nil, false
		}
		words = onWords(v)
		if words == nil {
			c.diags = append(c.diags, &hashicl.Diagnostic{Severity: hashicl.DiagError, Summary: "Invalid on",
				Detail:  fmt.Sprintf("%s: on is \"primary\", \"replicas\", \"all\", a role or a node name, or a list of them.", b.Owner),
				Subject: subject})
			return nil, false
		}
	}
	nodes := c.selectNodes(site, words)
	if len(nodes) == 0 {
		c.diags = append(c.diags, &hashicl.Diagnostic{Severity: hashicl.DiagError, Summary: "No node to run on",
			Detail:  fmt.Sprintf("Site %q: %s runs on %s, which names no node.", site.Name, b.Describe(), strings.Join(quoteAll(words), ", ")),
			Subject: subject})
		return nil, false
	}
	return nodes, true
}

// selectNodes resolves words as on does, to nodes in config order.
func (c *compiler) selectNodes(site *hcl.Site, words []string) []string {
	want := map[string]bool{}
	for _, w := range words {
		switch w {
		case "primary":
			want[site.Primary] = true
		case "replicas":
			for _, n := range site.Replicas() {
				want[n] = true
			}
		case "all":
			for _, n := range site.Nodes {
				want[n] = true
			}
		default:
			for _, n := range c.cfg.Nodes {
				if n.Name == w || contains(n.Roles, w) {
					want[n.Name] = true
				}
			}
		}
	}
	var nodes []string
	for _, n := range c.cfg.Nodes {
		if want[n.Name] {
			nodes = append(nodes, n.Name)
		}
	}
	return nodes
}

// onWords reads on's value: a string or a list of strings; nil otherwise.
func onWords(v cty.Value) []string {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsWhollyKnown() {
		return nil
	}
	if v.Type() == cty.String {
		return []string{v.AsString()}
	}
	var words []string
	if err := gocty.FromCtyValue(v, &words); err != nil || len(words) == 0 {
		return nil
	}
	return words
}

// storage: the server exports it, and every node of the site has an fstab
// line and a live mount.
func (c *compiler) storage(st *hcl.Storage, site *hcl.Site) {
	if st.Type != "mounted" && st.Server != "" {
		c.add(steps.Entry{Step: &steps.Export{
			NodeName: st.Server, Dir: st.Export, Allow: st.Allow, Type: st.Type,
		}})
	}
	addr := serverAddress(st, c.cfg)
	credentials := credentialsFile(st)
	options := steps.MountOptions(st.Type, st.Export, st.Options, credentials)
	for _, n := range site.Nodes {
		if n == st.Server && st.ServedInPlace() {
			continue // its folder is the storage: nothing to mount there
		}
		cred := &steps.Credentials{NodeName: n, Path: credentials, Content: st.Credentials}
		if credentials != "" {
			c.add(steps.Entry{Step: cred, After: []steps.Ref{{Kind: "export"}}})
		}
		if st.Type != "mounted" {
			c.add(steps.Entry{
				Step: &steps.Fstab{
					NodeName: n, MountPoint: st.Mount,
					Line: steps.FstabLine(st.Type, addr, st.Export, st.Mount, options),
				},
				After: []steps.Ref{{Kind: "export"}},
			})
		}
		mount := &steps.Mount{
			NodeName: n, MountPoint: st.Mount, Type: st.Type,
			ExpectSource: expectedSource(st, addr), VerifyOnly: st.Type == "mounted",
			Storage: st.Name, MoveAside: st.MountOver == "move_aside",
		}
		if st.Type == "sshfs" {
			mount.Login, mount.Server = steps.SSHFSLogin(st.Mount, addr, options), st.Server
			if credentials != "" {
				mount.KeyFile, mount.KeySum = credentials, cred.Sum()
			}
		}
		c.add(steps.Entry{
			Step:  mount,
			After: []steps.Ref{{Node: n, Kind: "fstab"}, {Node: n, Kind: "credentials"}, {Kind: "export"}},
		})
	}
}

// credentialsFile is where a storage's credentials go on its clients
// (steps.Credentials), or "" when it has none.
func credentialsFile(st *hcl.Storage) string {
	switch {
	case st.Credentials == "":
		return ""
	case st.Type == "sshfs":
		return steps.CredentialsDir + "/" + st.Name + ".key"
	}
	return steps.CredentialsDir + "/" + st.Name + ".cred"
}

// checks: the primary holds the recipe's detect files; the owner's
// numbers match wherever files on the storage are
// written (every node of the site, and an nfs server: the Aegir caveat).
func (c *compiler) checks(site *hcl.Site, s *steps.Site, st *hcl.Storage) {
	if len(site.Detect) > 0 {
		c.add(steps.Entry{Site: site.Name, Step: &steps.Detect{NodeName: site.Primary, Site: site.Name, Recipe: site.RecipeName, Root: site.Root, Files: site.Detect}})
	}
	if site.Owner == "" {
		return
	}
	places := map[string][]string{}
	for _, n := range site.Nodes {
		places[n] = []string{site.Root}
	}
	if st != nil && st.Type == "nfs" && st.Server != "" {
		places[st.Server] = append(places[st.Server], st.Export)
	}
	for _, n := range c.cfg.Nodes {
		if ps, ok := places[n.Name]; ok && n.Name != site.Primary {
			c.add(steps.Entry{Site: site.Name, Step: &steps.UserIDs{
				NodeName: n.Name, Site: site.Name, Owner: site.Owner, Group: s.Group, Reference: site.Primary,
				FixIDs: site.FixIDs, Places: ps,
			}})
		}
	}
}

// replicate streams the primary's tree to each replica once the primary's
// folders have moved, leaving out what blocks claim: shared and written
// paths entirely, the contents of purged and local folders. Edited files
// are left out too, but seeded: a replica without one gets the primary's.
func (c *compiler) replicate(s *steps.Site) {
	var skip, seed []string
	var empty []facts.EmptyDir
	for _, cl := range s.Claims {
		if cl.Space != block.InRoot {
			continue
		}
		switch cl.Use {
		case block.Shared, block.Written:
			skip = append(skip, cl.Path)
		case block.Edited:
			if !slices.Contains(seed, cl.Path) {
				seed = append(seed, cl.Path)
			}
		case block.Purged, block.Local:
			empty = append(empty, facts.EmptyDir{Path: cl.Path, Keep: cl.Keep})
		}
	}
	// a file a block writes whole on each node needs no seed
	seed = slices.DeleteFunc(seed, func(p string) bool { return slices.Contains(skip, p) })
	skip = append(skip, seed...)
	for _, n := range s.Replicas {
		c.add(steps.Entry{
			Site: s.Name,
			Step: &steps.Replicate{Site: s.Name, Primary: s.Primary, NodeName: n, Root: s.Root, Skip: skip, Empty: empty, Seed: seed,
				FollowRootLink: s.FollowRootLink},
			After: []steps.Ref{
				{Site: s.Name, Node: s.Primary, Kind: "relocate"},
				{Node: n, Kind: "users"},
				{Node: n, Kind: "mount"},
			},
		})
	}
}

// serverAddress is how clients reach the storage server.
func serverAddress(st *hcl.Storage, cfg *hcl.Config) string {
	if st.Address != "" {
		return st.Address
	}
	if n := cfg.Node(st.Server); n != nil {
		return n.Host
	}
	return st.Server
}

// expectedSource is the mount source the kernel shows for the storage.
func expectedSource(st *hcl.Storage, addr string) string {
	switch st.Type {
	case "nfs":
		return addr + ":" + st.Export
	case "sshfs":
		if !strings.Contains(addr, "@") {
			addr = "root@" + addr
		}
		return addr + ":" + st.Export
	case "cifs":
		return "//" + addr + "/" + path.Base(st.Export)
	}
	return ""
}

// mountCheck is what relocate proves of the storage before it moves or
// links anything: the mount's source is the storage server's export (a
// local folder or another server won't do), or, when the kernel names the
// source differently (cifs), at least the filesystem type.
func mountCheck(st *hcl.Storage, addr string) string {
	switch st.Type {
	case "nfs", "sshfs":
		return expectedSource(st, addr)
	}
	return mountFSType(st.Type)
}

func mountFSType(storageType string) string {
	switch storageType {
	case "sshfs":
		return "fuse.sshfs"
	case "nfs", "cifs":
		return storageType
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quoteAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = fmt.Sprintf("%q", w)
	}
	return out
}

// dedupe drops repeated diagnostics: a block compiled on many nodes
// reports the same problem once.
func dedupe(diags hashicl.Diagnostics) hashicl.Diagnostics {
	seen := map[string]bool{}
	var out hashicl.Diagnostics
	for _, d := range diags {
		key := fmt.Sprintf("%d\x00%s\x00%s\x00%v", d.Severity, d.Summary, d.Detail, d.Subject)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, d)
	}
	return out
}
