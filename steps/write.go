package steps

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// fileWrite is one whole-file write the file, cron and line kinds share:
// atomic (a temporary file beside it, fsynced, renamed over it), the
// previous version kept, and refused when the file is not what the plan
// saw.
type fileWrite struct {
	Path    string
	Content string
	// Was is the sha256 of what the plan saw at Path; "" when nothing
	// was there. A file that changed since is left alone (exit 3).
	Was   string
	Mode  string // octal; "" keeps an existing file's (a new one gets 0644)
	Owner string // "" keeps an existing file's (a new one gets root's)
	Group string
	// Root is set when Path lies in a site root: then no symlink is
	// followed, the folder must exist inside the root, and the previous
	// version is kept outside the root (a web server would serve
	// wp-config.php.shoal.bak as text), under /var/lib/shoal/backup.
	Root string
	// Stamp, when set, is where the write records the sha256 of what it
	// wrote, just before the file takes it: the steps that follow the
	// writing block (a service's reload) compare it with what they last
	// acted on, so a reload that failed or never ran after the write is
	// still owed on the next plan (see changedStamp).
	Stamp string
}

// stateDir holds what shoal keeps on a node: backups of files under site
// roots, and the stamps of declared blocks' writes.
const stateDir = "/var/lib/shoal"

// changedStamp is where a declared block's write leaves its stamp on a
// node: <state>/changed/<site>/<kind>.<label>. Site names and block
// labels are kept to a safe alphabet by the loader.
func changedStamp(state, site, address string) string {
	return state + "/changed/" + site + "/" + address
}

// sha256Hex is how plans and scripts name a file's content.
func sha256Hex(content string) string {
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

// backupPath is where the previous version of a file is kept.
func (w fileWrite) backupPath() string {
	if w.Root == "" {
		return w.Path + ".shoal.bak"
	}
	return stateDir + "/backup" + w.Path + ".shoal.bak"
}

// script writes the file; the content travels inside the script (on the
// session's stdin), never on a command line.
func (w fileWrite) script() string {
	return shell.Script(fileWriteBody,
		shell.Bind("f", w.Path), shell.Bind("content", w.Content), shell.Bind("was", w.Was),
		shell.Bind("mode", w.Mode), shell.Bind("owner", strings.TrimSuffix(w.Owner+":"+w.Group, ":")),
		shell.Bind("root", w.Root), shell.Bind("bak", w.backupPath()),
		shell.Bind("stamp", w.Stamp), shell.Bind("wrote", sha256Hex(w.Content)))
}

const fileWriteBody = `set -e
if [ -n "$root" ]; then
	[ ! -L "$f" ] || { echo "$f is a symlink: not writing through it" >&2; exit 3; }
	d=$(dirname -- "$f")
	[ -d "$d" ] || { echo "$d does not exist" >&2; exit 3; }
	real=$(cd -P -- "$d" && pwd)
	top=$(cd -P -- "$root" && pwd)
	case "$real/" in
	"$top"/*) ;;
	*) echo "$d leads out of $root through a symlink: not writing there" >&2; exit 3 ;;
	esac
else
	if [ -L "$f" ]; then f=$(readlink -f -- "$f"); fi
	d=$(dirname -- "$f")
	mkdir -p -- "$d"
fi
if [ -e "$f" ]; then
	[ -f "$f" ] || { echo "$f is not a regular file" >&2; exit 3; }
	now=$(sha256sum < "$f")
	now=${now%% *}
else
	now=
fi
if [ "$now" != "$was" ]; then
	echo "$f changed since the plan was made; run shoal plan again" >&2
	exit 3
fi
tmp=$(mktemp -- "$f.shoal-tmp.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
printf '%s' "$content" > "$tmp"
if [ -e "$f" ]; then
	chown --reference="$f" -- "$tmp"
	chmod --reference="$f" -- "$tmp"
	mkdir -p -- "$(dirname -- "$bak")"
	cp -p -- "$f" "$bak.tmp"
	sync -- "$bak.tmp"
	mv -f -- "$bak.tmp" "$bak"
else
	chmod 0644 -- "$tmp"
fi
if [ -n "$mode" ]; then chmod "$mode" -- "$tmp"; fi
if [ -n "$owner" ]; then chown "$owner" -- "$tmp"; fi
sync -- "$tmp"
if [ -n "$stamp" ]; then
	mkdir -p -- "$(dirname -- "$stamp")"
	printf '%s\n' "$wrote" > "$stamp.tmp"
	mv -f -- "$stamp.tmp" "$stamp"
fi
mv -f -- "$tmp" "$f"
sync -- "$d"
trap - EXIT
`
