package facts

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// Path is what is at one absolute path on a node, without following it.
// Shallow skips walking a directory's tree (Files and Bytes are then -1):
// a mount point or a folder on network storage is never walked just to
// learn whether it is empty.
type Path struct {
	Path    string
	Shallow bool
}

func (p Path) Key() string {
	if p.Shallow {
		return "path-shallow:" + p.Path
	}
	return "path:" + p.Path
}

// Command prints "<kind> <uid> <gid> <mode> <dev>", then for a directory
// "<entries> <files> <bytes> <links out>" (files: every non-directory below
// it; bytes: regular files only, symlinks never followed; links out: the
// symlinks below it whose target is absolute or has a ".." component, so
// may lead out of it) and one line per such link, the first
// MaxListedLinks, "<path>\t<target>" with the path relative to the folder
// and both escaped (see UnescapeLine); a shallow directory's line is
// "<entries> -1 -1". For a symlink, its target is the rest of the output.
func (p Path) Command() string {
	q := shell.Quote(p.Path)
	sums := `find "$p" -mindepth 1 ! -type d -printf '%y %s\0%P\0%l\0' | awk '` + awkEscape + deepAwk + `'`
	if p.Shallow {
		sums = `echo -1 -1`
	}
	return `p=` + q + `
if [ -L "$p" ]; then k=symlink
elif [ -d "$p" ]; then k=dir
elif [ -f "$p" ]; then k=file
elif [ -e "$p" ]; then k=other
else echo absent; exit 0
fi
printf '%s %s\n' "$k" "$(stat -c '%u %g %a %d' -- "$p")"
case $k in
dir)
	printf '%s ' "$(find "$p" -mindepth 1 -maxdepth 1 -printf x | wc -c)"
	` + sums + `
	;;
symlink) readlink -- "$p" ;;
esac`
}

// PathKind is what kind of thing a path is.
type PathKind int

const (
	PathAbsent PathKind = iota
	PathDir
	PathFile
	PathSymlink
	PathOther // device, fifo, socket
)

func (k PathKind) String() string {
	return [...]string{"absent", "directory", "file", "symlink", "special file"}[k]
}

// PathInfo is a Path fact's value.
type PathInfo struct {
	Kind    PathKind
	Target  string // symlink: what it points to, as written
	Entries int    // directory: direct children
	Files   int64  // directory: every non-directory below it; -1 when Shallow
	Bytes   int64  // directory: size of the regular files below it; -1 when Shallow
	UID     int
	GID     int
	Mode    string // octal permission bits, "755"
	Dev     uint64 // device the path lives on: equal devices allow rename
	// LinksOut counts the symlinks below a directory (not Shallow) whose
	// target is absolute or has a ".." component: they may lead out of
	// it. OutLinks lists the first MaxListedLinks of them.
	LinksOut int
	OutLinks []Link
}

// Link is a symlink below a folder: its path relative to the folder, and
// its target as written.
type Link struct {
	Path, Target string
}

// MaxListedLinks is how many links leading out of a folder a Path fact lists.
const MaxListedLinks = 20

// Empty reports whether the path is a directory with nothing in it.
func (i PathInfo) Empty() bool { return i.Kind == PathDir && i.Entries == 0 }

// ReadPath gathers the Path fact for path on node.
func ReadPath(ctx context.Context, src Source, node, path string) (PathInfo, error) {
	return ReadPathFact(ctx, src, node, Path{Path: path})
}

// ReadPathFact gathers a Path fact, shallow or not, on node.
func ReadPathFact(ctx context.Context, src Source, node string, p Path) (PathInfo, error) {
	path := p.Path
	sec, err := src.Get(ctx, node, p)
	if err != nil {
		return PathInfo{}, err
	}
	if sec.Status != 0 {
		return PathInfo{}, fmt.Errorf("inspecting %s on %s: exit %d", path, node, sec.Status)
	}
	info, err := ParsePath(sec.Output)
	if err != nil {
		return PathInfo{}, fmt.Errorf("inspecting %s on %s: %w", path, node, err)
	}
	return info, nil
}

// ParsePath reads the output of Path.Command.
func ParsePath(out string) (PathInfo, error) {
	head, rest, _ := strings.Cut(out, "\n")
	f := strings.Fields(head)
	if len(f) == 1 && f[0] == "absent" {
		return PathInfo{Kind: PathAbsent}, nil
	}
	if len(f) != 5 {
		return PathInfo{}, fmt.Errorf("unexpected path fact %q", head)
	}
	info := PathInfo{Mode: f[3]}
	switch f[0] {
	case "dir":
		info.Kind = PathDir
	case "file":
		info.Kind = PathFile
	case "symlink":
		info.Kind = PathSymlink
	case "other":
		info.Kind = PathOther
	default:
		return PathInfo{}, fmt.Errorf("unexpected path kind %q", f[0])
	}
	var err error
	if info.UID, err = strconv.Atoi(f[1]); err != nil {
		return PathInfo{}, fmt.Errorf("bad uid in %q", head)
	}
	if info.GID, err = strconv.Atoi(f[2]); err != nil {
		return PathInfo{}, fmt.Errorf("bad gid in %q", head)
	}
	if info.Dev, err = strconv.ParseUint(f[4], 10, 64); err != nil {
		return PathInfo{}, fmt.Errorf("bad device in %q", head)
	}
	switch info.Kind {
	case PathSymlink:
		info.Target = strings.TrimSuffix(rest, "\n") // readlink's own newline
	case PathDir:
		counts, links, _ := strings.Cut(rest, "\n")
		if _, err := fmt.Sscanf(counts, "%d %d %d", &info.Entries, &info.Files, &info.Bytes); err != nil {
			return PathInfo{}, fmt.Errorf("bad directory counts %q", rest)
		}
		if f := strings.Fields(counts); len(f) == 4 {
			if info.LinksOut, err = strconv.Atoi(f[3]); err != nil {
				return PathInfo{}, fmt.Errorf("bad directory counts %q", counts)
			}
		}
		for _, l := range strings.Split(strings.TrimSuffix(links, "\n"), "\n") {
			if l == "" {
				continue
			}
			p, target, ok := strings.Cut(l, "\t")
			if !ok {
				return PathInfo{}, fmt.Errorf("bad link line %q", l)
			}
			info.OutLinks = append(info.OutLinks, Link{Path: UnescapeLine(p), Target: UnescapeLine(target)})
		}
	}
	return info, nil
}

// awkEscape is awk source for esc(s): s with backslash, tab and newline
// written as \\, \t and \n, so any name fits in one field of a line.
const awkEscape = `function esc(s,   o, i, c) {
	o = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\\") c = "\\\\"
		else if (c == "\t") c = "\\t"
		else if (c == "\n") c = "\\n"
		o = o c
	}
	return o
}
function leaves(t) { return t ~ /^\// || t ~ /(^|\/)\.\.(\/|$)/ }
`

// deepAwk reads find's "%y %s\0%P\0%l\0" records under one folder and
// prints Path.Command's counts line (without the entries) and out-links.
var deepAwk = `BEGIN { RS = "\0" }
NR % 3 == 1 { split($0, m, " "); next }
NR % 3 == 2 { rel = $0; next }
{
	n++
	if (m[1] == "f") s += m[2]
	if (m[1] == "l" && leaves($0) && ++out <= ` + strconv.Itoa(MaxListedLinks) + `) list = list esc(rel) "\t" esc($0) "\n"
}
END { printf "%d %.0f %d\n%s", n, s, out, list }`

// UnescapeLine undoes awkEscape's esc.
func UnescapeLine(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
