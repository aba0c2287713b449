package facts

import (
	"context"
	"fmt"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// FreeSpace is the space left, for an ordinary user (df's Avail), on the
// filesystem holding Path, or its nearest existing ancestor when Path
// does not exist yet. It is measured only while For, the folder whose
// move needs the room, is a real folder: once moved (a symlink) there is
// nothing to measure, and a plan that changes nothing asks the storage
// nothing.
type FreeSpace struct {
	Path string
	For  string
}

func (f FreeSpace) Key() string { return "free:" + f.Path + " for " + f.For }

// Volatile: free space moves with every write on the filesystem; the
// move checks for room again as it copies.
func (FreeSpace) Volatile() bool { return true }

// Command prints "<available bytes>", or "-" when For is not a folder.
func (f FreeSpace) Command() string {
	return spaceCommand([]FreeSpace{f}, `function section(key, out) { printf "%s", out }
`)
}

// BatchKind: absolute paths without newlines share one stat.
func (f FreeSpace) BatchKind() string {
	if !strings.HasPrefix(f.Path, "/") || strings.Contains(f.Key(), "\n") {
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

// spaceCommand finds, with shell builtins, each path whose For is a real
// folder and its nearest existing folder, then asks stat for all of them
// at once (no stat at all when none is needed); awk prints every fact's
// section in order, "-" for those not measured (all of them if stat
// answered for fewer paths than asked: a number must never shift).
func spaceCommand(fs []FreeSpace, section string) string {
	var b strings.Builder
	keys := make([]string, len(fs))
	b.WriteString("set --\nwanted=\n")
	for i, f := range fs {
		keys[i] = f.Key()
		fmt.Fprintf(&b, "if [ -d %s ] && [ ! -L %s ]; then\n\tp=%s\n\twhile [ ! -d \"$p\" ] && [ -n \"$p\" ]; do p=${p%%/*}; done\n\tset -- \"$@\" \"${p:-/}\"\n\twanted=${wanted}y\nelse wanted=${wanted}n; fi\n",
			shell.Quote(f.For), shell.Quote(f.For), shell.Quote(f.Path))
	}
	b.WriteString(`{ if [ $# -gt 0 ]; then stat -f -c '%a %S' -- "$@"; fi; } | SHOAL_KEYS=` + lines(keys) + ` SHOAL_WANTED="$wanted" awk '` + section +
		`{ free[NR] = sprintf("%.0f\n", $1 * $2) }
END {
	n = split(ENVIRON["SHOAL_KEYS"], keys, "\n")
	asked = gsub(/y/, "y", ENVIRON["SHOAL_WANTED"])
	for (i = 1; i <= n; i++) {
		if (substr(ENVIRON["SHOAL_WANTED"], i, 1) == "y" && NR == asked) section(keys[i], free[++j])
		else section(keys[i], "-\n")
	}
}'`)
	return b.String()
}

// ReadFreeSpace returns the bytes available on the filesystem of f.Path
// on node, or -1 when it was not measured (f.For is not a folder).
func ReadFreeSpace(ctx context.Context, src Source, node string, f FreeSpace) (int64, error) {
	sec, err := src.Get(ctx, node, f)
	if err != nil {
		return 0, err
	}
	if sec.Status == 0 && strings.TrimSpace(sec.Output) == "-" {
		return -1, nil
	}
	var free int64
	if _, err := fmt.Sscanf(sec.Output, "%d", &free); sec.Status != 0 || err != nil {
		return 0, fmt.Errorf("measuring the free space at %s on %s: exit %d: %q", f.Path, node, sec.Status, sec.Output)
	}
	return free, nil
}
