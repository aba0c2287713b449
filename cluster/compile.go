package cluster

import (
	"fmt"
	"path"
	"strings"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/steps"
)

// Compile turns a config into steps, one entry per piece of desired state
// on a node, in compile order (the planner sorts by phase). With targets,
// only steps on those nodes are kept; they may still read facts elsewhere
// (a replica's replicate reads the primary).
func Compile(cfg *hcl.Config, targets []string) ([]Entry, error) {
	nodes := map[string]*hcl.Node{}
	for _, n := range cfg.Nodes {
		nodes[n.Name] = n
	}
	for _, t := range targets {
		if nodes[t] == nil {
			return nil, fmt.Errorf("--target %s: no such node in the configuration", t)
		}
	}
	storages := map[string]*hcl.Storage{}
	for _, s := range cfg.Storages {
		storages[s.Name] = s
	}

	c := &compiler{nodes: nodes, storages: storages, seen: map[string]bool{}}
	for _, site := range cfg.Sites {
		st := storages[site.Storage]
		if st == nil {
			return nil, fmt.Errorf("site %s: unknown storage %q", site.Name, site.Storage)
		}
		c.storage(st, site)
		c.site(site, st)
	}
	if len(targets) == 0 {
		return c.entries, nil
	}
	keep := map[string]bool{}
	for _, t := range targets {
		keep[t] = true
	}
	var out []Entry
	for _, e := range c.entries {
		if keep[e.Step.Node()] {
			out = append(out, e)
		}
	}
	return out, nil
}

type compiler struct {
	nodes    map[string]*hcl.Node
	storages map[string]*hcl.Storage
	entries  []Entry
	seen     map[string]bool // step IDs already compiled (a storage shared by sites)
}

func (c *compiler) add(e Entry) {
	if c.seen[e.Step.ID()] {
		return
	}
	c.seen[e.Step.ID()] = true
	c.entries = append(c.entries, e)
}

// storage: the server exports it, and every node of the site has an fstab
// line and a live mount.
func (c *compiler) storage(st *hcl.Storage, site *hcl.Site) {
	if st.Type != "mounted" && st.Server != "" {
		c.add(Entry{Phase: PhaseExport, Step: &steps.Export{
			NodeName: st.Server, Dir: st.Export, Allow: st.Allow, Type: st.Type,
		}})
	}
	addr := serverAddress(st, c.nodes)
	for _, n := range site.Nodes {
		if st.Type != "mounted" {
			c.add(Entry{Phase: PhaseFstab, Step: &steps.Fstab{
				NodeName: n, MountPoint: st.Mount,
				Line: steps.FstabLine(st.Type, addr, st.Export, st.Mount, st.Options),
			}})
		}
		c.add(Entry{Phase: PhaseMount, Step: &steps.Mount{
			NodeName: n, MountPoint: st.Mount, Type: st.Type,
			ExpectSource: expectedSource(st, addr), VerifyOnly: st.Type == "mounted",
		}})
	}
}

// site: relocate on the primary, replicate to the others, link and purge
// there, and the owner of writable folders everywhere.
func (c *compiler) site(site *hcl.Site, st *hcl.Storage) {
	addr := serverAddress(st, c.nodes)
	var skip []string
	var empty []facts.EmptyDir
	for _, d := range site.DynamicDirs {
		skip = append(skip, d.Path)
	}
	for _, cd := range site.CacheDirs {
		empty = append(empty, facts.EmptyDir{Path: cd.Path, Keep: cd.Keep})
	}
	for _, l := range site.LocalDirs {
		// replicated as a folder with its shipped dot-files, its other contents each node's own
		empty = append(empty, facts.EmptyDir{Path: l.Path, Keep: l.Keep})
	}
	// Without a group, the owner's group of the same name (www-data:www-data),
	// the Debian convention for service users.
	group := site.Group
	if group == "" {
		group = site.Owner
	}
	owner := ""
	if site.Owner != "" {
		owner = site.Owner + ":" + group
	}
	// each node's root checked first; every change of the site there
	// is guarded by it (and a replica's tree by the primary's too)
	rootCheck := map[string]string{}
	for _, n := range site.Nodes {
		check := &steps.SiteRoot{NodeName: n, Site: site.Name, Root: site.Root, Primary: n == site.Primary, FollowLink: site.FollowRootLink}
		if n == site.Primary {
			check.Folders = declaredFolders(site)
		}
		rootCheck[n] = check.ID()
		c.add(Entry{Phase: PhaseUsers, Site: site.Name, Step: check})
	}
	if site.Owner != "" {
		// the owner's numbers must match wherever files on the storage are
		// written: every node of the site, and an nfs server (the Aegir caveat)
		others := append([]string(nil), site.Nodes...)
		if st.Type == "nfs" && st.Server != "" {
			others = append(others, st.Server)
		}
		for _, n := range others {
			if n != site.Primary {
				c.add(Entry{Phase: PhaseUsers, Site: site.Name, Step: &steps.UserIDs{NodeName: n, Owner: site.Owner, Reference: site.Primary}})
			}
		}
	}
	for _, n := range site.Nodes {
		phase := PhaseReplica
		var replicate steps.Step
		if n == site.Primary {
			phase = PhasePrimary
		} else {
			replicate = &steps.Replicate{
				Site: site.Name, Primary: site.Primary, NodeName: n, Root: site.Root, Skip: skip, Empty: empty,
				FollowRootLink: site.FollowRootLink,
			}
			c.add(Entry{Phase: PhaseReplicate, Site: site.Name, Step: replicate,
				Guards: []string{rootCheck[n], rootCheck[site.Primary]}})
		}
		for _, d := range site.DynamicDirs {
			c.add(Entry{Phase: phase, Site: site.Name, Step: &steps.Relocate{
				NodeName: n, Site: site.Name, Root: site.Root, Dir: d.Path,
				Shared:     sharedPath(st, site, d),
				Mount:      st.Mount,
				MountCheck: mountCheck(st, addr),
				// shoal mounts it earlier in the same apply, unless someone else must
				MountPlanned:   st.Type != "mounted",
				Replica:        n != site.Primary,
				Merge:          site.OnConflict == "merge",
				FollowRootLink: site.FollowRootLink,
			}, Guards: []string{rootCheck[n]}})
		}
		if replicate != nil {
			for _, cd := range site.CacheDirs {
				c.add(Entry{Phase: PhasePurge, Site: site.Name, Follows: replicate.ID(), Guards: []string{rootCheck[n]}, Step: &steps.Purge{
					NodeName: n, Site: site.Name, Root: site.Root, Dir: cd.Path, Keep: cd.Keep, Owner: owner,
					Primary: site.Primary, FollowRootLink: site.FollowRootLink,
				}})
			}
		}
		for _, w := range site.Writable {
			if site.Owner == "" {
				break
			}
			dyn, inside, isDynamic := withinDynamic(w.Path, site.DynamicDirs)
			if inside && n != site.Primary {
				continue // on the storage: the primary sees to it, once
			}
			perms := &steps.Perms{
				NodeName: n, Site: site.Name, Root: site.Root, Dir: w.Path,
				Owner: site.Owner, Group: group, Mode: w.Mode, OnlyTarget: isDynamic, Shallow: inside,
				FollowRootLink: site.FollowRootLink,
			}
			if inside && !isDynamic {
				perms.Via, perms.ViaTarget = dyn.Path, sharedPath(st, site, dyn)
			}
			c.add(Entry{Phase: PhasePerms, Site: site.Name, Guards: []string{rootCheck[n]}, Step: perms})
		}
	}
}

