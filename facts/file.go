package facts

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// MaxFileSize is the largest file the File fact reads; system files shoal
// edits (fstab, exports, cron.d) are far smaller.
const MaxFileSize = 1 << 20

// File reads one file's content, mode and owner (following symlinks).
// On a directory it says only whether the directory is empty.
type File struct {
	Path string
}

func (f File) Key() string { return "file:" + f.Path }

func (f File) Command() string {
	return fmt.Sprintf(`p=%s
if [ -d "$p" ]; then
  if [ -n "$(find "$p" -mindepth 1 -maxdepth 1 -print -quit)" ]; then e=full; else e=empty; fi
  stat -L -c "dir %%a %%u %%g $e" -- "$p"
elif [ -f "$p" ]; then
  s=$(stat -L -c %%s -- "$p") || exit 1
  if [ "$s" -gt %d ]; then echo "toolarge $s"; exit 0; fi
  stat -L -c 'file %%a %%u %%g' -- "$p" && cat -- "$p"
elif [ -e "$p" ]; then
  echo other
else
  echo absent
fi`, shell.Quote(f.Path), MaxFileSize)
}

// FileContent is what File found. Exists is false when nothing is at the
// path; IsDir with DirEmpty describes a directory (Content is then empty).
type FileContent struct {
	Exists   bool
	IsDir    bool
	DirEmpty bool
	Content  string
	Mode     string // "0644"
	UID, GID int
}

// ReadFile returns what is at path on node.
func ReadFile(ctx context.Context, src Source, node, path string) (FileContent, error) {
	sec, err := src.Get(ctx, node, File{Path: path})
	if err != nil {
		return FileContent{}, err
	}
	fc, err := ParseFile(sec)
	if err != nil {
		return FileContent{}, fmt.Errorf("reading %s on %s: %w", path, node, err)
	}
	return fc, nil
}

// ParseFile reads the output of File's command.
func ParseFile(sec Section) (FileContent, error) {
	if sec.Status != 0 {
		return FileContent{}, fmt.Errorf("exit %d", sec.Status)
	}
	header, content, _ := strings.Cut(sec.Output, "\n")
	fields := strings.Fields(header)
	if len(fields) == 0 {
		return FileContent{}, fmt.Errorf("empty output")
	}
	switch fields[0] {
	case "absent":
		return FileContent{}, nil
	case "other":
		return FileContent{}, fmt.Errorf("neither a regular file nor a directory")
	case "toolarge":
		return FileContent{}, fmt.Errorf("%s bytes, over the %d byte limit", strings.Join(fields[1:], " "), MaxFileSize)
	case "dir", "file":
	default:
		return FileContent{}, fmt.Errorf("unexpected output %q", header)
	}
	if len(fields) < 4 {
		return FileContent{}, fmt.Errorf("unexpected output %q", header)
	}
	mode, errM := strconv.ParseUint(fields[1], 8, 32)
	uid, errU := strconv.Atoi(fields[2])
	gid, errG := strconv.Atoi(fields[3])
	if errM != nil || errU != nil || errG != nil {
		return FileContent{}, fmt.Errorf("unexpected output %q", header)
	}
	fc := FileContent{Exists: true, Mode: fmt.Sprintf("%04o", mode), UID: uid, GID: gid}
	if fields[0] == "dir" {
		fc.IsDir = true
		fc.DirEmpty = len(fields) > 4 && fields[4] == "empty"
		return fc, nil
	}
	fc.Content = content
	return fc, nil
}
