package steps

import (
	"fmt"

	"github.com/shoal-sh/shoal/shell"
)

// AtomicWriteScript is sh that replaces the file at path with its stdin
// atomically: a temporary file in the same directory, fsynced, renamed
// over the old one. An existing file keeps its mode and owner and its
// previous version is kept as <path>.shoal.bak; a new file gets newMode
// ("0644"). A symlink at path is followed, so the link stays a link.
// The content travels on stdin, never on the command line.
func AtomicWriteScript(path, newMode string) string {
	return fmt.Sprintf(`set -e
f=%s
if [ -L "$f" ]; then f=$(readlink -f -- "$f"); fi
d=$(dirname -- "$f")
mkdir -p -- "$d"
tmp=$(mktemp -- "$f.shoal-tmp.XXXXXX")
trap 'rm -f -- "$tmp" "$tmp.bak"' EXIT
cat > "$tmp"
if [ -e "$f" ]; then
  chown --reference="$f" -- "$tmp"
  chmod --reference="$f" -- "$tmp"
  cp -p -- "$f" "$tmp.bak"
  sync -- "$tmp.bak"
  mv -f -- "$tmp.bak" "$f.shoal.bak"
else
  chmod %s -- "$tmp"
fi
sync -- "$tmp"
mv -f -- "$tmp" "$f"
sync -- "$d"
trap - EXIT`, shell.Quote(path), shell.Quote(newMode))
}
