package hcl

import (
	"strings"

	hashicl "github.com/hashicorp/hcl/v2"

	"github.com/shoal-sh/shoal/block"
)

// reservedRoles are the words a step's `on` uses for a site's own node
// sets; a role with one of these names would be ambiguous.
var reservedRoles = map[string]bool{"primary": true, "replicas": true, "all": true}

// decodeNodes decodes `node` blocks. host defaults to the node's name, so
// a name that is an ~/.ssh/config alias needs nothing else.
func (d *decoder) decodeNodes(ctx *hashicl.EvalContext) []*Node {
	var nodes []*Node
	names := newNameSet("node")
	for _, b := range d.blocks["node"] {
		name := b.Labels[0]
		if !checkName("node", name, b.LabelRanges[0], &d.diags) || !names.add(name, b.LabelRanges[0], &d.diags) {
			continue
		}
		content, ds := b.Body.Content(nodeSchema)
		d.diags = append(d.diags, ds...)
		n := &Node{Name: name, Host: name, DeclRange: b.DefRange}
		a := attrs{all: content.Attributes, ctx: ctx}
		a.string("host", &n.Host)
		a.string("address", &n.Address)
		a.string("user", &n.User)
		a.int("port", &n.Port)
		a.bool("sudo", &n.Sudo)
		a.string("jump", &n.Jump)
		a.string("identity_file", &n.IdentityFile)
		a.strings("roles", &n.Roles)
		d.diags = append(d.diags, a.diags...)
		if a.diags.HasErrors() {
			continue
		}
		if n.Host == "" || block.HasControl(n.Host) || n.Host[0] == '-' {
			d.diags = append(d.diags, errorAt(rangeOf(content.Attributes, "host", b.DefRange), "Invalid host",
				"Node %q needs a host: an address or an ~/.ssh/config alias, not starting with '-'.", name))
		}
		if _, set := content.Attributes["address"]; set && (n.Address == "" || strings.ContainsAny(n.Address, " \t\"',") || block.HasControl(n.Address) || n.Address[0] == '-') {
			d.diags = append(d.diags, errorAt(rangeOf(content.Attributes, "address", b.DefRange), "Invalid address",
				"Node %q: address is how other nodes reach it (an IP address or a name), without blanks, quotes or commas, not starting with '-'.", name))
		}
		if n.Port < 0 || n.Port > 65535 {
			d.diags = append(d.diags, errorAt(rangeOf(content.Attributes, "port", b.DefRange), "Invalid port",
				"Node %q: port %d is outside 1-65535.", name, n.Port))
		}
		for _, role := range n.Roles {
			if !validName(role) {
				d.diags = append(d.diags, errorAt(rangeOf(content.Attributes, "roles", b.DefRange), "Invalid role",
					"Node %q: role %q must hold letters, digits, '-', '_' and '.'.", name, role))
			}
			if reservedRoles[role] {
				d.diags = append(d.diags, errorAt(rangeOf(content.Attributes, "roles", b.DefRange), "Reserved role",
					"Node %q: %q already means something in a step's `on`; pick another role name.", name, role))
			}
		}
		nodes = append(nodes, n)
	}
	return nodes
}
