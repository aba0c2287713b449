package block

import (
	"fmt"
	"sort"
	"strings"

	hashicl "github.com/hashicorp/hcl/v2"
)

// Space is where a claimed path lives.
type Space int

const (
	InRoot    Space = iota // relative to the site root
	OnStorage              // relative to the site's folder on the storage, <mount>/<site>
)

// Use is what a block does with the path it claims.
type Use int

const (
	// Shared: the folder moves to the storage and is linked; it is never
	// replicated.
	Shared Use = iota
	// Purged: the folder's contents are caches, emptied; never replicated.
	Purged
	// Local: the folder's contents are each node's own (logs); never
	// replicated.
	Local
	// Written: shoal writes the file on each node it runs on; never
	// replicated.
	Written
	// Stored: the place on the storage that holds a shared folder's data.
	Stored
	// Edited: a step edits the file in place on each node it runs on
	// (a line of wp-config.php), so each node's copy is its own: a
	// replica gets the primary's copy once, when it has none, and
	// replicate never compares or overwrites it after that.
	Edited
	// Owned: a folder the site owner owns (writable); it fights nothing.
	Owned
)

// Claim is a path a block takes.
type Claim struct {
	Space Space
	Path  string // cleaned, relative
	Use   Use
	Decl  *Decl
	// Keep, for Purged and Local folders, names the top-level entries
	// that ship with the code and are replicated and never purged (their
	// dot-files always are).
	Keep []string
}

// Conflict is two claims that would fight.
type Conflict struct {
	Subject, Other Claim
	order          int
}

// clash says what goes wrong when two uses nest, with the use that is the
// diagnostic's subject first; rank orders the diagnostics of one body.
type clash struct {
	subject, other Use
	rank           int
	summary        string
	detail         func(owner string, s, o Claim) string
}

var clashes = []clash{
	{Shared, Shared, 0, "Nested dynamic folders", func(owner string, s, o Claim) string {
		return fmt.Sprintf("%s: %s and %s (%s) are nested; keep only the outer one.", owner, s.Decl.Describe(), o.Decl.Describe(), o.Decl.DeclRange)
	}},
	{Stored, Stored, 0, "Overlapping shared folders", func(owner string, s, o Claim) string {
		return fmt.Sprintf("%s: %s is shared at %q and %s at %q; their data would mix.", owner, s.Decl.Describe(), s.Path, o.Decl.Describe(), o.Path)
	}},
	{Local, Shared, 1, "Local and dynamic folders overlap", func(owner string, s, o Claim) string {
		return fmt.Sprintf("%s: %s and %s (%s) are nested; a folder is either on the storage or on each node.", owner, s.Decl.Describe(), o.Decl.Describe(), o.Decl.DeclRange)
	}},
	{Local, Purged, 1, "Local and cache folders overlap", func(owner string, s, o Claim) string {
		return fmt.Sprintf("%s: %s and %s (%s) are nested; purging the cache would empty the local folder.", owner, s.Decl.Describe(), o.Decl.Describe(), o.Decl.DeclRange)
	}},
	{Purged, Shared, 2, "Cache and dynamic folders overlap", func(owner string, s, o Claim) string {
		return fmt.Sprintf("%s: %s and %s (%s) are nested; purging the cache would delete user data.", owner, s.Decl.Describe(), o.Decl.Describe(), o.Decl.DeclRange)
	}},
	{Written, Shared, 3, "File inside user data", func(owner string, s, o Claim) string {
		return fmt.Sprintf("%s: %s writes %q inside %s (%s), which lives on the storage: every node would write the one shared copy.", owner, s.Decl.Describe(), s.Path, o.Decl.Describe(), o.Decl.DeclRange)
	}},
	{Written, Purged, 3, "File inside a cache", func(owner string, s, o Claim) string {
		return fmt.Sprintf("%s: %s writes %q inside %s (%s), whose contents are purged.", owner, s.Decl.Describe(), s.Path, o.Decl.Describe(), o.Decl.DeclRange)
	}},
	{Edited, Shared, 3, "File inside user data", func(owner string, s, o Claim) string {
		return fmt.Sprintf("%s: %s edits %q inside %s (%s), which lives on the storage: every node would edit the one shared copy.", owner, s.Decl.Describe(), s.Path, o.Decl.Describe(), o.Decl.DeclRange)
	}},
	{Edited, Purged, 3, "File inside a cache", func(owner string, s, o Claim) string {
		return fmt.Sprintf("%s: %s edits %q inside %s (%s), whose contents are purged.", owner, s.Decl.Describe(), s.Path, o.Decl.Describe(), o.Decl.DeclRange)
	}},
}

