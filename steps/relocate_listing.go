package steps

import (
	"strconv"
	"strings"
)

// tarEntry is one line of `tar -cvv --numeric-owner`:
// "-rw-r--r-- 33/33 1234 2026-11-22 04:48 ./name".
type tarEntry struct {
	kind byte // '-' file, 'd' directory, 'l' symlink, 'h' hard link, ...
	size int64
}

func parseTarListing(line string) (tarEntry, bool) {
	f := strings.Fields(line)
	if len(f) < 6 || len(f[0]) != 10 || !strings.ContainsRune("-dlhcbps", rune(f[0][0])) ||
		!strings.Contains(f[1], "/") || !strings.HasPrefix(f[5], ".") {
		return tarEntry{}, false
	}
	e := tarEntry{kind: f[0][0]}
	if e.kind == '-' {
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return tarEntry{}, false
		}
		e.size = size
	}
	return e, true
}
