package hcl

import (
	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
)

// Config is a loaded, checked configuration: every reference resolved,
// every recipe flattened into its sites.
type Config struct {
	Files     []string // the files it was read from, in order
	Digest    string   // sha256 of the files' bytes and the variable values
	Variables map[string]*Variable
	Nodes     []*Node // in declaration order
	Storages  []*Storage
	Sites     []*Site
	Recipes   map[string]*Recipe // built-in and user-defined, resolved

	kinds   []block.Kind      // the kinds bodies hold, in registry order
	sources map[string][]byte // every file read, for `recipes show`
}

// Kinds lists the block kinds the configuration was loaded with.
func (c *Config) Kinds() []block.Kind { return c.kinds }

// Variable is a `variable` block with its final value.
type Variable struct {
	Name      string
	Sensitive bool
	Value     string
	DeclRange hashicl.Range
}

// Node is a `node` block: a host shoal reaches over SSH.
type Node struct {
	Name string
	Host string // address or ~/.ssh/config alias
	// Address is how other nodes and config files reach the node
	// (node.address in expressions); "" → Host.
	Address      string
	User         string // "" → ssh_config, else the local user name (as ssh)
	Port         int    // 0 → ssh_config or 22
	Sudo         bool
	Jump         string // ProxyJump, "" → ssh_config's ProxyJump or ProxyCommand, "none" → direct
	IdentityFile string
	Roles        []string
	DeclRange    hashicl.Range
}

// Storage is a `storage` block: where dynamic folders live.
type Storage struct {
	Name    string
	Type    string // nfs | sshfs | cifs | mounted
	Server  string // node name that exports it ("" for mounted)
	Address string // how clients reach the server; "" → the server node's host
	Export  string // path on the server
	Mount   string // mount point on every node of a site
	Options string // extra mount options
	Allow   []string
	// Credentials is a secret the mount needs, written on every client to
	// a root-only file instead of fstab: cifs's credentials= file
	// (username=, password= lines), sshfs's IdentityFile (a private key).
	Credentials string
	// MountOver says what to do with a mount point that holds files of
	// its own: "refuse" (the default) or "move_aside" (to
	// <mount>.shoal-local, then mount).
	MountOver string
	DeclRange hashicl.Range
}

// ServedInPlace reports whether the server uses the storage where the
// other nodes mount it: export and mount are one path (Aegir's Pack mode:
// the master exports /var/aegir/platforms, the slaves mount it there). The
// server, when a node of a site, then mounts nothing: its folder is the
// storage.
func (s *Storage) ServedInPlace() bool {
	return s.Type != "mounted" && s.Server != "" && s.Export == s.Mount
}

// Site is a `site` block with its recipe flattened in: Blocks holds the
// recipe's blocks with the site's own applied on top (same kind and label
// replaces in place, new ones append, `exclude` removes).
type Site struct {
	Name       string
	RecipeName string
	Root       string
	Primary    string
	Nodes      []string
	Storage    string
	Owner      string
	Group      string // "" → the owner's primary group
	OnConflict string // "refuse" (default) | "merge"
	// SnapshotBeforeApply: apply takes a snapshot of a node (the site's
	// snapshot blocks) before it changes anything there.
	SnapshotBeforeApply bool
	// FollowRootLink accepts a root that is a symlink on a node and works
	// in the folder it points to; without it such a root is refused.
	FollowRootLink bool
	// FixIDs lets shoal renumber the owner and group on a node where
	// their numbers differ from the primary's, re-owning their files
	// there; without it that is an error naming the commands.
	FixIDs bool
	// Params holds the recipe's parameters as the site sets them (or
	// their defaults); values of sensitive ones carry block.SensitiveMark.
	Params map[string]cty.Value
	// Detect lists files, relative to the root, that the primary's tree
	// must hold for the recipe to fit it.
	Detect    []string
	Blocks    []*block.Decl
	DeclRange hashicl.Range
}

// Recipe is a `recipe` block (built in from recipes/*.hcl, or the user's),
// after `extends` is resolved.
type Recipe struct {
	Name        string
	Extends     string
	Description string
	Params      []*Param // the parent's, then the recipe's own (same name replaces)
	Detect      hashicl.Expression
	Blocks      []*block.Decl
	Builtin     bool // embedded from recipes/*.hcl
	DeclRange   hashicl.Range
}

// Param is a `param` block of a recipe: a value each site sets with
// `params = { name = ... }`, or leaves to the default.
type Param struct {
	Name        string
	Default     cty.Value // cty.NilVal: the site must set it
	Sensitive   bool
	Description string
	DeclRange   hashicl.Range
}

// BlocksOf lists the site's blocks of one kind, in order.
func (s *Site) BlocksOf(kind string) []*block.Decl {
	var out []*block.Decl
	for _, b := range s.Blocks {
		if b.Kind == kind {
			out = append(out, b)
		}
	}
	return out
}

// BlocksOf lists the recipe's blocks of one kind, in order.
func (r *Recipe) BlocksOf(kind string) []*block.Decl {
	var out []*block.Decl
	for _, b := range r.Blocks {
		if b.Kind == kind {
			out = append(out, b)
		}
	}
	return out
}

// Replicas lists the site's nodes other than the primary, in order.
func (s *Site) Replicas() []string {
	var out []string
	for _, n := range s.Nodes {
		if n != s.Primary {
			out = append(out, n)
		}
	}
	return out
}

// NodeAddress is how other nodes reach n: its address, else its host.
func (n *Node) NodeAddress() string {
	if n.Address != "" {
		return n.Address
	}
	return n.Host
}
