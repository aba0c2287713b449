package facts

import (
	"context"
	"fmt"
	"strings"
)

// MountTable is the node's /proc/self/mountinfo.
type MountTable struct{}

func (MountTable) Key() string     { return "mountinfo" }
func (MountTable) Command() string { return "cat /proc/self/mountinfo" }

// MountInfo is what is mounted at one mount point.
type MountInfo struct {
	Mounted bool
	Source  string // "root@10.77.0.5:/srv/nas", "10.0.0.1:/var/aegir", "/dev/vda1"
	FSType  string // "fuse.sshfs", "nfs4", "cifs", "ext4", ...
	Options string // super options and mount options, comma-joined
}

// Mount returns what is mounted at path on node (the last mount wins,
// as in the kernel's view).
func Mount(ctx context.Context, src Source, node, path string) (MountInfo, error) {
	sec, err := src.Get(ctx, node, MountTable{})
	if err != nil {
		return MountInfo{}, err
	}
	if sec.Status != 0 {
		return MountInfo{}, fmt.Errorf("reading /proc/self/mountinfo on %s: exit %d", node, sec.Status)
	}
	return ParseMount(sec.Output, path), nil
}

// ParseMount finds path in mountinfo text.
func ParseMount(mountinfo, path string) MountInfo {
	path = strings.TrimRight(path, "/")
	if path == "" {
		path = "/"
	}
	var found MountInfo
	for _, line := range strings.Split(mountinfo, "\n") {
		// id parent maj:min root mountpoint opts [optional...] - fstype source superopts
		left, right, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		lf, rf := strings.Fields(left), strings.Fields(right)
		if len(lf) < 6 || len(rf) < 2 {
			continue
		}
		if unescapeMount(lf[4]) != path {
			continue
		}
		found = MountInfo{Mounted: true, FSType: rf[0], Source: unescapeMount(rf[1]), Options: lf[5]}
		if len(rf) > 2 {
			found.Options += "," + rf[2]
		}
	}
	return found
}

// unescapeMount undoes the kernel's octal escapes (\040 for space, ...).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			ok := true
			for _, c := range s[i+1 : i+4] {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				v = v*8 + byte(c-'0')
			}
			if ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
