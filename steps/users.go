package steps

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// UserIDs makes the site owner's UID and GID, and the site group's GID,
// on a node equal to those on the reference node (the primary), so files
// on shared storage keep their owner whichever node writes them: the
// Aegir caveat, the aegir user and group equal on every web node and the
// NFS server. A missing account or group is created with the reference's
// numbers. One with other numbers is an error naming both nodes' numbers
// and the commands that fix it, unless the site says fix_ids = true:
// then this node's account and groups are renumbered and their files in
// the owner's home and Places re-owned, never through a mount.
type UserIDs struct {
	NodeName  string
	Site      string
	Owner     string
	Group     string // the site's group when it is not the owner's primary group by name ("": none)
	Reference string // node whose numbers are the truth
	FixIDs    bool
	// Places are where fix_ids re-owns files besides the owner's home:
	// the site root, an exported folder.
	Places []string
}

var (
	_ Step     = (*UserIDs)(nil)
	_ Scripter = (*UserIDs)(nil)
)

func (s *UserIDs) Kind() string { return "users" }
func (s *UserIDs) Node() string { return s.NodeName }
func (s *UserIDs) ID() string   { return changeID(s.NodeName, s.Kind(), s.Owner) }

func (s *UserIDs) Facts() []NodeFact {
	fs := []NodeFact{{s.NodeName, facts.User{Name: s.Owner}}, {s.Reference, facts.User{Name: s.Owner}},
		{s.NodeName, facts.Group{Name: s.Owner}}}
	if s.Group != "" && s.Group != s.Owner {
		fs = append(fs, NodeFact{s.NodeName, facts.Group{Name: s.Group}}, NodeFact{s.Reference, facts.Group{Name: s.Group}})
	}
	return fs
}

// accountName is what useradd and groupadd accept on Debian.
var accountName = regexp.MustCompile(`^[a-z_][a-z0-9_-]*\$?$`)

// ids are one node's numbers for the owner and the groups.
type ids struct {
	user      facts.UserIDs
	group     facts.GroupID // the reference's primary group, by name, on this node
	siteGroup facts.GroupID
}

// usersPayload is the reference node's numbers, read at plan time, and,
// for fix_ids, this node's numbers then and where files are re-owned.
type usersPayload struct {
	UID       int          `json:"uid"`
	GID       int          `json:"gid"`
	Group     string       `json:"group"`
	SiteGroup string       `json:"site_group,omitempty"`
	SiteGID   int          `json:"site_gid,omitempty"`
	Home      string       `json:"home,omitempty"` // the reference's, for a user created here
	Renumber  *renumbering `json:"renumber,omitempty"`
}

// renumbering is what fix_ids changes on a node: the numbers it found.
type renumbering struct {
	UID     int      `json:"uid"`
	GID     int      `json:"gid"`
	SiteGID int      `json:"site_gid,omitempty"`
	Places  []string `json:"places"`
}

func (s *UserIDs) siteGroup() string {
	if s.Group == s.Owner {
		return ""
	}
	return s.Group
}

func (s *UserIDs) read(ctx context.Context, src facts.Source, node, primaryGroup string) (ids, error) {
	var x ids
	var err error
	if x.user, err = facts.ReadUser(ctx, src, node, s.Owner); err != nil {
		return x, err
	}
	if primaryGroup != "" {
		if x.group, err = facts.ReadGroup(ctx, src, node, primaryGroup); err != nil {
			return x, err
		}
	}
	if g := s.siteGroup(); g != "" {
		if x.siteGroup, err = facts.ReadGroup(ctx, src, node, g); err != nil {
			return x, err
		}
	}
	return x, nil
}

