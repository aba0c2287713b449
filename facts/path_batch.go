package facts

import (
	"strconv"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// BatchKind: absolute paths without newlines are answered together; a
// relative one could read as a find expression.
func (p Path) BatchKind() string {
	if !strings.HasPrefix(p.Path, "/") || strings.Contains(p.Path, "\n") {
		return ""
	}
	return "path"
}

// BatchCommand answers Path facts with at most two finds: one walking
// the deep paths, one listing the shallow paths one level down. A path
// asked both ways is walked once and answers both.
func (Path) BatchCommand(fs []Fact) string {
	var deep, shallow, listOnly []string
	isDeep := map[string]bool{}
	for _, f := range fs {
		if p := f.(Path); !p.Shallow {
			deep = append(deep, p.Path)
			isDeep[p.Path] = true
		}
	}
	for _, f := range fs {
		if p := f.(Path); p.Shallow {
			shallow = append(shallow, p.Path)
			if !isDeep[p.Path] {
				listOnly = append(listOnly, p.Path)
			}
		}
	}
	// Every entry: depth, type, size, owner, mode, device, then its
	// starting point, its path below it and link target; the starting
	// point's own entry (depth 0) comes before what is under it.
	const each = ` -printf '%d %y %s %U %G %m %D\0%H\0%P\0%l\0'`
	var finds []string
	if len(listOnly) > 0 {
		finds = append(finds, "find "+shell.Join(listOnly...)+" -maxdepth 1"+each)
	}
	if len(deep) > 0 {
		finds = append(finds, "find "+shell.Join(deep...)+each)
	}
	return "{ " + strings.Join(finds, "; ") + "; } 2>/dev/null |\nSHOAL_DEEP=" + lines(deep) +
		" SHOAL_SHALLOW=" + lines(shallow) + " awk '" + awkSections + awkEscape + pathAwk + "'"
}

// pathAwk turns the finds' entries into Path.Command's output per path.
var pathAwk = `BEGIN { RS = "\0" }
NR % 4 == 1 { split($0, m, " "); next }
NR % 4 == 2 { top = $0; next }
NR % 4 == 3 { rel = $0; next }
m[1] == 0 {
	kind[top] = m[2]; head[top] = m[4] " " m[5] " " m[6] " " m[7]; link[top] = $0
	entries[top] = 0; files[top] = 0; bytes[top] = 0; nout[top] = 0; list[top] = ""
	next
}
{
	if (m[1] == 1) entries[top]++
	if (m[2] != "d") files[top]++
	if (m[2] == "f") bytes[top] += m[3]
	if (m[2] == "l" && leaves($0) && ++nout[top] <= ` + strconv.Itoa(MaxListedLinks) + `) list[top] = list[top] esc(rel) "\t" esc($0) "\n"
}
function describe(p, deep,   k, out) {
	if (!(p in kind)) return "absent\n"
	k = kind[p]
	if (k == "d") {
		out = "dir " head[p] "\n" entries[p] " "
		if (deep) return out sprintf("%d %.0f %d\n", files[p], bytes[p], nout[p]) list[p]
		return out "-1 -1\n"
	}
	if (k == "l") return "symlink " head[p] "\n" link[p] "\n"
	if (k == "f") return "file " head[p] "\n"
	return "other " head[p] "\n"
}
END {
	n = split(ENVIRON["SHOAL_DEEP"], ps, "\n")
	for (i = 1; i <= n; i++) section("path:" ps[i], describe(ps[i], 1))
	n = split(ENVIRON["SHOAL_SHALLOW"], ps, "\n")
	for (i = 1; i <= n; i++) section("path-shallow:" ps[i], describe(ps[i], 0))
}`
