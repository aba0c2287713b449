package steps

import (
	"path"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
)

// dynamic_dir: `dynamic_dir "media" { shared = "media" }`: a folder of
// user data that moves to the storage, at <mount>/<site>/<shared>, and is
// linked there on every node of the site.
var _ = register(&Kind{
	Type:      "dynamic_dir",
	LabelKind: block.LabelPath,
	Arguments: []Argument{{Name: "shared", Type: cty.String}},
	Validate: func(d *block.Decl) hashicl.Diagnostics {
		if !d.Known("shared") {
			return nil
		}
		if _, problem := block.RelPath(d.String("shared"), block.StorageBase); problem != "" {
			return hashicl.Diagnostics{d.Error("shared", "Invalid shared path",
				"%s: shared path %q of dynamic_dir %q %s.", d.Owner, d.String("shared"), d.Label, problem)}
		}
		return nil
	},
	ClaimsOf: func(d *block.Decl) []block.Claim {
		claims := []block.Claim{{Space: block.InRoot, Path: d.Label, Use: block.Shared, Decl: d}}
		if shared, ok := sharedPath(d); ok {
			claims = append(claims, block.Claim{Space: block.OnStorage, Path: shared, Use: block.Stored, Decl: d})
		}
		return claims
	},
	DefaultsOf: func(d *block.Decl) map[string]cty.Value {
		return map[string]cty.Value{"shared": cty.StringVal(d.Label)}
	},
	Compile: compileDynamicDir,
})

// sharedPath is where the folder's data lives under <mount>/<site>: shared,
// else the folder's own path; false while shared is not known.
func sharedPath(d *block.Decl) (string, bool) {
	if !d.Has("shared") {
		return d.Label, true
	}
	if !d.Known("shared") {
		return "", false
	}
	clean, problem := block.RelPath(d.String("shared"), block.StorageBase)
	return clean, problem == ""
}

// compileDynamicDir moves the folder on the primary once its storage is
// mounted, and links it on each replica once the replica holds the tree.
func compileDynamicDir(u *Unit) ([]Entry, hashicl.Diagnostics) {
	site, d := u.Site, u.Decl
	shared, ok := sharedPath(d)
	if !ok || site.Storage == nil {
		return nil, hashicl.Diagnostics{d.Error("shared", "Invalid shared path", "%s: %s has no place on the storage.", d.Owner, d.Describe())}
	}
	var out []Entry
	for _, n := range site.Nodes {
		replica := n != site.Primary
		e := Entry{Site: site.Name, Step: &Relocate{
			NodeName: n, Site: site.Name, Root: site.Root, Dir: d.Label,
			Shared:     path.Join(site.Storage.Mount, site.Name, shared),
			Mount:      site.Storage.Mount,
			MountCheck: site.Storage.Check,
			// shoal mounts it earlier in the same apply, unless someone else must
			MountPlanned:   site.Storage.Type != "mounted",
			Replica:        replica,
			Merge:          site.Merge,
			FollowRootLink: site.FollowRootLink,
		}}
		e.After = []Ref{{Node: n, Kind: "mount"}}
		if replica {
			e.After = append(e.After, Ref{Site: site.Name, Node: n, Kind: "replicate"})
		}
		out = append(out, e)
	}
	return out, nil
}
