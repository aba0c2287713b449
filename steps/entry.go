package steps

import (
	hashicl "github.com/hashicorp/hcl/v2"

	"github.com/shoal-sh/shoal/block"
)

// Entry is a step with its place in the run: the site it serves, the
// block that declared it, and its relations to other entries.
type Entry struct {
	Step  Step
	Site  string // "" for steps that serve several sites (exports, mounts)
	Block string // address of the declaring block ("file.wp_config"); "" built in
	// After: entries that must succeed first.
	After []Ref
	// OnChange: entries this one only makes sense after: when none of
	// them has a change, neither has this one (a replica's caches are
	// purged when its tree changed; a service reloads when its config did).
	OnChange []Ref
	// Ahead: entries this one goes ahead of: each waits for it, and it has
	// a change only when one of them has (a snapshot of a node taken
	// before apply changes anything there). An entry this one waits for,
	// however indirectly, is left out: it still runs first. A Ref that
	// names only a Node selects every entry on that node.
	Ahead []Ref
	// Unconditional: the entry runs whether or not the blocks its block's
	// on_change names change; on_change only orders it after them. A kind
	// whose block compiles to a part that must always converge and a part
	// that follows a change sets it on the former (a service's start
	// beside its reload).
	Unconditional bool
	// Guards are the IDs of steps that check this one's ground (the site
	// root on its node, and on the primary for what reads it): while one
	// of them refuses, this one is left alone.
	Guards []string
}

// Ref selects entries. Empty fields match anything; with Near, Node is a
// preference: the entries of Block on Node if it has any there, else all
// of Block's (a reload follows its own node's config; a mirror's sync
// follows a trust set up on the master).
type Ref struct {
	Site  string
	Node  string
	Kind  string // step kind: "mount", "replicate"
	Block string // block address: "file.wp_config"
	Near  bool
	// Range is where a user wrote the reference, for diagnostics.
	Range *hashicl.Range
}

// Site is what compiling a site's blocks needs to know of the site.
type Site struct {
	Name     string
	Root     string
	Primary  string
	Nodes    []string // the primary among them, in config order
	Replicas []string
	Owner    string // "" when the site sets none
	Group    string // the owner's group when the site sets none
	Merge    bool   // on_conflict = "merge"
	// SnapshotBeforeApply: the site's snapshot blocks take a snapshot of
	// a node before apply changes anything there (see Entry.Ahead).
	SnapshotBeforeApply bool
	// FollowRootLink: the site accepts a root that is a symlink on a node
	// and works in the folder it points to.
	FollowRootLink bool
	Storage        *Storage
	// Claims are every block's claims, evaluated.
	Claims []block.Claim
	// Secrets are the configuration's sensitive values, for steps that
	// show what is on a node (a file's current content).
	Secrets []string
}

// Storage is what a site's steps need to know of its storage.
type Storage struct {
	Type  string // nfs | sshfs | cifs | mounted
	Mount string
	// Check is what relocate proves of the mount before it moves or
	// links anything (see Relocate.MountCheck).
	Check string
	// ServedBy is the server when it uses the storage in place, its
	// export being the mount point (Pack): there the storage is a local
	// folder, not a mount.
	ServedBy string
}

// Unit is one block of one site, as its kind's Compile sees it.
type Unit struct {
	Site *Site
	// Decl is the block with the values known without a node.
	Decl *block.Decl
	// Nodes are the nodes a step's `on` selects, in config order.
	Nodes []string
	// Eval evaluates the block for one node and checks it with the
	// kind's Check; diagnostics carry the arguments' ranges.
	Eval func(node string) (*block.Decl, hashicl.Diagnostics)
	// Shown evaluates it as a plan may show it: sensitive values replaced
	// by block.Hidden (or unknown, when not strings).
	Shown func(node string) (*block.Decl, hashicl.Diagnostics)
	// Select resolves words as a step's `on` does ("primary",
	// "replicas", "all", a role or a node name of the configuration) to
	// nodes, in config order, for kinds whose blocks name other nodes
	// (ssh_trust's `to`).
	Select func(words ...string) []string
	// Address is how other nodes reach a node of the configuration
	// (node.address); "" for no such node.
	Address func(node string) string
}

// Each compiles a step block on every node of u.Nodes: make is given the
// block evaluated for the node.
func (u *Unit) Each(make func(node string, d *block.Decl) (Step, hashicl.Diagnostics)) ([]Entry, hashicl.Diagnostics) {
	var out []Entry
	var diags hashicl.Diagnostics
	for _, n := range u.Nodes {
		d, ds := u.Eval(n)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		s, ds := make(n, d)
		diags = append(diags, ds...)
		if s != nil && !ds.HasErrors() {
			out = append(out, Entry{Step: s, Site: u.Site.Name})
		}
	}
	return out, diags
}

// claimed reports whether p (a path or a pattern) lies in, or is, a
// claim of one of the uses, a claim's pattern included; equal says p is
// that claim's path, or one of its pattern's matches.
func (s *Site) claimed(p string, uses ...block.Use) (inside, equal bool) {
	for _, c := range s.Claims {
		if c.Space != block.InRoot || !hasUse(uses, c.Use) {
			continue
		}
		if p == c.Path || (!block.IsPattern(p) && block.Match(c.Path, p)) {
			return true, true
		}
		if block.Covers(c.Path, p) {
			inside = true
		}
	}
	return inside, false
}

func hasUse(uses []block.Use, u block.Use) bool {
	for _, x := range uses {
		if x == u {
			return true
		}
	}
	return false
}
