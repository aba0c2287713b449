package cluster

import (
	"fmt"
	"path"
	"strings"

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
	credentials := credentialsFile(st)
	options := steps.MountOptions(st.Type, st.Export, st.Options, credentials)
	for _, n := range site.Nodes {
		cred := &steps.Credentials{NodeName: n, Path: credentials, Content: st.Credentials}
		if credentials != "" {
			c.add(Entry{Phase: PhaseFstab, Step: cred})
		}
		if st.Type != "mounted" {
			c.add(Entry{Phase: PhaseFstab, Step: &steps.Fstab{
				NodeName: n, MountPoint: st.Mount,
				Line: steps.FstabLine(st.Type, addr, st.Export, st.Mount, options),
			}})
		}
		mount := &steps.Mount{
			NodeName: n, MountPoint: st.Mount, Type: st.Type,
			ExpectSource: expectedSource(st, addr), VerifyOnly: st.Type == "mounted",
		}
		if st.Type == "sshfs" {
			mount.Login, mount.Server = steps.SSHFSLogin(st.Mount, addr, options), st.Server
			if credentials != "" {
				mount.KeyFile, mount.KeySum = credentials, cred.Sum()
			}
		}
		c.add(Entry{Phase: PhaseMount, Step: mount})
	}
}

// credentialsFile is where a storage's credentials go on its clients
// (steps.Credentials), or "" when it has none.
func credentialsFile(st *hcl.Storage) string {
	switch {
	case st.Credentials == "":
		return ""
	case st.Type == "sshfs":
		return steps.CredentialsDir + "/" + st.Name + ".key"
	}
	return steps.CredentialsDir + "/" + st.Name + ".cred"
}

// site: relocate on the primary, replicate to the others, link and purge
// there, and the owner of writable folders everywhere.
func (c *compiler) site(site *hcl.Site, st *hcl.Storage) {
	addr := serverAddress(st, c.nodes)
	var skip, empty []string
	for _, d := range site.DynamicDirs {
		skip = append(skip, d.Path)
	}
	for _, cd := range site.CacheDirs {
		empty = append(empty, cd.Path)
	}
	for _, l := range site.LocalDirs {
		empty = append(empty, l.Path) // replicated as a folder, its contents each node's own
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
	c.add(Entry{Phase: PhaseUsers, Site: site.Name, Step: &steps.SiteRoot{NodeName: site.Primary, Site: site.Name, Root: site.Root}})
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
			}
			c.add(Entry{Phase: PhaseReplicate, Site: site.Name, Step: replicate})
		}
		for _, d := range site.DynamicDirs {
			shared := d.Shared
			if shared == "" {
				shared = d.Path
			}
			c.add(Entry{Phase: phase, Site: site.Name, Step: &steps.Relocate{
				NodeName: n, Site: site.Name, Root: site.Root, Dir: d.Path,
				Shared:     path.Join(st.Mount, site.Name, shared),
				Mount:      st.Mount,
				MountCheck: mountCheck(st, addr),
				// shoal mounts it earlier in the same apply, unless someone else must
				MountPlanned: st.Type != "mounted",
				Replica:      n != site.Primary,
				Merge:        site.OnConflict == "merge",
			}})
		}
		if replicate != nil {
			for _, cd := range site.CacheDirs {
				c.add(Entry{Phase: PhasePurge, Site: site.Name, Follows: replicate.ID(), Step: &steps.Purge{
					NodeName: n, Site: site.Name, Root: site.Root, Dir: cd.Path, Owner: owner,
				}})
			}
		}
		for _, w := range site.Writable {
			if site.Owner == "" {
				break
			}
			inside, isDynamic := withinDynamic(w.Path, site.DynamicDirs)
			if inside && n != site.Primary {
				continue // on the storage: the primary sees to it, once
			}
			c.add(Entry{Phase: PhasePerms, Site: site.Name, Step: &steps.Perms{
				NodeName: n, Site: site.Name, Root: site.Root, Dir: w.Path,
				Owner: site.Owner, Group: group, Mode: w.Mode, OnlyTarget: isDynamic, Shallow: inside,
			}})
		}
	}
}

// withinDynamic says whether p lies in (or is) one of the dynamic dirs.
func withinDynamic(p string, dirs []hcl.DynamicDir) (inside, equal bool) {
	for _, d := range dirs {
		if p == d.Path {
			return true, true
		}
		if strings.HasPrefix(p, d.Path+"/") {
			inside = true
		}
	}
	return inside, false
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
