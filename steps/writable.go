package steps

import (
	"path"
	"regexp"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
)

// writable: `writable "cache" { mode = "0775" }`: a folder the site
// owner owns, with its directories' mode when set.
var _ = register(&Kind{
	Type:      "writable",
	LabelKind: block.LabelPath,
	Arguments: []Argument{{Name: "mode", Type: cty.String}},
	Validate: func(d *block.Decl) hashicl.Diagnostics {
		if d.Known("mode") && !modePattern.MatchString(d.String("mode")) {
			return hashicl.Diagnostics{d.Error("mode", "Invalid mode",
				"%s: writable %q: mode %q is not an octal mode like \"0775\".", d.Owner, d.Label, d.String("mode"))}
		}
		return nil
	},
	ClaimsOf: func(d *block.Decl) []block.Claim {
		return []block.Claim{{Space: block.InRoot, Path: d.Label, Use: block.Owned, Decl: d}}
	},
	Compile: compileWritable,
})

var modePattern = regexp.MustCompile(`^0?[0-7]{3}$`)

// compileWritable owns the folder on every node after the site's folders
// are in place. A folder on the storage is the primary's to own, once: at
// the top only, since its uploads are too many to walk on every plan.
func compileWritable(u *Unit) ([]Entry, hashicl.Diagnostics) {
	site, d := u.Site, u.Decl
	if site.Owner == "" {
		return nil, nil
	}
	inside, isShared := site.claimed(d.Label, block.Shared)
	var via, viaTarget string
	if inside && !isShared {
		// the one link on the way: the dynamic folder it lies in
		for _, c := range site.Claims {
			if c.Space == block.InRoot && c.Use == block.Shared && block.Within(d.Label, c.Path) {
				if shared, ok := sharedPath(c.Decl); ok && site.Storage != nil {
					via, viaTarget = c.Path, path.Join(site.Storage.Mount, site.Name, shared)
				}
			}
		}
	}
	var out []Entry
	for _, n := range site.Nodes {
		if inside && n != site.Primary {
			continue
		}
		perms := func(dir string) Step {
			return &Perms{
				NodeName: n, Site: site.Name, Root: site.Root, Dir: dir,
				Owner: site.Owner, Group: site.Group, Mode: d.String("mode"), OnlyTarget: isShared, Shallow: inside,
				FollowRootLink: site.FollowRootLink, Via: via, ViaTarget: viaTarget,
			}
		}
		out = append(out, Entry{
			Site: site.Name,
			Step: site.each(n, "perms", d.Label, perms),
			After: []Ref{
				{Site: site.Name, Node: n, Kind: "relocate"},
				{Site: site.Name, Node: n, Kind: "replicate"},
				{Site: site.Name, Node: n, Kind: "purge"},
				{Node: n, Kind: "users"},
			},
		})
	}
	return out, nil
}
