package facts

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// Glob lists the folders of a tree that a pattern names: entries under
// Root whose relative paths match Pattern, each of its wildcards within
// one name (block.Match's rules), found by a walk that never follows a
// symlink. Only folders and symlinks count (a relocated folder is a
// symlink); shoal's own in-flight names (*.shoal-old, *.shoal-partial)
// never do.
type Glob struct {
	Root    string
	Pattern string // clean, relative: "sites/*/files"
}

func (g Glob) Key() string { return "glob:" + g.Root + " " + g.Pattern }

// Command walks no deeper than the pattern's level: at exactly that
// depth find's wildcards cannot match a `/` (each of the pattern's
// slashes must meet one of the path's).
func (g Glob) Command() string {
	depth := strings.Count(g.Pattern, "/") + 1
	return fmt.Sprintf(`%s
find . -mindepth %d -maxdepth %d -path %s \( -type d -o -type l \) ! -name '*.shoal-*' -printf '%%y %%P\0'`,
		enterRoot(g.Root, false), depth, depth, shell.Quote("./"+g.Pattern))
}

// GlobMatch is one path a Glob found.
type GlobMatch struct {
	Path    string // relative to the root
	Symlink bool
}

// GlobResult is what Glob found: whether the root exists, and the
// matches, sorted by path.
type GlobResult struct {
	RootExists bool
	Matches    []GlobMatch
}

// ReadGlob gathers the Glob fact on node.
func ReadGlob(ctx context.Context, src Source, node string, g Glob) (GlobResult, error) {
	sec, err := src.Get(ctx, node, g)
	if err != nil {
		return GlobResult{}, err
	}
	r, err := ParseGlob(sec)
	if err != nil {
		return GlobResult{}, fmt.Errorf("matching %s under %s on %s: %w", g.Pattern, g.Root, node, err)
	}
	return r, nil
}

// ParseGlob reads the output of Glob's command.
func ParseGlob(sec Section) (GlobResult, error) {
	if err := treeStatus(sec); err != nil {
		return GlobResult{}, err
	}
	switch strings.TrimSpace(sec.Output) {
	case "absent":
		return GlobResult{}, nil
	case "symlink": // the site root check refuses it; nothing matches through it
		return GlobResult{RootExists: true}, nil
	}
	r := GlobResult{RootExists: true}
	for _, rec := range strings.Split(sec.Output, "\x00") {
		if rec == "" {
			continue
		}
		kind, p, ok := strings.Cut(rec, " ")
		if !ok || (kind != "d" && kind != "l") || p == "" {
			return GlobResult{}, fmt.Errorf("unexpected entry %q", rec)
		}
		r.Matches = append(r.Matches, GlobMatch{Path: p, Symlink: kind == "l"})
	}
	sort.Slice(r.Matches, func(i, j int) bool { return r.Matches[i].Path < r.Matches[j].Path })
	return r, nil
}
