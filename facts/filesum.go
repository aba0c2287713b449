package facts

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// FileSum describes a file by its SHA-256 sum instead of its content, for
// files that hold secrets: what comes back from the node says whether
// the file is right, never what is in it. A symlink is reported as one,
// not followed.
type FileSum struct {
	Path string
}

func (f FileSum) Key() string { return "filesum:" + f.Path }

func (f FileSum) Command() string {
	return fmt.Sprintf(`f=%s
if [ -L "$f" ]; then echo link
elif [ -f "$f" ]; then stat -c 'file %%a %%u %%g' -- "$f" && sha256sum < "$f" | cut -d' ' -f1
elif [ -e "$f" ]; then echo other
else echo absent
fi`, shell.Quote(f.Path))
}

// FileSumInfo is what FileSum found: Kind is "absent", "file", "link" or
// "other"; the rest describes a file.
type FileSumInfo struct {
	Kind     string
	Mode     string // "600"
	UID, GID int
	SHA256   string // hex
}

// ReadFileSum returns what is at path on node.
func ReadFileSum(ctx context.Context, src Source, node, path string) (FileSumInfo, error) {
	sec, err := src.Get(ctx, node, FileSum{Path: path})
	if err != nil {
		return FileSumInfo{}, err
	}
	info, err := ParseFileSum(sec)
	if err != nil {
		return FileSumInfo{}, fmt.Errorf("reading %s on %s: %w", path, node, err)
	}
	return info, nil
}

// ParseFileSum reads FileSum's output.
func ParseFileSum(sec Section) (FileSumInfo, error) {
	if sec.Status != 0 {
		return FileSumInfo{}, fmt.Errorf("exit %d: %s", sec.Status, sec.Output)
	}
	lines := strings.Split(strings.TrimSpace(sec.Output), "\n")
	f := strings.Fields(lines[0])
	switch {
	case len(f) == 1 && (f[0] == "absent" || f[0] == "link" || f[0] == "other"):
		return FileSumInfo{Kind: f[0]}, nil
	case len(f) == 4 && f[0] == "file" && len(lines) == 2:
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 == nil && err2 == nil {
			return FileSumInfo{Kind: "file", Mode: f[1], UID: uid, GID: gid, SHA256: strings.TrimSpace(lines[1])}, nil
		}
	}
	return FileSumInfo{}, fmt.Errorf("unexpected output %q", sec.Output)
}
