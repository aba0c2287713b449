package block

import (
	"path"
	"strings"
)

// Bases of relative paths, for messages.
const (
	RootBase    = "the site root"
	StorageBase = "<mount>/<site> on the storage"
)

// HasControl reports control characters (newline, NUL, escape, DEL):
// nothing a real path or host needs, and trouble in every file shoal edits.
func HasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// ControlProblem is what RelPath says of a path with a control character.
const ControlProblem = "holds a control character such as a newline or NUL"

// RelPath cleans a path relative to base (RootBase or StorageBase) and
// says what is wrong with it, if anything.
func RelPath(p, base string) (clean string, problem string) {
	switch {
	case p == "":
		return "", "is empty"
	case HasControl(p):
		return "", ControlProblem
	case strings.HasPrefix(p, "/"):
		return "", "is absolute; write it relative to " + base
	}
	clean = path.Clean(p)
	switch {
	case clean == ".":
		return "", "names " + base + " itself"
	case clean == ".." || strings.HasPrefix(clean, "../"):
		return "", `climbs out of ` + base + ` with ".."`
	}
	return clean, ""
}

// Within reports whether p is dir or inside it (both clean).
func Within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}
