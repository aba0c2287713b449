package hcl

import (
	"fmt"

	hashicl "github.com/hashicorp/hcl/v2"

	"github.com/shoal-sh/shoal/block"
)

// storageTypes says, per type, whether the storage needs a server node
// and an export path.
var storageTypes = map[string]bool{"nfs": true, "sshfs": true, "cifs": true, "mounted": false}

// decodeStorages decodes `storage` blocks and checks that each server is a
// known node.
func (d *decoder) decodeStorages(ctx *hashicl.EvalContext, nodes []*Node) []*Storage {
	var known []string
	for _, n := range nodes {
		known = append(known, n.Name)
	}
	var storages []*Storage
	names := newNameSet("storage")
	for _, b := range d.blocks["storage"] {
		name := b.Labels[0]
		if !checkName("storage", name, b.LabelRanges[0], &d.diags) || !names.add(name, b.LabelRanges[0], &d.diags) {
			continue
		}
		content, ds := b.Body.Content(storageSchema)
		d.diags = append(d.diags, ds...)
		if ds.HasErrors() {
			continue
		}
		s := &Storage{Name: name, DeclRange: b.DefRange}
		a := attrs{all: content.Attributes, ctx: ctx}
		a.string("type", &s.Type)
		a.string("server", &s.Server)
		a.string("address", &s.Address)
		a.string("export", &s.Export)
		a.string("mount", &s.Mount)
		a.string("options", &s.Options)
		a.strings("allow", &s.Allow)
		a.string("credentials", &s.Credentials)
		a.string("mount_over", &s.MountOver)
		d.diags = append(d.diags, a.diags...)
		if a.diags.HasErrors() {
			continue
		}
		d.checkStorage(s, content.Attributes, known)
		storages = append(storages, s)
	}
	return storages
}

func (d *decoder) checkStorage(s *Storage, all hashicl.Attributes, knownNodes []string) {
	at := func(attr string) *hashicl.Range { return rangeOf(all, attr, s.DeclRange) }
	needsServer, known := storageTypes[s.Type]
	if !known {
		d.diags = append(d.diags, errorAt(at("type"), "Unknown storage type",
			"Storage %q: type %q is not one of nfs, sshfs, cifs, mounted.", s.Name, s.Type))
		return
	}
	if s.Credentials != "" && s.Type != "cifs" && s.Type != "sshfs" {
		d.diags = append(d.diags, errorAt(at("credentials"), "Credentials are for cifs and sshfs",
			"Storage %q: credentials is written to a cifs credentials file or used as sshfs's private key; %s storage takes none.", s.Name, s.Type))
	}
	if options, ok := all["options"]; ok {
		d.warnSensitiveOptions(s, options)
	}
	switch s.MountOver {
	case "":
		s.MountOver = "refuse"
	case "refuse", "move_aside":
	default:
		d.diags = append(d.diags, errorAt(at("mount_over"), "Invalid mount_over",
			"Storage %q: mount_over is \"refuse\" (stop when a mount point holds files of its own) or \"move_aside\" (rename them to <mount>%s, then mount), not %q.",
			s.Name, ".shoal-local", s.MountOver))
	}
	if clean, problem := checkAbsPath(s.Mount, false); problem != "" {
		d.diags = append(d.diags, errorAt(at("mount"), "Invalid mount point", "Storage %q: mount %q %s.", s.Name, s.Mount, problem))
	} else {
		s.Mount = clean
	}
	if !needsServer {
		if s.Server != "" || s.Export != "" {
			d.diags = append(d.diags, errorAt(at("server"), "Mounted storage has no server",
				"Storage %q is of type \"mounted\": something else mounts it at %s, so it takes no server or export.", s.Name, s.Mount))
		}
		return
	}
	switch {
	case s.Server == "":
		d.diags = append(d.diags, errorAt(s.DeclRange.Ptr(), "Missing storage server",
			"Storage %q of type %q needs server = \"<node name>\": the node that exports it.", s.Name, s.Type))
	case !contains(knownNodes, s.Server):
		d.diags = append(d.diags, errorAt(at("server"), "Unknown node",
			"Storage %q: server %q is not a declared node.%s", s.Name, s.Server, didYouMean(s.Server, knownNodes)))
	}
	if s.Export == "" {
		d.diags = append(d.diags, errorAt(s.DeclRange.Ptr(), "Missing storage export",
			"Storage %q of type %q needs export = \"/path/on/the/server\".", s.Name, s.Type))
	} else if clean, problem := checkAbsPath(s.Export, true); problem != "" {
		d.diags = append(d.diags, errorAt(at("export"), "Invalid export", "Storage %q: export %q %s.", s.Name, s.Export, problem))
	} else {
		s.Export = clean
	}
	if block.HasControl(s.Address) || block.HasControl(s.Options) {
		d.diags = append(d.diags, errorAt(s.DeclRange.Ptr(), "Invalid storage setting",
			"Storage %q: address and options may not hold control characters.", s.Name))
	}
	if len(s.Allow) > 0 && s.Type != "nfs" {
		d.diags = append(d.diags, &hashicl.Diagnostic{
			Severity: hashicl.DiagWarning,
			Summary:  "allow is ignored",
			Detail:   "Only nfs storage has an export list; allow does nothing for " + s.Type + ".",
			Subject:  at("allow"),
		})
	}
}

// warnSensitiveOptions warns when a storage's mount options use a
// sensitive variable: options end up in /etc/fstab, which every user can
// read, and on the mount helper's command line, which ps shows.
func (d *decoder) warnSensitiveOptions(s *Storage, options *hashicl.Attribute) {
	for _, ref := range options.Expr.Variables() {
		if ref.RootName() != "var" || len(ref) < 2 {
			continue
		}
		name, ok := ref[1].(hashicl.TraverseAttr)
		if v := d.variables[name.Name]; !ok || v == nil || !v.Sensitive {
			continue
		}
		file := "a credentials file (credentials= for cifs)"
		if s.Type == "sshfs" {
			file = "its private key file (IdentityFile= for sshfs)"
		}
		d.diags = append(d.diags, &hashicl.Diagnostic{
			Severity: hashicl.DiagWarning,
			Summary:  "Sensitive value in mount options",
			Detail: fmt.Sprintf("Storage %q: options uses var.%s, which is sensitive. Mount options are written to /etc/fstab, "+
				"which every user on the node can read, and passed on the mount helper's command line, which ps shows. "+
				"Set credentials = var.%s in the storage instead: shoal writes it to %s, mode 0600, and names that file in the options.",
				s.Name, name.Name, name.Name, file),
			Subject: ref.SourceRange().Ptr(),
		})
	}
}
