package facts

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// TreeDigest summarises a directory tree as one hash computed on the node,
// so an unchanged tree costs about a hundred bytes to compare.
//
// Each entry contributes its type, mode, owner, path and, for files and
// links, its size, mtime (whole seconds, what tar keeps) and link target.
// Directory sizes and mtimes are left out: they differ between
// filesystems and change whenever an excluded child comes or goes.
//
// A root that is a symlink is not entered unless FollowLink is set: the
// fact then reports the link alone (TreeSummary.Symlink).
type TreeDigest struct {
	Root       string
	Skip       []string   // relative paths left out with everything under them (dynamic dirs)
	Empty      []EmptyDir // relative dirs kept, their contents left out (caches, node-local logs)
	FollowLink bool       // enter Root even when it is a symlink
}

// EmptyDir is a folder of a tree whose contents are left out (a cache, a
// node's own logs), all but its top-level dot-files and the top-level
// names in Keep, with everything under them: those are shipped with the
// code (a cache's .htaccess guard) and are part of the tree.
type EmptyDir struct {
	Path string
	Keep []string
}

func (t TreeDigest) Key() string {
	return "tree-digest:" + treeKey(t.Root, t.Skip, t.Empty, t.FollowLink)
}

func (t TreeDigest) Command() string {
	// One walk: awk passes the entries on to be hashed and counts the
	// regular files and their bytes on the way (reported on fd 3, so the
	// count line may come before or after the tree line).
	return fmt.Sprintf(`%s
printf 'real %%s\n' "$PWD"
{ %s \( -type d -printf 'd %%m %%U %%G %%P\0' \) -o -printf '%%y %%m %%U %%G %%s %%Ts %%P -> %%l\0' |
	awk 'BEGIN { RS = "\0"; ORS = "\0" } { print } /^f / { split($0, a, " "); n++; b += a[5] } END { printf "count %%d %%.0f\n", n, b > "/dev/stderr" }' 2>&3 |
	LC_ALL=C sort -z | sha256sum | { read -r d _; printf 'tree %%s\n' "$d"; }; } 3>&1`,
		enterRoot(t.Root, t.FollowLink), FindTree(t.Skip, t.Empty))
}

// TreeSummary is what TreeDigest found.
type TreeSummary struct {
	Exists  bool
	Symlink bool   // Root is a symlink, not entered
	Real    string // Root's physical path, symlinks resolved
	Files   int64  // regular files
	Bytes   int64  // their total size
	Digest  string
}

// ReadTreeDigest returns the digest of a tree on node.
func ReadTreeDigest(ctx context.Context, src Source, node string, t TreeDigest) (TreeSummary, error) {
	sec, err := src.Get(ctx, node, t)
	if err != nil {
		return TreeSummary{}, err
	}
	s, err := ParseTreeDigest(sec)
	if err != nil {
		return TreeSummary{}, fmt.Errorf("summarising %s on %s: %w", t.Root, node, err)
	}
	return s, nil
}

// ParseTreeDigest reads the output of TreeDigest's command.
func ParseTreeDigest(sec Section) (TreeSummary, error) {
	if err := treeStatus(sec); err != nil {
		return TreeSummary{}, err
	}
	switch strings.TrimSpace(sec.Output) {
	case "absent":
		return TreeSummary{}, nil
	case "symlink":
		return TreeSummary{Symlink: true}, nil
	}
	var s TreeSummary
	var tree, count bool
	for _, line := range strings.Split(strings.TrimSpace(sec.Output), "\n") {
		switch {
		case strings.HasPrefix(line, "real "):
			s.Real = strings.TrimPrefix(line, "real ")
		case strings.HasPrefix(line, "tree "):
			_, err := fmt.Sscanf(line, "tree %s", &s.Digest)
			tree = err == nil
		case strings.HasPrefix(line, "count "):
			_, err := fmt.Sscanf(line, "count %d %d", &s.Files, &s.Bytes)
			count = err == nil
		}
	}
	if !tree || !count || s.Real == "" {
		return TreeSummary{}, fmt.Errorf("unexpected output %q", sec.Output)
	}
	s.Exists = true
	return s, nil
}

// enterRoot is the shell that cds into root's physical path (so $PWD
// has no symlink), or prints "absent", "notdir" or, for a symlink it
// must not follow, "symlink", and stops.
func enterRoot(root string, follow bool) string {
	q := shell.Quote(root)
	link := ""
	if !follow {
		link = fmt.Sprintf("if [ -L %s ]; then echo symlink; exit 0; fi\n", q)
	}
	return fmt.Sprintf(`%sif [ ! -d %s ]; then if [ -e %s ] || [ -L %s ]; then echo notdir; else echo absent; fi; exit 0; fi
cd -P -- %s || exit 1`, link, q, q, q, q)
}

