package hcl

import (
	"path"
	"strings"

	"github.com/shoal-sh/shoal/block"
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

// checkAbsPath cleans an absolute path on a host (a root, mount or export)
// and says what is wrong with it, if anything. systemOK allows paths such
// as /srv for exports.
func checkAbsPath(p string, systemOK bool) (clean string, problem string) {
	switch {
	case p == "":
		return "", "is empty"
	case block.HasControl(p):
		return "", block.ControlProblem
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
