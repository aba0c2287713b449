package hcl

import (
	"path"
	"strings"
)

// systemDirs may not be a site root or a mount point: shoal would replace
// or hide what the operating system keeps there.
var systemDirs = map[string]bool{
	"/bin": true, "/boot": true, "/dev": true, "/etc": true, "/home": true,
	"/lib": true, "/lib32": true, "/lib64": true, "/media": true, "/mnt": true,
	"/opt": true, "/proc": true, "/root": true, "/run": true, "/sbin": true,
	"/srv": true, "/sys": true, "/tmp": true, "/usr": true, "/usr/local": true,
	"/var": true, "/var/lib": true, "/var/log": true, "/var/www": true,
}

// hasOddBytes reports control characters (newline, NUL, escape, DEL):
// nothing a real path or host needs, and trouble in every file shoal edits.
func hasOddBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// Bases of relative paths, for messages.
const (
	siteRoot   = "the site root"
	siteShared = "<mount>/<site> on the storage"
)

// checkRelPath cleans a path relative to base (siteRoot or siteShared)
// and says what is wrong with it, if anything.
func checkRelPath(p, base string) (clean string, problem string) {
	switch {
	case p == "":
		return "", "is empty"
	case hasOddBytes(p):
		return "", oddBytesProblem
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

const oddBytesProblem = "holds a control character such as a newline or NUL"

// checkAbsPath cleans an absolute path on a host (a root, mount or export)
// and says what is wrong with it, if anything. systemOK allows paths such
// as /srv for exports.
func checkAbsPath(p string, systemOK bool) (clean string, problem string) {
	switch {
	case p == "":
		return "", "is empty"
	case hasOddBytes(p):
		return "", oddBytesProblem
	case !strings.HasPrefix(p, "/"):
		return "", "is not absolute"
	}
	clean = path.Clean(p)
	switch {
	case clean == "/":
		return "", "is the filesystem root"
	case !systemOK && systemDirs[clean]:
		return "", "is a system directory"
	}
	return clean, ""
}

// within reports whether p is inside dir or is dir (both cleaned).
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}
