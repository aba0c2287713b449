package steps

import (
	"strings"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
)

// cache_dir: `cache_dir "cache" { keep = ["index.html"] }` is a folder of
// caches: never replicated, emptied on a replica whose tree changed. Its
// top-level dot-files (a guard .htaccess) and the top-level names in keep
// ship with the code: they are replicated and never purged.
var _ = register(&Kind{
	Type:      "cache_dir",
	LabelKind: block.LabelPath,
	Arguments: []Argument{{Name: "keep", Type: cty.List(cty.String)}},
	Validate:  validateKeep,
	ClaimsOf: func(d *block.Decl) []block.Claim {
		return []block.Claim{{Space: block.InRoot, Path: d.Label, Use: block.Purged, Decl: d, Keep: d.Strings("keep")}}
	},
	Compile: compileCacheDir,
})

// validateKeep checks a cache_dir's or local_dir's keep: names of entries
// directly in the folder, each one plain name.
func validateKeep(d *block.Decl) hashicl.Diagnostics {
	for _, k := range d.Strings("keep") {
		if k == "" || k == "." || k == ".." || strings.Contains(k, "/") || block.HasControl(k) {
			return hashicl.Diagnostics{d.Error("keep", "Invalid keep name",
				"%s: %s %q: keep %q must name one entry directly in the folder, like \"index.html\".", d.Owner, d.Kind, d.Label, k)}
		}
	}
	return nil
}

// compileCacheDir purges the folder on each replica after, and only
// when, its tree was replicated; a pattern, each folder it matches in the
// primary's tree.
func compileCacheDir(u *Unit) ([]Entry, hashicl.Diagnostics) {
	site := u.Site
	var out []Entry
	for _, n := range site.Replicas {
		purge := func(dir string) Step {
			return &Purge{
				NodeName: n, Site: site.Name, Root: site.Root, Dir: dir, Keep: u.Decl.Strings("keep"),
				Owner: site.ownerSpec(), Primary: site.Primary, FollowRootLink: site.FollowRootLink,
			}
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