func (s *UserIDs) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	if !accountName.MatchString(s.Owner) || (s.Group != "" && !accountName.MatchString(s.Group)) {
		return nil, fmt.Errorf("owner %q or group %q on %s is not a valid name", s.Owner, s.Group, s.NodeName)
	}
	ref, err := s.read(ctx, src, s.Reference, "")
	if err != nil {
		return nil, fmt.Errorf("planning user ids of %s on %s: %w", s.Owner, s.NodeName, err)
	}
	switch sg := s.siteGroup(); {
	case !ref.user.Exists:
		return nil, fmt.Errorf("site %s: user %s does not exist on %s, the primary, whose numbers every node takes: create it there first", s.Site, s.Owner, s.Reference)
	case ref.user.Group == "" || !accountName.MatchString(ref.user.Group):
		return nil, fmt.Errorf("site %s: the primary group %d of %s on %s has no usable name", s.Site, ref.user.GID, s.Owner, s.Reference)
	case sg != "" && !ref.siteGroup.Exists:
		return nil, fmt.Errorf("site %s: group %s does not exist on %s, the primary, whose numbers every node takes: create it there first", s.Site, sg, s.Reference)
	}
	here, err := s.read(ctx, src, s.NodeName, ref.user.Group)
	if err != nil {
		return nil, fmt.Errorf("planning user ids of %s on %s: %w", s.Owner, s.NodeName, err)
	}
	c := &plan.Change{ID: s.ID(), Node: s.NodeName, Kind: s.Kind(), Target: s.Owner}
	p := usersPayload{UID: ref.user.UID, GID: ref.user.GID, Group: ref.user.Group, SiteGroup: s.siteGroup(), SiteGID: ref.siteGroup.GID}
	diffs := s.differences(ref, here)
	if here.user.Exists && here.user.Group != ref.user.Group {
		return nil, fmt.Errorf("site %s: %s's primary group is %s on %s but %s on %s, the primary: change it by hand (usermod -g %s %s)",
			s.Site, s.Owner, orNumber(here.user.Group, here.user.GID), s.NodeName, ref.user.Group, s.Reference, ref.user.Group, s.Owner)
	}
	if len(diffs) > 0 && (!here.user.Exists || !s.FixIDs) {
		return nil, s.mismatchError(diffs, ref, here)
	}
	var create []string
	if !here.user.Exists {
		p.Home = ref.user.Home
		create = append(create, fmt.Sprintf("user %s (uid %d)", s.Owner, ref.user.UID))
		if !here.group.Exists {
			create = append(create, fmt.Sprintf("group %s (gid %d)", ref.user.Group, ref.user.GID))
		}
	}
	if sg := s.siteGroup(); sg != "" && !here.siteGroup.Exists {
		create = append(create, fmt.Sprintf("group %s (gid %d)", sg, ref.siteGroup.GID))
	}
	var todo []string
	if len(create) > 0 {
		c.Action = plan.Create
		todo = append(todo, "create "+strings.Join(create, " and ")+" as on "+s.Reference)
	}
	if here.user.Exists && len(diffs) > 0 {
		r, summary, err := s.planRenumber(ctx, src, diffs, here)
		if err != nil {
			return nil, err
		}
		c.Action, p.Renumber = plan.Update, r
		todo = append(todo, summary)
	}
	if len(todo) == 0 {
		c.Action, c.Reason = plan.NoOp, s.describe(ref)+" as on "+s.Reference
		return c, nil
	}
	c.Summary = strings.Join(todo, "; ")
	plan.SetPayload(c, p)
	return c, nil
}

// describe says the numbers: "aegir is uid 1000 gid 1000, group www-data gid 33".
func (s *UserIDs) describe(x ids) string {
	d := fmt.Sprintf("%s is uid %d gid %d", s.Owner, x.user.UID, x.user.GID)
	if sg := s.siteGroup(); sg != "" && x.siteGroup.Exists {
		d += fmt.Sprintf(", group %s gid %d", sg, x.siteGroup.GID)
	}
	return d
}

func orNumber(name string, id int) string {
	if name == "" {
		return strconv.Itoa(id)
	}
	return fmt.Sprintf("%s (%d)", name, id)
}

// idDiff is one number that differs between this node and the reference.
type idDiff struct {
	what     string // "uid" or "gid"
	name     string // the account or group
	here, to int
}

// differences lists the numbers of existing accounts and groups that
// differ from the reference's.
func (s *UserIDs) differences(ref, here ids) []idDiff {
	var out []idDiff
	if here.user.Exists && here.user.UID != ref.user.UID {
		out = append(out, idDiff{"uid", s.Owner, here.user.UID, ref.user.UID})
	}
	if here.group.Exists && here.group.GID != ref.user.GID {
		out = append(out, idDiff{"gid", ref.user.Group, here.group.GID, ref.user.GID})
	}
	if sg := s.siteGroup(); sg != "" && here.siteGroup.Exists && here.siteGroup.GID != ref.siteGroup.GID {
		out = append(out, idDiff{"gid", sg, here.siteGroup.GID, ref.siteGroup.GID})
	}
	return out
}

