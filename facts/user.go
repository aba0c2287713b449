package facts

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// User is a system account and its primary group, looked up by name.
type User struct{ Name string }

func (u User) Key() string { return "user:" + u.Name }

// Command prints the passwd line, then the group line of its primary
// group; nothing when the user does not exist.
func (u User) Command() string {
	return `if e=$(getent passwd ` + shell.Quote(u.Name) + `); then
	printf '%s\n' "$e"
	getent group "$(printf '%s\n' "$e" | cut -d: -f4)" || true
fi`
}

// UserIDs is a User fact's value.
type UserIDs struct {
	Exists bool
	UID    int
	GID    int
	Group  string // name of the primary group; "" if the gid has no name
	Home   string
}

// ReadUser gathers the User fact for name on node.
func ReadUser(ctx context.Context, src Source, node, name string) (UserIDs, error) {
	sec, err := src.Get(ctx, node, User{name})
	if err != nil {
		return UserIDs{}, err
	}
	if sec.Status != 0 {
		return UserIDs{}, fmt.Errorf("looking up user %s on %s: exit %d", name, node, sec.Status)
	}
	ids, err := ParseUser(sec.Output)
	if err != nil {
		return UserIDs{}, fmt.Errorf("looking up user %s on %s: %w", name, node, err)
	}
	return ids, nil
}

// ParseUser reads the output of User.Command.
func ParseUser(out string) (UserIDs, error) {
	if strings.TrimSpace(out) == "" {
		return UserIDs{}, nil
	}
	passwd, group, _ := strings.Cut(out, "\n")
	f := strings.Split(passwd, ":")
	if len(f) < 4 {
		return UserIDs{}, fmt.Errorf("unexpected passwd entry %q", passwd)
	}
	ids := UserIDs{Exists: true}
	var err error
	if ids.UID, err = strconv.Atoi(f[2]); err != nil {
		return UserIDs{}, fmt.Errorf("bad uid in %q", passwd)
	}
	if ids.GID, err = strconv.Atoi(f[3]); err != nil {
		return UserIDs{}, fmt.Errorf("bad gid in %q", passwd)
	}
	if g := strings.Split(group, ":"); len(g) >= 3 && g[2] == f[3] {
		ids.Group = g[0]
	}
	if len(f) >= 6 {
		ids.Home = f[5]
	}
	return ids, nil
}

// Group is a system group, looked up by name.
type Group struct{ Name string }

func (g Group) Key() string { return "group:" + g.Name }

// Command prints the group line; nothing when the group does not exist.
func (g Group) Command() string { return `getent group ` + shell.Quote(g.Name) + ` || true` }

// GroupID is a Group fact's value.
type GroupID struct {
	Exists bool
	GID    int
}

// ReadGroup gathers the Group fact for name on node.
func ReadGroup(ctx context.Context, src Source, node, name string) (GroupID, error) {
	sec, err := src.Get(ctx, node, Group{name})
	if err != nil {
		return GroupID{}, err
	}
	line := strings.TrimSpace(sec.Output)
	if sec.Status != 0 {
		return GroupID{}, fmt.Errorf("looking up group %s on %s: exit %d", name, node, sec.Status)
	}
	if line == "" {
		return GroupID{}, nil
	}
	f := strings.Split(line, ":")
	if len(f) < 3 {
		return GroupID{}, fmt.Errorf("looking up group %s on %s: unexpected entry %q", name, node, line)
	}
	gid, err := strconv.Atoi(f[2])
	if err != nil {
		return GroupID{}, fmt.Errorf("looking up group %s on %s: bad gid in %q", name, node, line)
	}
	return GroupID{Exists: true, GID: gid}, nil
}
