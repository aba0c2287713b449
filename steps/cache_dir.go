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
// when, its tree was replicated; a pattern, each folder it matches in the
// primary's tree.
func compileCacheDir(u *Unit) ([]Entry, hashicl.Diagnostics) {
	site := u.Site
	var out []Entry
	for _, n := range site.Replicas {
		purge := func(dir string) Step {
			return &Purge{NodeName: n, Site: site.Name, Root: site.Root, Dir: dir, Owner: site.ownerSpec()}
		}
		replicate := Ref{Site: site.Name, Node: n, Kind: "replicate"}
		out = append(out, Entry{
			Site:     site.Name,
			Step:     site.each(n, "purge", u.Decl.Label, purge),
			After:    []Ref{replicate, {Node: n, Kind: "users"}},
			OnChange: []Ref{replicate},
		})
	}
	return out, nil
}

// each is the step make builds for dir on node, or for a pattern a Glob
// standing for one per match in the primary's tree.
func (s *Site) each(node, kind, dir string, make func(dir string) Step) Step {
	if !block.IsPattern(dir) {
		return make(dir)
	}
	return &Glob{NodeName: node, Site: s.Name, Primary: s.Primary, Root: s.Root, Pattern: dir, StepKind: kind, Make: make}
}

// ownerSpec is the chown argument for folders shoal creates: owner:group,
// or "" to keep root's.
func (s *Site) ownerSpec() string {
	if s.Owner == "" {
		return ""
	}
	return s.Owner + ":" + s.Group
}
