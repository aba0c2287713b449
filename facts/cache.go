package facts

import (
	"context"
	"fmt"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// CacheContents is what a purge would remove from a folder: everything in
// it but its top-level dot-files and the top-level names in Keep (with
// what is under them), which ship with the code. Symlinks are never
// followed, the folder itself included.
type CacheContents struct {
	Path string
	Keep []string
}

func (c CacheContents) Key() string {
	return fmt.Sprintf("cache:%s keep=%q", c.Path, c.Keep)
}

// Command prints "absent", "file", "other", "symlink" and the link's
// target on the next line, or "dir <entries> <files> <bytes>" counting
// only what is not kept: entries directly in the folder, every
// non-directory under them, the regular files' bytes.
func (c CacheContents) Command() string {
	return cacheCommand([]CacheContents{c}, `function section(key, out) { printf "%s", out }
`)
}

// BatchKind: absolute paths without newlines that keep the same names
// are answered by one find.
func (c CacheContents) BatchKind() string {
	if !strings.HasPrefix(c.Path, "/") || strings.Contains(c.Key(), "\n") {
		return ""
	}
	return fmt.Sprintf("cache %q", c.Keep)
}

// BatchCommand answers every folder with one walk.
func (CacheContents) BatchCommand(fs []Fact) string {
	cs := make([]CacheContents, len(fs))
	for i, f := range fs {
		cs[i] = f.(CacheContents)
	}
	return cacheCommand(cs, awkSections)
}

// cacheCommand walks the folders, pruning what they keep, and prints for
// each entry its folder, "<depth> <type> <size>" and its link target, for
// awk to tally and print with section (the markers of a batch, or none).
func cacheCommand(cs []CacheContents, section string) string {
	var kept []string
	for _, c := range cs {
		dir := escapeGlob(c.Path)
		kept = append(kept, "-path "+shell.Quote(dir+"/.*"))
		for _, k := range c.Keep {
			kept = append(kept, "-path "+shell.Quote(dir+"/"+escapeGlob(k)), "-path "+shell.Quote(dir+"/"+escapeGlob(k)+"/*"))
		}
	}
	return "find " + shell.Join(cachePaths(cs)...) + ` \( ` + strings.Join(kept, " -o ") + ` \) -prune -o -printf '%H\0%d %y %s\0%l\0' 2>/dev/null |` +
		"\nSHOAL_KEYS=" + lines(cacheKeys(cs)) + " SHOAL_PATHS=" + lines(cachePaths(cs)) + " awk '" + section + cacheAwk + "'"
}

func cachePaths(cs []CacheContents) []string {
	paths := make([]string, len(cs))
	for i, c := range cs {
		paths[i] = c.Path
	}
	return paths
}

func cacheKeys(cs []CacheContents) []string {
	keys := make([]string, len(cs))
	for i, c := range cs {
		keys[i] = c.Key()
	}
	return keys
}

// cacheAwk tallies find's records per folder and prints each one's section.
const cacheAwk = `BEGIN { RS = "\0" }
NR % 3 == 1 { top = $0; next }
NR % 3 == 2 { split($0, m, " "); next }
m[1] == 0 { kind[top] = m[2]; link[top] = $0; entries[top] = 0; files[top] = 0; bytes[top] = 0; next }
{
	if (m[1] == 1) entries[top]++
	if (m[2] != "d") files[top]++
	if (m[2] == "f") bytes[top] += m[3]
}
function describe(p,   k) {
	if (!(p in kind)) return "absent\n"
	k = kind[p]
	if (k == "d") return sprintf("dir %d %d %.0f\n", entries[p], files[p], bytes[p])
	if (k == "l") return "symlink\n" link[p] "\n"
	if (k == "f") return "file\n"
	return "other\n"
}
END {
	n = split(ENVIRON["SHOAL_KEYS"], keys, "\n")
	split(ENVIRON["SHOAL_PATHS"], paths, "\n")
	for (i = 1; i <= n; i++) section(keys[i], describe(paths[i]))
}`

// CacheInfo is a CacheContents fact's value.
type CacheInfo struct {
	Kind    PathKind
	Target  string // symlink: what it points to
	Entries int    // directory: entries a purge removes directly in it
	Files   int64  // every non-directory a purge removes
	Bytes   int64  // their regular files' size
}

// ReadCacheContents gathers c on node.
func ReadCacheContents(ctx context.Context, src Source, node string, c CacheContents) (CacheInfo, error) {
	sec, err := src.Get(ctx, node, c)
	if err != nil {
		return CacheInfo{}, err
	}
	if sec.Status != 0 {
		return CacheInfo{}, fmt.Errorf("inspecting %s on %s: exit %d", c.Path, node, sec.Status)
	}
	info, err := ParseCacheContents(sec.Output)
	if err != nil {
		return CacheInfo{}, fmt.Errorf("inspecting %s on %s: %w", c.Path, node, err)
	}
	return info, nil
}

// ParseCacheContents reads the output of CacheContents.Command.
func ParseCacheContents(out string) (CacheInfo, error) {
	head, rest, _ := strings.Cut(out, "\n")
	switch head {
	case "absent":
		return CacheInfo{Kind: PathAbsent}, nil
	case "file":
		return CacheInfo{Kind: PathFile}, nil
	case "other":
		return CacheInfo{Kind: PathOther}, nil
	case "symlink":
		return CacheInfo{Kind: PathSymlink, Target: strings.TrimSuffix(rest, "\n")}, nil
	}
	info := CacheInfo{Kind: PathDir}
	if _, err := fmt.Sscanf(head, "dir %d %d %d", &info.Entries, &info.Files, &info.Bytes); err != nil {
		return CacheInfo{}, fmt.Errorf("unexpected cache fact %q", out)
	}
	return info, nil
}