func findClash(a, b Use) (clash, bool) {
	for _, c := range clashes {
		if c.subject == a && c.other == b {
			return c, true
		}
	}
	return clash{}, false
}

// Conflicts finds every pair of claims whose paths are equal or nested
// and whose uses clash, in O(n log n) for n claims plus the pairs found;
// a pattern ("sites/*/files") is compared with every other claim, as
// any of its matches may nest with them (MayNest). Claims are in
// declaration order; of two claims of the same use, the later one is
// the subject.
func Conflicts(claims []Claim) []Conflict {
	var out []Conflict
	for _, space := range []Space{InRoot, OnStorage} {
		var items, patterns []indexed
		for i, c := range claims {
			switch {
			case c.Space != space:
			case IsPattern(c.Path):
				patterns = append(patterns, indexed{c, i})
			default:
				items = append(items, indexed{c, i})
			}
		}
		for k, p := range patterns {
			for _, others := range [][]indexed{items, patterns[k+1:]} {
				for _, other := range others {
					if !MayNest(p.c.Path, other.c.Path) {
						continue
					}
					if c, ok := pair(p, other); ok {
						out = append(out, c)
					}
				}
			}
		}
		// Sorted by path, a folder comes right before what is inside it;
		// a stack of the folders enclosing the current path finds every
		// nested pair.
		sort.SliceStable(items, func(i, j int) bool { return pathLess(items[i].c.Path, items[j].c.Path) })
		var stack []indexed
		for _, it := range items {
			for len(stack) > 0 && !Within(it.c.Path, stack[len(stack)-1].c.Path) {
				stack = stack[:len(stack)-1]
			}
			for _, outer := range stack {
				if c, ok := pair(outer, it); ok {
					out = append(out, c)
				}
			}
			stack = append(stack, it)
		}
	}
	out = dropDoubleNesting(out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].order < out[j].order })
	return out
}

// dropDoubleNesting keeps one diagnostic for two folders nested both
// under the root and on the storage: the nesting under the root.
func dropDoubleNesting(cs []Conflict) []Conflict {
	type pairKey struct{ a, b *Decl }
	nested := map[pairKey]bool{}
	for _, c := range cs {
		if c.Subject.Space == InRoot {
			nested[pairKey{c.Subject.Decl, c.Other.Decl}] = true
			nested[pairKey{c.Other.Decl, c.Subject.Decl}] = true
		}
	}
	var out []Conflict
	for _, c := range cs {
		if c.Subject.Space == OnStorage && nested[pairKey{c.Subject.Decl, c.Other.Decl}] {
			continue
		}
		out = append(out, c)
	}
	return out
}

// indexed is a claim with its place in declaration order.
type indexed struct {
	c   Claim
	seq int
}

// pair reports the conflict between two nested claims, if their uses
// clash; seq orders them in declaration order.
func pair(a, b indexed) (Conflict, bool) {
	first, second := a, b
	if b.seq < a.seq {
		first, second = b, a
	}
	if cl, ok := findClash(second.c.Use, first.c.Use); ok {
		return Conflict{Subject: second.c, Other: first.c, order: orderKey(cl.rank, second.seq, first.seq)}, true
	}
	if cl, ok := findClash(first.c.Use, second.c.Use); ok {
		return Conflict{Subject: first.c, Other: second.c, order: orderKey(cl.rank, first.seq, second.seq)}, true
	}
	return Conflict{}, false
}

// orderKey sorts diagnostics as a person reads a body: by kind of clash,
// then by the subject's place, then the other's.
func orderKey(rank, subject, other int) int {
	return rank<<40 | subject<<20 | other
}

// Diagnostic describes the conflict for the body named owner.
func (c Conflict) Diagnostic(owner string) *hashicl.Diagnostic {
	cl, _ := findClash(c.Subject.Use, c.Other.Use)
	return &hashicl.Diagnostic{
		Severity: hashicl.DiagError,
		Summary:  cl.summary,
		Detail:   cl.detail(owner, c.Subject, c.Other),
		Subject:  c.Subject.Decl.DeclRange.Ptr(),
	}
}

// pathLess orders paths so that a folder sorts right before its contents:
// "a" < "a/b" < "a-b" (plain string order would put "a-b" between them).
func pathLess(a, b string) bool {
	return strings.ReplaceAll(a, "/", "\x00") < strings.ReplaceAll(b, "/", "\x00")
}
