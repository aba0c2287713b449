package steps

import (
	hashicl "github.com/hashicorp/hcl/v2"

	"github.com/shoal-sh/shoal/block"
)

// cache_dir: `cache_dir "cache" {}`: a folder of caches, never
// replicated, emptied on a replica whose tree changed.
var _ = register(&Kind{
	Type:      "cache_dir",
	LabelKind: block.LabelPath,
	ClaimsOf: func(d *block.Decl) []block.Claim {
		return []block.Claim{{Space: block.InRoot, Path: d.Label, Use: block.Purged, Decl: d}}
	},
	Compile: compileCacheDir,
})

// compileCacheDir purges the folder on each replica after, and only
// when, its tree was replicated.
func compileCacheDir(u *Unit) ([]Entry, hashicl.Diagnostics) {
	site := u.Site
	var out []Entry
	for _, n := range site.Replicas {
		replicate := Ref{Site: site.Name, Node: n, Kind: "replicate"}
		out = append(out, Entry{
			Site:     site.Name,
			Step:     &Purge{NodeName: n, Site: site.Name, Root: site.Root, Dir: u.Decl.Label, Owner: site.ownerSpec(), Primary: site.Primary},
			After:    []Ref{replicate, {Node: n, Kind: "users"}},
			OnChange: []Ref{replicate},
		})
	}
	return out, nil
}

// ownerSpec is the chown argument for folders shoal creates: owner:group,
// or "" to keep root's.
func (s *Site) ownerSpec() string {
	if s.Owner == "" {
		return ""
	}
	return s.Owner + ":" + s.Group
}
