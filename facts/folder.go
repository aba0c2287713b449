package facts

import (
	"context"
	"fmt"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// Folder is what a site's declared folder is on a node, Root/Dir, and
// whether it is reached from Root through a symlink: a folder of the
// tree that the site's user replaced with a link could lead anything
// done "inside the site" out of it. Shell builtins only, so hundreds of
// folders cost no fork (a link's target is read only when one is found
// on the way).
type Folder struct {
	Root string
	Dir  string // relative to Root, clean
}

func (f Folder) Key() string { return "folder:" + f.Root + "//" + f.Dir }

// Command prints "through <component>" and that symlink's target on the
// next line when a folder between Root and Dir's last element is a
// symlink (component relative to Root); otherwise Dir's kind: "absent",
// "dir", "file", "symlink" or "other".
func (f Folder) Command() string { return folderScript([]Folder{f}, false) }

// BatchKind: folders whose key has no newline are answered together.
func (f Folder) BatchKind() string {
	if strings.Contains(f.Key(), "\n") {
		return ""
	}
	return "folder"
}

func (Folder) BatchCommand(fs []Fact) string {
	folders := make([]Folder, len(fs))
	for i, f := range fs {
		folders[i] = f.(Folder)
	}
	return folderScript(folders, true)
}

// folderWalk defines shoal_folder ROOT DIR, which sets $out to
// Folder.Command's output for ROOT/DIR.
const folderWalk = `shoal_folder() {
r=$1 p=$1 rest=$2 out=
while [ -n "$rest" ]; do
	c=${rest%%/*}
	case $rest in */*) rest=${rest#*/} ;; *) rest= ;; esac
	p=$p/$c
	[ -n "$rest" ] || break
	if [ -L "$p" ]; then out="through ${p#"$r"/}
$(readlink -- "$p")"; break; fi
	[ -d "$p" ] || { out=absent; break; }
done
if [ -z "$out" ]; then
	if [ -L "$p" ]; then out=symlink
	elif [ -d "$p" ]; then out=dir
	elif [ -f "$p" ]; then out=file
	elif [ -e "$p" ]; then out=other
	else out=absent
	fi
fi
}
`

func folderScript(fs []Folder, markers bool) string {
	var b strings.Builder
	b.WriteString(folderWalk)
	for _, f := range fs {
		fmt.Fprintf(&b, "shoal_folder %s %s\n", shell.Quote(f.Root), shell.Quote(f.Dir))
		if markers {
			fmt.Fprintf(&b, "printf '\\n%s begin %%s\\n%%s\\n\\n%s end 0\\n' %s \"$out\"\n", marker, marker, shell.Quote(f.Key()))
		} else {
			b.WriteString("printf '%s\\n' \"$out\"\n")
		}
	}
	return b.String()
}

// FolderInfo is a Folder fact's value.
type FolderInfo struct {
	Kind    PathKind // of Root/Dir, when not reached through a link
	Through string   // the symlink on the way, relative to Root; "" if none
	Target  string   // Through's target
}

// ReadFolder gathers f on node.
func ReadFolder(ctx context.Context, src Source, node string, f Folder) (FolderInfo, error) {
	sec, err := src.Get(ctx, node, f)
	if err != nil {
		return FolderInfo{}, err
	}
	if sec.Status != 0 {
		return FolderInfo{}, fmt.Errorf("inspecting %s/%s on %s: exit %d", f.Root, f.Dir, node, sec.Status)
	}
	info, err := ParseFolder(sec.Output)
	if err != nil {
		return FolderInfo{}, fmt.Errorf("inspecting %s/%s on %s: %w", f.Root, f.Dir, node, err)
	}
	return info, nil
}

// ParseFolder reads the output of Folder.Command.
func ParseFolder(out string) (FolderInfo, error) {
	head, rest, _ := strings.Cut(strings.TrimSuffix(out, "\n"), "\n")
	if through, ok := strings.CutPrefix(head, "through "); ok {
		return FolderInfo{Through: through, Target: rest}, nil
	}
	kinds := map[string]PathKind{"absent": PathAbsent, "dir": PathDir, "file": PathFile, "symlink": PathSymlink, "other": PathOther}
	k, ok := kinds[head]
	if !ok || rest != "" {
		return FolderInfo{}, fmt.Errorf("unexpected folder fact %q", out)
	}
	return FolderInfo{Kind: k}, nil
}