// mismatchError names both nodes' numbers and the commands that make this
// node's match.
func (s *UserIDs) mismatchError(diffs []idDiff, ref, here ids) error {
	var parts, fix []string
	var chowns []string
	places := s.places(here.user.Home)
	for _, d := range diffs {
		parts = append(parts, fmt.Sprintf("%s %s is %d on %s but %d on %s", d.name, d.what, d.here, s.NodeName, d.to, s.Reference))
		if d.what == "uid" {
			fix = append(fix, fmt.Sprintf("usermod -u %d %s", d.to, d.name))
			chowns = append(chowns, fmt.Sprintf("find %s -xdev -uid %d -exec chown -h %d {} +", strings.Join(places, " "), d.here, d.to))
		} else {
			fix = append(fix, fmt.Sprintf("groupmod -g %d %s", d.to, d.name))
			chowns = append(chowns, fmt.Sprintf("find %s -xdev -gid %d -exec chgrp -h %d {} +", strings.Join(places, " "), d.here, d.to))
		}
	}
	how := "set fix_ids = true in the site to have shoal do it"
	if !here.user.Exists {
		how = "fix_ids renumbers only an account that exists"
	}
	return fmt.Errorf("site %s: %s (%s on %s): files on shared storage would change owner. To fix it on %s, as root, with nothing of %s running and nothing mounted below %s: %s; or %s",
		s.Site, strings.Join(parts, ", "), s.describe(ref), s.Reference, s.NodeName, s.Owner, strings.Join(places, " or "),
		strings.Join(append(fix, chowns...), " && "), how)
}

