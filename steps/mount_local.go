package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
)

// A mount point that is not mounted yet may hold files of its own: a
// slave's old copy of Aegir's platforms before the Pack mode shares
// them. Mounting would hide them, so Mount refuses, saying what is there,
// unless the storage says mount_over = "move_aside".

// asideSuffix names where a mount point's own files go when moved aside.
const asideSuffix = ".shoal-local"

// maxNamedEntries is how many of a mount point's entries a plan names.
const maxNamedEntries = 5

// dirEntries is the first names in a folder (sorted), and its size.
type dirEntries struct{ Path string }

func (d dirEntries) Key() string { return "dir-entries:" + d.Path }

func (d dirEntries) Command() string {
	return fmt.Sprintf(`find %s -mindepth 1 -maxdepth 1 -printf '%%P\0' | LC_ALL=C sort -z | head -z -n %d`,
		shell.Quote(d.Path), maxNamedEntries)
}

// diffLocalFiles plans a mount point that holds local files: refused,
// with what is there, or moved aside.
func (m *Mount) diffLocalFiles(ctx context.Context, src facts.Source, c *plan.Change) (*plan.Change, error) {
	size, err := facts.ReadPath(ctx, src, m.NodeName, m.MountPoint)
	if err != nil {
		return nil, err
	}
	sample, err := src.Get(ctx, m.NodeName, dirEntries{m.MountPoint})
	if err != nil {
		return nil, err
	}
	names := strings.Split(strings.TrimSuffix(sample.Output, "\x00"), "\x00")
	for i, n := range names {
		names[i] = printablePath(n)
	}
	if size.Entries > len(names) {
		names = append(names, "…")
	}
	what := fmt.Sprintf("%s (%s) with %s", entries(size.Entries), strings.Join(names, ", "), volume(plan.Progress{Files: size.Files, Bytes: size.Bytes}))
	aside := m.MountPoint + asideSuffix
	if !m.MoveAside {
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf(
			"%s is not mounted and holds %s: mounting would hide them. Move them away, or set mount_over = \"move_aside\" in storage %q to have shoal rename the folder to %s first",
			m.MountPoint, what, m.Storage, aside)
		return c, nil
	}
	at, err := facts.ReadPathFact(ctx, src, m.NodeName, facts.Path{Path: aside, Shallow: true})
	if err != nil {
		return nil, err
	}
	if at.Kind != facts.PathAbsent {
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("%s holds %s and %s exists already (an earlier move aside?): compare them and remove one", m.MountPoint, what, aside)
		return c, nil
	}
	c.Action = plan.Update
	c.Summary = fmt.Sprintf("move %s's own %s aside to %s, then mount it", m.MountPoint, what, aside)
	c.Total = plan.Progress{Files: size.Files, Bytes: size.Bytes}
	return c, nil
}

// MountCommand is how the mount point is mounted: from its fstab line.
func (m *Mount) MountCommand() string {
	if m.Fstab != "" && m.Fstab != DefaultFstab {
		return "mount -T " + shell.Quote(m.Fstab) + " -- " + shell.Quote(m.MountPoint)
	}
	return "mount -- " + shell.Quote(m.MountPoint)
}

// Script mounts the mount point from fstab once it exists and is empty,
// or, with MoveAside, once its own files are renamed away; a mounted
// mount point is left alone.
func (m *Mount) Script() string {
	fstab := ""
	if m.Fstab != "" && m.Fstab != DefaultFstab {
		fstab = m.Fstab
	}
	return shell.Script(mountBody, shell.Bind("mp", m.MountPoint), shell.Bind("aside", m.MountPoint+asideSuffix),
		shell.Bind("move_aside", yesNo(m.MoveAside)), shell.Bind("fstab", fstab))
}

const mountBody = `set -e
mkdir -p -- "$mp"
if mountpoint -q -- "$mp"; then exit 0; fi
if [ -n "$(find "$mp" -mindepth 1 -maxdepth 1 -print -quit)" ]; then
	if [ "$move_aside" != yes ]; then
		echo "$mp holds local files: mounting would hide them" >&2; exit 3
	fi
	if [ -L "$mp" ] || [ -e "$aside" ] || [ -L "$aside" ]; then
		echo "$mp is a symlink, or $aside exists already: not moving anything" >&2; exit 3
	fi
	mv -T -- "$mp" "$aside"
	mkdir -- "$mp"
	chown --reference="$aside" -- "$mp"
	chmod --reference="$aside" -- "$mp"
	echo "moved $mp's own files to $aside"
fi
if [ -n "$fstab" ]; then mount -T "$fstab" -- "$mp"; else mount -- "$mp"; fi
`
