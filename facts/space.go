package facts

import (
	"context"
	"fmt"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// FreeSpace is the space left, for an ordinary user (df's Avail), on the
// filesystem holding Path, or its nearest existing ancestor when Path
// does not exist yet.
type FreeSpace struct {
	Path string
}

func (f FreeSpace) Key() string { return "free:" + f.Path }

// Command prints "<available bytes>".
func (f FreeSpace) Command() string {
	return spaceCommand([]FreeSpace{f}, `function section(key, out) { printf "%s", out }
`)
}

// BatchKind: absolute paths without newlines share one stat.
func (f FreeSpace) BatchKind() string {
	if !strings.HasPrefix(f.Path, "/") || strings.Contains(f.Path, "\n") {
		return ""
	}
	return "free"
}

func (FreeSpace) BatchCommand(fs []Fact) string {
	ss := make([]FreeSpace, len(fs))
	for i, f := range fs {
		ss[i] = f.(FreeSpace)
	}
	return spaceCommand(ss, awkSections)
}

// spaceCommand finds each path's nearest existing folder with shell
// builtins, then asks stat for all of them at once.
func spaceCommand(fs []FreeSpace, section string) string {
	var b strings.Builder
	keys := make([]string, len(fs))
	b.WriteString("set --\n")
	for i, f := range fs {
		keys[i] = f.Key()
		fmt.Fprintf(&b, "p=%s\nwhile [ ! -d \"$p\" ] && [ -n \"$p\" ]; do p=${p%%/*}; done\nset -- \"$@\" \"${p:-/}\"\n", shell.Quote(f.Path))
	}
	b.WriteString(`stat -f -c '%a %S' -- "$@" | SHOAL_KEYS=` + lines(keys) + ` awk '` + section +
		`BEGIN { n = split(ENVIRON["SHOAL_KEYS"], keys, "\n") } { section(keys[NR], sprintf("%.0f\n", $1 * $2)) }'`)
	return b.String()
}

// ReadFreeSpace returns the bytes available on the filesystem of f.Path on node.
func ReadFreeSpace(ctx context.Context, src Source, node string, f FreeSpace) (int64, error) {
	sec, err := src.Get(ctx, node, f)
	if err != nil {
		return 0, err
	}
	var free int64
	if _, err := fmt.Sscanf(sec.Output, "%d", &free); sec.Status != 0 || err != nil {
		return 0, fmt.Errorf("measuring the free space at %s on %s: exit %d: %q", f.Path, node, sec.Status, sec.Output)
	}
	return free, nil
}
