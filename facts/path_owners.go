package facts

import (
	"context"
	"fmt"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// Ownership counts the entries under a directory (itself included) whose
// owner or group differ from the wanted ones, and the directories whose
// mode differs from DirMode when it is set. Symlinks are never followed,
// except Path itself when FollowTop is set. Shallow checks Path alone, not
// what is under it (a folder on the storage, whose uploads are the app's).
type Ownership struct {
	Path      string
	User      string
	Group     string
	DirMode   string // octal, "" = not checked
	FollowTop bool
	Shallow   bool
}

func (o Ownership) Key() string {
	key := fmt.Sprintf("owners:%s:%s:%s:%s:%t", o.Path, o.User, o.Group, o.DirMode, o.FollowTop)
	if o.Shallow {
		key = "owners-shallow" + strings.TrimPrefix(key, "owners")
	}
	return key
}

// depth limits a find to the starting point itself for a Shallow check.
func (o Ownership) depth() string {
	if o.Shallow {
		return " -maxdepth 0"
	}
	return ""
}

// Command prints "<wrong owner> <wrong mode>", or "unknown-user" /
// "unknown-group" when the wanted account does not exist on the node,
// or "absent".
func (o Ownership) Command() string {
	follow := ""
	if o.FollowTop {
		follow = "-H "
	}
	p := shell.Quote(o.Path)
	modes := "echo 0"
	if o.DirMode != "" {
		modes = "find " + follow + p + o.depth() + " -type d ! -perm " + shell.Quote(o.DirMode) + " -printf x | wc -c"
	}
	return `id -u ` + shell.Quote(o.User) + ` >/dev/null 2>&1 || { echo unknown-user; exit 0; }
getent group ` + shell.Quote(o.Group) + ` >/dev/null || { echo unknown-group; exit 0; }
[ -e ` + p + ` ] || [ -L ` + p + ` ] || { echo absent; exit 0; }
printf '%s %s\n' "$(find ` + follow + p + o.depth() + ` \( ! -user ` + shell.Quote(o.User) + ` -o ! -group ` + shell.Quote(o.Group) + ` \) -printf x | wc -c)" "$(` + modes + `)"`
}

// OwnershipInfo is an Ownership fact's value.
type OwnershipInfo struct {
	UnknownUser  bool
	UnknownGroup bool
	Absent       bool
	WrongOwner   int // entries with another owner or group
	WrongMode    int // directories with another mode
}

// ReadOwnership gathers the Ownership fact o on node.
func ReadOwnership(ctx context.Context, src Source, node string, o Ownership) (OwnershipInfo, error) {
	sec, err := src.Get(ctx, node, o)
	if err != nil {
		return OwnershipInfo{}, err
	}
	if sec.Status != 0 {
		return OwnershipInfo{}, fmt.Errorf("checking owners under %s on %s: exit %d", o.Path, node, sec.Status)
	}
	info, err := ParseOwnership(sec.Output)
	if err != nil {
		return OwnershipInfo{}, fmt.Errorf("checking owners under %s on %s: %w", o.Path, node, err)
	}
	return info, nil
}

// ParseOwnership reads the output of Ownership.Command.
func ParseOwnership(out string) (OwnershipInfo, error) {
	switch out = strings.TrimSpace(out); out {
	case "unknown-user":
		return OwnershipInfo{UnknownUser: true}, nil
	case "unknown-group":
		return OwnershipInfo{UnknownGroup: true}, nil
	case "absent":
		return OwnershipInfo{Absent: true}, nil
	}
	var info OwnershipInfo
	if _, err := fmt.Sscanf(out, "%d %d", &info.WrongOwner, &info.WrongMode); err != nil {
		return OwnershipInfo{}, fmt.Errorf("unexpected ownership fact %q", out)
	}
	return info, nil
}