// sharedPath is where a dynamic folder's data lives: <mount>/<site>/<shared>.
func sharedPath(st *hcl.Storage, site *hcl.Site, d hcl.DynamicDir) string {
	shared := d.Shared
	if shared == "" {
		shared = d.Path
	}
	return path.Join(st.Mount, site.Name, shared)
}

// declaredFolders lists the site's folders for the primary's root check;
// a writable folder on the storage is reached through shoal's own link,
// and its perms step checks the way on the node.
func declaredFolders(site *hcl.Site) []steps.SiteFolder {
	var fs []steps.SiteFolder
	for _, d := range site.DynamicDirs {
		fs = append(fs, steps.SiteFolder{Kind: "dynamic_dir", Dir: d.Path})
	}
	for _, d := range site.CacheDirs {
		fs = append(fs, steps.SiteFolder{Kind: "cache_dir", Dir: d.Path})
	}
	for _, d := range site.LocalDirs {
		fs = append(fs, steps.SiteFolder{Kind: "local_dir", Dir: d.Path})
	}
	for _, d := range site.Writable {
		if _, inside, isDynamic := withinDynamic(d.Path, site.DynamicDirs); !inside || isDynamic {
			fs = append(fs, steps.SiteFolder{Kind: "writable", Dir: d.Path})
		}
	}
	return fs
}

// withinDynamic says whether p lies in (or is) one of the dynamic dirs,
// and which.
func withinDynamic(p string, dirs []hcl.DynamicDir) (dir hcl.DynamicDir, inside, equal bool) {
	for _, d := range dirs {
		if p == d.Path {
			return d, true, true
		}
		if strings.HasPrefix(p, d.Path+"/") {
			dir, inside = d, true
		}
	}
	return dir, inside, false
}

// serverAddress is how clients reach the storage server.
func serverAddress(st *hcl.Storage, nodes map[string]*hcl.Node) string {
	if st.Address != "" {
		return st.Address
	}
	if n := nodes[st.Server]; n != nil {
		return n.Host
	}
	return st.Server
}

// expectedSource is the mount source the kernel shows for the storage.
func expectedSource(st *hcl.Storage, addr string) string {
	switch st.Type {
	case "nfs":
		return addr + ":" + st.Export
	case "sshfs":
		if !strings.Contains(addr, "@") {
			addr = "root@" + addr
		}
		return addr + ":" + st.Export
	case "cifs":
		return "//" + addr + "/" + path.Base(st.Export)
	}
	return ""
}

// mountCheck is what relocate proves of the storage before it moves or
// links anything: the mount's source is the storage server's export (a
// local folder or another server won't do), or, when the kernel names the
// source differently (cifs), at least the filesystem type.
func mountCheck(st *hcl.Storage, addr string) string {
	switch st.Type {
	case "nfs", "sshfs":
		return expectedSource(st, addr)
	}
	return mountFSType(st.Type)
}

func mountFSType(storageType string) string {
	switch storageType {
	case "sshfs":
		return "fuse.sshfs"
	case "nfs", "cifs":
		return storageType
	}
	return ""
}
