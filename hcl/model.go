package hcl

import hashicl "github.com/hashicorp/hcl/v2"

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
}

// Variable is a `variable` block with its final value.
type Variable struct {
	Name      string
	Sensitive bool
	Value     string
	DeclRange hashicl.Range
}

// Node is a `node` block: a host shoal reaches over SSH.
type Node struct {
	Name         string
	Host         string // address or ~/.ssh/config alias
	User         string // "" → ssh_config or root
	Port         int    // 0 → ssh_config or 22
	Sudo         bool
	Jump         string // ProxyJump, "" → ssh_config
	IdentityFile string
	Roles        []string
	DeclRange    hashicl.Range
}

// Storage is a `storage` block: where dynamic folders live.
type Storage struct {
	Name      string
	Type      string // nfs | sshfs | cifs | mounted
	Server    string // node name that exports it ("" for mounted)
	Address   string // how clients reach the server; "" → the server node's host
	Export    string // path on the server
	Mount     string // mount point on every node of a site
	Options   string // extra mount options
	Allow     []string
	DeclRange hashicl.Range
}

// Site is a `site` block with its recipe flattened in: DynamicDirs and
// CacheDirs hold the recipe's entries followed by the site's additions.
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
	// FollowRootLink accepts a root that is a symlink on a node and works
	// in the folder it points to; without it such a root is refused.
	FollowRootLink bool
	DynamicDirs    []DynamicDir
	CacheDirs      []CacheDir
	LocalDirs      []LocalDir
	Writable       []Writable
	DeclRange      hashicl.Range
}

// Recipe is a `recipe` block (built in from recipes/*.hcl, or the user's),
// after `extends` is resolved.
type Recipe struct {
	Name        string
	Extends     string
	Description string
	DynamicDirs []DynamicDir
	CacheDirs   []CacheDir
	LocalDirs   []LocalDir
	Writable    []Writable
	Builtin     bool // embedded from recipes/*.hcl
	DeclRange   hashicl.Range
}

// DynamicDir is a folder of user data, relative to the site root, that
// moves to the storage at Shared (relative to <mount>/<site>).
type DynamicDir struct {
	Path      string
	Shared    string // "" → same as Path
	DeclRange hashicl.Range
}

// CacheDir is a folder, relative to the site root, emptied on replicas and
// never replicated, but for its top-level dot-files and the top-level
// names in Keep: those ship with the code (guard files such as
// .htaccess), are replicated and never purged.
type CacheDir struct {
	Path      string
	Keep      []string
	DeclRange hashicl.Range
}

// LocalDir is a folder, relative to the site root, whose contents belong
// to each node (logs): the folder is replicated, never what is in it but
// its top-level dot-files and Keep names (as for CacheDir), and it is
// never purged.
type LocalDir struct {
	Path      string
	Keep      []string
	DeclRange hashicl.Range
}

// Writable is a folder, relative to the site root, that the site owner
// must own (with Mode, if set, like "0775").
type Writable struct {
	Path      string
	Mode      string
	DeclRange hashicl.Range
}