// places are where fix_ids re-owns files: the owner's home, when it is a
// folder of its own (usermod re-owns it anyway), then Places.
func (s *UserIDs) places(home string) []string {
	var out []string
	if home != "" && path.IsAbs(home) && strings.Count(path.Clean(home), "/") >= 2 {
		out = append(out, path.Clean(home))
	}
	for _, p := range s.Places {
		if !containsString(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// planRenumber checks that fix_ids can take the reference's numbers on
// this node, and counts the files it re-owns.
func (s *UserIDs) planRenumber(ctx context.Context, src facts.Source, diffs []idDiff, here ids) (*renumbering, string, error) {
	home := here.user.Home
	if home == "" || !path.IsAbs(home) || strings.Count(path.Clean(home), "/") < 2 {
		if home != "/nonexistent" {
			return nil, "", fmt.Errorf("site %s: %s's home on %s is %q: usermod would re-own files across all of it; renumber %s by hand", s.Site, s.Owner, s.NodeName, home, s.Owner)
		}
	}
	taken := idsTaken{}
	for _, d := range diffs {
		if d.what == "uid" {
			taken.UIDs = append(taken.UIDs, d.to)
		} else {
			taken.GIDs = append(taken.GIDs, d.to)
		}
	}
	sec, err := src.Get(ctx, s.NodeName, taken)
	if err != nil {
		return nil, "", err
	}
	if holders := strings.TrimSpace(sec.Output); holders != "" {
		return nil, "", fmt.Errorf("site %s: fix_ids cannot give %s the numbers it has on %s: on %s %s; renumber that account first",
			s.Site, s.Owner, s.Reference, s.NodeName, strings.ReplaceAll(holders, "\n", ", "))
	}
	r := &renumbering{UID: here.user.UID, GID: here.group.GID, SiteGID: here.siteGroup.GID, Places: s.places(home)}
	count := ownedFiles{Places: r.Places}
	for _, d := range diffs {
		if d.what == "uid" {
			count.UIDs = append(count.UIDs, d.here)
		} else {
			count.GIDs = append(count.GIDs, d.here)
		}
	}
	sec, err = src.Get(ctx, s.NodeName, count)
	if err != nil {
		return nil, "", err
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(sec.Output), 10, 64)
	var changes []string
	for _, d := range diffs {
		changes = append(changes, fmt.Sprintf("%s %s %d → %d", d.name, d.what, d.here, d.to))
	}
	return r, fmt.Sprintf("fix_ids: give %s %s's numbers (%s) and re-own %s in %s, never through a mount",
		s.Owner, s.Reference, strings.Join(changes, ", "), entries(int(n)), strings.Join(r.Places, ", ")), nil
}

// idsTaken lists the accounts and groups holding the given numbers:
// "uid 1000 is user bob" lines.
type idsTaken struct{ UIDs, GIDs []int }

func (f idsTaken) Key() string { return fmt.Sprintf("ids-taken:%v:%v", f.UIDs, f.GIDs) }

func (f idsTaken) Command() string {
	var b strings.Builder
	for _, id := range f.UIDs {
		fmt.Fprintf(&b, "if e=$(getent passwd %d); then echo \"uid %d is user ${e%%%%:*}\"; fi\n", id, id)
	}
	for _, id := range f.GIDs {
		fmt.Fprintf(&b, "if e=$(getent group %d); then echo \"gid %d is group ${e%%%%:*}\"; fi\n", id, id)
	}
	b.WriteString("true")
	return b.String()
}

// ownedFiles counts the entries in Places (on their own filesystems)
// owned by one of the uids or gids.
type ownedFiles struct {
	Places     []string
	UIDs, GIDs []int
}

func (f ownedFiles) Key() string {
	return fmt.Sprintf("owned-files:%q:%v:%v", f.Places, f.UIDs, f.GIDs)
}

func (f ownedFiles) Command() string {
	if len(f.Places) == 0 {
		return "echo 0"
	}
	var tests []string
	for _, id := range f.UIDs {
		tests = append(tests, fmt.Sprintf("-uid %d", id))
	}
	for _, id := range f.GIDs {
		tests = append(tests, fmt.Sprintf("-gid %d", id))
	}
	var places []string
	for _, p := range f.Places {
		places = append(places, shell.Quote(p))
	}
	return fmt.Sprintf(`find %s -xdev \( %s \) -printf x 2>/dev/null | wc -c`, strings.Join(places, " "), strings.Join(tests, " -o "))
}

// Apply runs the change's script.
func (s *UserIDs) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	script := s.ApplyScript(c)
	if script == "" {
		return fmt.Errorf("changing the ids of %s on %s: the plan has no usable ids or group", s.Owner, s.NodeName)
	}
	if err := h.Run(ctx, transport.Command{Script: script}); err != nil {
		return fmt.Errorf("changing the ids of %s on %s: %w", s.Owner, s.NodeName, err)
	}
	return nil
}

// ApplyScript creates what is missing with the reference's numbers, or
// renumbers (fix_ids); "" for a payload that does not hold up.
func (s *UserIDs) ApplyScript(c *plan.Change) string {
	p, err := plan.DecodePayload[usersPayload](c)
	if err != nil || p.UID < 0 || p.GID < 0 || !accountName.MatchString(p.Group) || !accountName.MatchString(s.Owner) ||
		(p.SiteGroup != "" && !accountName.MatchString(p.SiteGroup)) || (p.Home != "" && (!path.IsAbs(p.Home) || strings.ContainsAny(p.Home, "\n\x00:"))) {
		return ""
	}
	vars := []shell.Var{
		shell.Bind("u", s.Owner), shell.Bind("uid", strconv.Itoa(p.UID)),
		shell.Bind("g", p.Group), shell.Bind("gid", strconv.Itoa(p.GID)),
		shell.Bind("sg", p.SiteGroup), shell.Bind("sgid", strconv.Itoa(p.SiteGID)), shell.Bind("home", p.Home),
	}
	if p.Renumber == nil {
		return shell.Script(usersCreateScript, vars...)
	}
	for _, pl := range p.Renumber.Places {
		if !path.IsAbs(pl) || strings.ContainsAny(pl, "\n\x00") {
			return ""
		}
	}
	vars = append(vars,
		shell.Bind("old_uid", strconv.Itoa(p.Renumber.UID)), shell.Bind("old_gid", strconv.Itoa(p.Renumber.GID)),
		shell.Bind("old_sgid", strconv.Itoa(p.Renumber.SiteGID)), shell.BindLines("places", p.Renumber.Places))
	return shell.Script(usersRenumberScript, vars...)
}

// usersCreateScript creates the site group, the owner's group and the
// owner with the reference's numbers (and home, not made: the tree comes
// by replicate), refusing when a number is taken by another account.
const usersCreateScript = `set -e
if [ -n "$sg" ] && ! getent group "$sg" >/dev/null; then
	if e=$(getent group "$sgid"); then echo "gid $sgid is taken by group ${e%%:*}" >&2; exit 1; fi
	groupadd -g "$sgid" "$sg"
fi
if e=$(getent passwd "$u"); then
	[ "$(echo "$e" | cut -d: -f3,4)" = "$uid:$gid" ] || { echo "user $u exists as $(echo "$e" | cut -d: -f3,4), not $uid:$gid" >&2; exit 1; }
	exit 0
fi
if e=$(getent group "$g"); then
	[ "$(echo "$e" | cut -d: -f3)" = "$gid" ] || { echo "group $g exists with gid $(echo "$e" | cut -d: -f3), not $gid" >&2; exit 1; }
else
	if e=$(getent group "$gid"); then echo "gid $gid is taken by group ${e%%:*}" >&2; exit 1; fi
	groupadd -g "$gid" "$g"
fi
if e=$(getent passwd "$uid"); then echo "uid $uid is taken by user ${e%%:*}" >&2; exit 1; fi
if [ -n "$home" ]; then
	useradd -u "$uid" -g "$gid" -M -r -d "$home" -s /usr/sbin/nologin "$u"
else
	useradd -u "$uid" -g "$gid" -M -r -s /usr/sbin/nologin "$u"
fi
`

// usersRenumberScript gives the owner and its groups the reference's
// numbers (fix_ids) after checking the node still has the numbers the
// plan saw and the new ones are free; then re-owns the files in places.
// It works in a mount namespace of its own where nothing is mounted below
// a place, so neither usermod (which re-owns the home) nor find reaches a
// share: files there belong to the file server's numbering.
const usersRenumberScript = `set -e
now=$(getent passwd "$u" | cut -d: -f3,4)
[ "$now" = "$old_uid:$old_gid" ] || { echo "$u is $now on this node now, not $old_uid:$old_gid as planned" >&2; exit 3; }
if [ -n "$sg" ] && ! getent group "$sg" >/dev/null; then
	if e=$(getent group "$sgid"); then echo "gid $sgid is taken by group ${e%%:*}" >&2; exit 3; fi
	groupadd -g "$sgid" "$sg"
	old_sgid=$sgid
fi
if [ -n "$sg" ]; then
	now=$(getent group "$sg" | cut -d: -f3)
	[ "$now" = "$old_sgid" ] || { echo "group $sg is gid $now on this node now, not $old_sgid as planned" >&2; exit 3; }
fi
if [ "$uid" != "$old_uid" ] && e=$(getent passwd "$uid"); then echo "uid $uid is taken by user ${e%%:*}" >&2; exit 3; fi
if [ "$gid" != "$old_gid" ] && e=$(getent group "$gid"); then echo "gid $gid is taken by group ${e%%:*}" >&2; exit 3; fi
if [ -n "$sg" ] && [ "$sgid" != "$old_sgid" ] && e=$(getent group "$sgid"); then echo "gid $sgid is taken by group ${e%%:*}" >&2; exit 3; fi
export u uid old_uid g gid old_gid sg sgid old_sgid places
unshare --mount --propagation private sh -s <<'RENUMBER'
set -e
# mount points below a place, deepest first (mountinfo escapes blanks as \040)
below() {
	awk '{ print $5 }' /proc/self/mountinfo | while IFS= read -r raw; do
		m=$(printf '%b' "$(printf '%s' "$raw" | sed 's/\\\([0-7][0-7][0-7]\)/\\0\1/g')")
		printf '%s\n' "$places" | while IFS= read -r p; do
			case $m in "$p"/*) printf '%s\n' "$m" ;; esac
		done
	done | sort -r -u
}
below | while IFS= read -r m; do umount -l -- "$m" 2>/dev/null || true; done
if [ -n "$(below)" ]; then echo "could not set aside what is mounted below $places" >&2; exit 1; fi
if [ "$uid" != "$old_uid" ]; then usermod -u "$uid" "$u"; fi
if [ "$gid" != "$old_gid" ]; then groupmod -g "$gid" "$g"; fi
if [ -n "$sg" ] && [ "$sgid" != "$old_sgid" ]; then groupmod -g "$sgid" "$sg"; fi
printf '%s\n' "$places" | while IFS= read -r p; do
	[ -d "$p" ] || continue
	if [ "$uid" != "$old_uid" ]; then find "$p" -xdev -uid "$old_uid" -exec chown -h "$uid" {} +; fi
	if [ "$gid" != "$old_gid" ]; then find "$p" -xdev -gid "$old_gid" -exec chgrp -h "$gid" {} +; fi
	if [ -n "$sg" ] && [ "$sgid" != "$old_sgid" ]; then find "$p" -xdev -gid "$old_sgid" -exec chgrp -h "$sgid" {} +; fi
done
echo "$u is uid $uid gid $gid now; files re-owned in: $(printf '%s\n' "$places" | tr '\n' ' ')"
RENUMBER
`
