package steps

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// UserIDs makes the site owner's UID and GID on a node equal to those on
// the reference node (the primary), so files on shared storage keep their
// owner whichever node writes them (the Aegir caveat). It creates a
// missing account; it never renumbers an existing one.
type UserIDs struct {
	NodeName  string
	Owner     string
	Reference string // node whose numbers are the truth
}

var (
	_ Step    = (*UserIDs)(nil)
	_ Applier = (*UserIDs)(nil)
)

func (s *UserIDs) Kind() string { return "users" }
func (s *UserIDs) Node() string { return s.NodeName }
func (s *UserIDs) ID() string   { return changeID(s.NodeName, s.Kind(), s.Owner) }

func (s *UserIDs) Facts() []NodeFact {
	return []NodeFact{{s.NodeName, facts.User{Name: s.Owner}}, {s.Reference, facts.User{Name: s.Owner}}}
}

// accountName is what useradd and groupadd accept on Debian.
var accountName = regexp.MustCompile(`^[a-z_][a-z0-9_-]*\$?$`)

func (s *UserIDs) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	if !accountName.MatchString(s.Owner) {
		return nil, fmt.Errorf("owner %q on %s is not a valid user name", s.Owner, s.NodeName)
	}
	ref, err := facts.ReadUser(ctx, src, s.Reference, s.Owner)
	if err != nil {
		return nil, fmt.Errorf("planning user ids of %s on %s: %w", s.Owner, s.NodeName, err)
	}
	here, err := facts.ReadUser(ctx, src, s.NodeName, s.Owner)
	if err != nil {
		return nil, fmt.Errorf("planning user ids of %s on %s: %w", s.Owner, s.NodeName, err)
	}
	c := &plan.Change{ID: s.ID(), Node: s.NodeName, Kind: s.Kind(), Target: s.Owner}
	switch {
	case !ref.Exists:
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("user %s does not exist on the reference node %s", s.Owner, s.Reference)
	case ref.Group == "" || !accountName.MatchString(ref.Group):
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("the primary group %d of %s on %s has no usable name", ref.GID, s.Owner, s.Reference)
	case !here.Exists:
		c.Action = plan.Create
		c.Summary = fmt.Sprintf("create user %s (uid %d) and group %s (gid %d) as on %s", s.Owner, ref.UID, ref.Group, ref.GID, s.Reference)
		plan.SetPayload(c, usersPayload{UID: ref.UID, GID: ref.GID, Group: ref.Group})
	case here.UID != ref.UID || here.GID != ref.GID:
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf(
			"%s is uid %d gid %d on %s but uid %d gid %d on %s: files on shared storage would change owner; renumber it by hand",
			s.Owner, here.UID, here.GID, s.NodeName, ref.UID, ref.GID, s.Reference)
	default:
		c.Action, c.Reason = plan.NoOp, fmt.Sprintf("%s is uid %d gid %d as on %s", s.Owner, here.UID, here.GID, s.Reference)
	}
	return c, nil
}

// usersPayload is the reference node's numbers, read at plan time.
type usersPayload struct {
	UID   int    `json:"uid"`
	GID   int    `json:"gid"`
	Group string `json:"group"`
}

// Apply creates the group and the user with the reference node's numbers,
// refusing when either number is already taken by another account.
func (s *UserIDs) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	p, err := plan.DecodePayload[usersPayload](c)
	if err != nil {
		return fmt.Errorf("creating user %s on %s: %w", s.Owner, s.NodeName, err)
	}
	uid, gid, group := strconv.Itoa(p.UID), strconv.Itoa(p.GID), p.Group
	if p.UID < 0 || p.GID < 0 || !accountName.MatchString(group) || !accountName.MatchString(s.Owner) {
		return fmt.Errorf("creating user %s on %s: plan has no usable ids or group", s.Owner, s.NodeName)
	}
	script := `set -e
u=` + shell.Quote(s.Owner) + ` uid=` + uid + ` g=` + shell.Quote(group) + ` gid=` + gid + `
if e=$(getent passwd "$u"); then
	[ "$(echo "$e" | cut -d: -f3,4)" = "$uid:$gid" ] || { echo "user $u exists as $(echo "$e" | cut -d: -f3,4), not $uid:$gid" >&2; exit 1; }
	exit 0
fi
if e=$(getent group "$g"); then
	[ "$(echo "$e" | cut -d: -f3)" = "$gid" ] || { echo "group $g exists with gid $(echo "$e" | cut -d: -f3), not $gid" >&2; exit 1; }
else
	if e=$(getent group "$gid"); then echo "gid $gid is taken by group $(echo "$e" | cut -d: -f1)" >&2; exit 1; fi
	groupadd -g "$gid" "$g"
fi
if e=$(getent passwd "$uid"); then echo "uid $uid is taken by user $(echo "$e" | cut -d: -f1)" >&2; exit 1; fi
useradd -u "$uid" -g "$gid" -M -r -s /usr/sbin/nologin "$u"
`
	if err := h.Run(ctx, transport.Command{Script: script}); err != nil {
		return fmt.Errorf("creating user %s on %s: %w", s.Owner, s.NodeName, err)
	}
	return nil
}
