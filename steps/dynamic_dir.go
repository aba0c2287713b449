package steps

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
)

// dynamic_dir: `dynamic_dir "media" { shared = "media" }`: a folder of
// user data that moves to the storage, at <mount>/<site>/<shared>, and is
// linked there on every node of the site.
//
// The label may be a pattern, `dynamic_dir "sites/*/files" {}`: each
// folder of the primary's tree it matches is one such folder, stored at
// its own path (sites/example.com/files) unless shared says otherwise,
// where $1, $2, … stand for what the label's first, second, … wildcard
// segment matched (`shared = "$1/files"`).
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
		if problem := captureProblem(d.Label, d.String("shared")); problem != "" {
			return hashicl.Diagnostics{d.Error("shared", "Invalid shared path",
				"%s: shared path %q of dynamic_dir %q %s.", d.Owner, d.String("shared"), d.Label, problem)}
		}
		return nil
	},
	ClaimsOf: func(d *block.Decl) []block.Claim {
		claims := []block.Claim{{Space: block.InRoot, Path: d.Label, Use: block.Shared, Decl: d}}
		if shared, ok := sharedPath(d); ok {
			claims = append(claims, block.Claim{Space: block.OnStorage, Path: capturesAsWildcards(shared), Use: block.Stored, Decl: d})
		}
		return claims
	},
	DefaultsOf: func(d *block.Decl) map[string]cty.Value {
		return map[string]cty.Value{"shared": cty.StringVal(ownPlace(d.Label))}
	},
	Compile: compileDynamicDir,
})

// ownPlace is the shared path that stores each folder a label names at
// its own path: the label, its wildcard segments written $1, $2, …
func ownPlace(label string) string {
	segs := strings.Split(label, "/")
	for n, i := range wildcardSegments(label) {
		segs[i] = "$" + strconv.Itoa(n+1)
	}
	return strings.Join(segs, "/")
}

// capturesAsWildcards writes shared's $n segments as *: the places on
// the storage its matches may take, for claims to compare.
func capturesAsWildcards(shared string) string {
	segs := strings.Split(shared, "/")
	for i, seg := range segs {
		if _, ok := captureIndex(seg); ok {
			segs[i] = "*"
		}
	}
	return strings.Join(segs, "/")
}

// wildcardSegments lists the indexes of a pattern's segments that hold
// wildcards.
func wildcardSegments(pattern string) []int {
	var out []int
	for i, seg := range strings.Split(pattern, "/") {
		if block.IsPattern(seg) {
			out = append(out, i)
		}
	}
	return out
}

// captureProblem says what is wrong with shared for label, or "".
func captureProblem(label, shared string) string {
	if block.IsPattern(shared) {
		return "has wildcards; it names one place, with $1, $2, … for what the label's wildcards matched"
	}
	k := len(wildcardSegments(label))
	refs := 0
	for _, seg := range strings.Split(shared, "/") {
		n, isRef := captureIndex(seg)
		switch {
		case !isRef:
			continue
		case k == 0:
			return fmt.Sprintf("uses %s, but the folder has no wildcard for it to stand for", seg)
		case n < 1 || n > k:
			return fmt.Sprintf("uses %s, but %q has %s", seg, label, plural(k, "wildcard segment"))
		}
		refs++
	}
	if k > 0 && refs == 0 {
		return fmt.Sprintf("would put every folder %q matches in one place; use $1 for what the wildcard matched", label)
	}
	return ""
}

// captureIndex reads a "$n" segment.
func captureIndex(seg string) (int, bool) {
	rest, ok := strings.CutPrefix(seg, "$")
	if !ok || rest == "" {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

// sharedPath is where the folder's data lives under <mount>/<site>: shared,
// else the folder's own path; false while shared is not known. For a
// pattern it may hold $n segments (see placeOf).
func sharedPath(d *block.Decl) (string, bool) {
	if !d.Has("shared") {
		return d.Label, true
	}
	if !d.Known("shared") {
		return "", false
	}
	clean, problem := block.RelPath(d.String("shared"), block.StorageBase)
	return clean, problem == "" && captureProblem(d.Label, clean) == ""
}

// placeOf is where one match of pattern lives on the storage, given the
// block's shared path: each $n replaced by what the n-th wildcard segment
// matched in match.
func placeOf(pattern, shared, match string) string {
	if shared == pattern {
		return match
	}
	segs := strings.Split(match, "/")
	wild := wildcardSegments(pattern)
	out := strings.Split(shared, "/")
	for i, seg := range out {
		if n, ok := captureIndex(seg); ok && n >= 1 && n <= len(wild) {
			out[i] = segs[wild[n-1]]
		}
	}
	return strings.Join(out, "/")
}

// compileDynamicDir moves the folder on the primary once its storage is
// mounted, and links it on each replica once the replica holds the tree.
// A pattern compiles to a Glob per node, standing for those steps for
// every match.
func compileDynamicDir(u *Unit) ([]Entry, hashicl.Diagnostics) {
	site, d := u.Site, u.Decl
	shared, ok := sharedPath(d)
	if !ok || site.Storage == nil {
		return nil, hashicl.Diagnostics{d.Error("shared", "Invalid shared path", "%s: %s has no place on the storage.", d.Owner, d.Describe())}
	}
	var out []Entry
	for _, n := range site.Nodes {
		replica := n != site.Primary
		relocate := func(dir, place string) Step {
			return &Relocate{
				NodeName: n, Site: site.Name, Root: site.Root, Dir: dir,
				Shared:     path.Join(site.Storage.Mount, site.Name, place),
				Mount:      site.Storage.Mount,
				MountCheck: site.Storage.Check,
				// shoal mounts it earlier in the same apply, unless someone else must
				MountPlanned:   site.Storage.Type != "mounted",
				Replica:        replica,
				Merge:          site.Merge,
				StorageHere:    n == site.Storage.ServedBy,
				FollowRootLink: site.FollowRootLink,
			}
		}
		e := Entry{Site: site.Name, Step: relocate(d.Label, shared)}
		if block.IsPattern(d.Label) {
			e.Step = &Glob{NodeName: n, Site: site.Name, Primary: site.Primary, Root: site.Root, Pattern: d.Label, StepKind: "relocate",
				Make: func(match string) Step { return relocate(match, placeOf(d.Label, shared, match)) }}
		}
		e.After = []Ref{{Node: n, Kind: "mount"}}
		if replica {
			e.After = append(e.After, Ref{Site: site.Name, Node: n, Kind: "replicate"})
		}
		out = append(out, e)
	}
	return out, nil
}