func treeStatus(sec Section) error {
	switch {
	case sec.Status != 0:
		return fmt.Errorf("exit %d", sec.Status)
	case strings.TrimSpace(sec.Output) == "notdir":
		return fmt.Errorf("not a directory")
	}
	return nil
}

// FindTree is the `find` command, run inside a tree's root, that lists
// every entry of the tree except the skipped paths and the contents of
// the empty ones (but what they keep), never following symlinks. Followed
// by a find action (-print0, -printf) it lists exactly what TreeDigest
// hashes; replicate feeds the same list to tar. Files shoal is writing in
// place (*.shoal-tmp.*) are never listed. A path with wildcards
// (`sites/*/files`) is a pattern whose wildcards, unlike find's, never
// match a `/`: it leaves out every folder at its depth that matches it.
func FindTree(skip []string, empty []EmptyDir) string {
	words := FindTreeArgs(skip, empty)
	for i, w := range words {
		switch w {
		case "(", ")":
			words[i] = `\` + w
		case "!":
		default:
			words[i] = shell.Quote(w)
		}
	}
	return "find . " + strings.Join(words, " ")
}

// FindTreeArgs are FindTree's arguments after `find .`, each one word,
// unquoted: for a script that binds them as a value (shell.BindLines)
// rather than as code.
func FindTreeArgs(skip []string, empty []EmptyDir) []string {
	var prune [][]string
	for _, p := range cleanRel(skip) {
		prune = append(prune, findPath(p, ""))
	}
	for _, e := range cleanEmpty(empty) {
		dir := "./" + e.Path
		if !isPattern(e.Path) {
			dir = "./" + escapeGlob(e.Path)
		}
		contents := append([]string{"("}, findPath(e.Path, "/*")...)
		contents = append(contents, "!", "-path", dir+"/.*")
		for _, k := range e.Keep {
			contents = append(contents, "!", "-path", dir+"/"+escapeGlob(k), "!", "-path", dir+"/"+escapeGlob(k)+"/*")
		}
		prune = append(prune, append(contents, ")"))
	}
	// a file shoal is writing atomically (steps' *.shoal-tmp.XXXXXX) is
	// never part of a tree: it is renamed into place or gone a moment later
	prune = append(prune, []string{"-name", "*.shoal-tmp.*"})
	args := []string{"("}
	for i, p := range prune {
		if i > 0 {
			args = append(args, "-o")
		}
		args = append(args, p...)
	}
	return append(args, ")", "-prune", "-o")
}

// cleanEmpty cleans empty dirs' paths as cleanRel does, and drops keep
// names that are not one plain name.
func cleanEmpty(empty []EmptyDir) []EmptyDir {
	var out []EmptyDir
	for _, e := range empty {
		c := cleanRel([]string{e.Path})
		if len(c) == 0 {
			continue
		}
		d := EmptyDir{Path: c[0]}
		for _, k := range e.Keep {
			if k != "" && k != "." && k != ".." && !strings.Contains(k, "/") {
				d.Keep = append(d.Keep, k)
			}
		}
		out = append(out, d)
	}
	return out
}

// cleanRel turns paths into clean relative ones ("./a/b/" → "a/b"),
// dropping any that name the root itself or leave it.
func cleanRel(paths []string) []string {
	var out []string
	for _, p := range paths {
		c := path.Clean("/" + p)[1:]
		if c == "" || strings.HasPrefix(path.Clean(p), "..") {
			continue
		}
		out = append(out, c)
	}
	return out
}

// findPath is the find test matching p with suffix ("" or "/*"): a
// literal path escaped, or a pattern held to its depth, since find's
// wildcards match `/` too: `./sites/*/files` alone would also match
// ./sites/all/modules/x/files, which has more levels than the pattern.
func findPath(p, suffix string) []string {
	if !isPattern(p) {
		return []string{"-path", "./" + escapeGlob(p) + suffix}
	}
	levels := strings.Count(p+suffix, "/") + 1
	deeper := "." + strings.Repeat("/*", levels+1)
	return []string{"(", "-path", "./" + p + suffix, "!", "-path", deeper, ")"}
}

// isPattern reports whether a path holds wildcards (block.IsPattern).
func isPattern(p string) bool { return strings.ContainsAny(p, `*?[`) }

// escapeGlob makes find -path match p literally.
func escapeGlob(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`\*?[]`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func treeKey(root string, skip []string, empty []EmptyDir, follow bool) string {
	var emptyKeys []string
	for _, e := range cleanEmpty(empty) {
		emptyKeys = append(emptyKeys, e.Path+"\x00"+strings.Join(e.Keep, "\x00"))
	}
	key := fmt.Sprintf("%s skip=%q empty=%q", root, cleanRel(skip), emptyKeys)
	if follow {
		key += " follow"
	}
	return key
}
