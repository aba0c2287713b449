package facts

import (
	"fmt"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// BatchKind: checks for the same owner, group, mode and symlink rule are
// answered by one find; a path that is not absolute could read as a find
// expression.
func (o Ownership) BatchKind() string {
	if !strings.HasPrefix(o.Path, "/") || strings.Contains(o.Key(), "\n") {
		return ""
	}
	return fmt.Sprintf("owners\x00%s\x00%s\x00%s\x00%t\x00%t", o.User, o.Group, o.DirMode, o.FollowTop, o.Shallow)
}

// BatchCommand looks the account up once, tests each path's existence
// with shell builtins, and finds every wrong entry under all the paths in
// one walk, tagging each with its starting point.
func (Ownership) BatchCommand(fs []Fact) string {
	o := fs[0].(Ownership)
	var b strings.Builder
	fmt.Fprintf(&b, "if ! id -u %s >/dev/null 2>&1; then %s\nelif ! getent group %s >/dev/null; then %s\nelse\nhere=\n",
		shell.Quote(o.User), sameOutput(fs, "unknown-user"), shell.Quote(o.Group), sameOutput(fs, "unknown-group"))
	keys := make([]string, len(fs))
	paths := make([]string, len(fs))
	for i, f := range fs {
		keys[i], paths[i] = f.Key(), f.(Ownership).Path
		q := shell.Quote(paths[i])
		fmt.Fprintf(&b, "if [ -e %s ] || [ -L %s ]; then here=${here}y; else here=${here}n; fi\n", q, q)
	}
	follow := ""
	if o.FollowTop {
		follow = "-H "
	}
	fmt.Fprintf(&b, "find %s%s%s \\( ! -user %s -o ! -group %s \\) -printf 'o%%H\\0'", follow, shell.Join(paths...),
		o.depth(), shell.Quote(o.User), shell.Quote(o.Group))
	if o.DirMode != "" {
		fmt.Fprintf(&b, " -false -o -type d ! -perm %s -printf 'm%%H\\0'", shell.Quote(o.DirMode))
	}
	fmt.Fprintf(&b, " 2>/dev/null |\nSHOAL_KEYS=%s SHOAL_PATHS=%s SHOAL_HERE=\"$here\" awk '%s%s'\nfi",
		lines(keys), lines(paths), awkSections, ownersAwk)
	return b.String()
}

// ownersAwk counts the wrong entries per starting point and prints
// Ownership.Command's output per fact.
const ownersAwk = `BEGIN { RS = "\0" }
{ wrong[$0]++ }
END {
	n = split(ENVIRON["SHOAL_KEYS"], keys, "\n")
	split(ENVIRON["SHOAL_PATHS"], paths, "\n")
	for (i = 1; i <= n; i++) {
		if (substr(ENVIRON["SHOAL_HERE"], i, 1) == "n") section(keys[i], "absent\n")
		else section(keys[i], sprintf("%d %d\n", wrong["o" paths[i]], wrong["m" paths[i]]))
	}
}`
