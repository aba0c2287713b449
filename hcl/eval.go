package hcl

import (
	"fmt"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
)

// Expressions see:
//   var.<name>     every variable (strings; sensitive ones marked)
//   site.*         name, root, primary and replicas and nodes (objects with
//                  name and address), storage (name, type, server, mount,
//                  and path: the site's folder on it) — in a site's blocks
//                  and a recipe's once a site uses it
//   param.<name>   the recipe's parameters as the site sets them
//   node.*         name, address, roles — in the blocks of steps, per node
// and the functions of functions.go. What is not known yet where an
// expression is checked (node at load, param in a recipe alone) is unknown
// there, so only what can be checked is.

// baseContext holds var and the functions; templatefile is unknown until
// a block's folder is known (withFiles).
func baseContext(vars map[string]*Variable) *hashicl.EvalContext {
	return &hashicl.EvalContext{
		Variables: map[string]cty.Value{
			"var":   varObject(vars),
			"site":  cty.DynamicVal,
			"param": cty.DynamicVal,
			"node":  cty.DynamicVal,
		},
		Functions: functions(nil, "", nil),
	}
}

// recipeContext is a recipe's: its parameters are declared, not known.
func recipeContext(base *hashicl.EvalContext, params []*Param) *hashicl.EvalContext {
	ctx := base.NewChild()
	p := map[string]cty.Value{}
	for _, param := range params {
		p[param.Name] = cty.DynamicVal
	}
	ctx.Variables = map[string]cty.Value{"param": cty.ObjectVal(p)}
	return ctx
}

// siteContext is a site's: site and its params known, node not.
func (c *Config) siteContext(base *hashicl.EvalContext, s *Site) *hashicl.EvalContext {
	ctx := base.NewChild()
	ctx.Variables = map[string]cty.Value{"site": c.siteObject(s), "param": cty.ObjectVal(orEmpty(s.Params))}
	return ctx
}

// NodeContext is what a site's blocks are evaluated in on one node.
func (c *Config) NodeContext(s *Site, node string) (*hashicl.EvalContext, error) {
	n := c.Node(node)
	if n == nil {
		return nil, fmt.Errorf("site %s: no node %q", s.Name, node)
	}
	ctx := c.siteContext(baseContext(c.Variables), s).NewChild()
	ctx.Variables = map[string]cty.Value{"node": nodeObject(n)}
	return ctx, nil
}

// Eval evaluates a site's block for one node ("" for none: then node is
// unknown), templatefile() reading from the block's folder. Diagnostics
// carry the arguments' ranges.
func (c *Config) Eval(s *Site, b *block.Decl, node string) (*block.Decl, hashicl.Diagnostics) {
	return c.eval(s, b, node, false)
}

// EvalShown evaluates a block as Eval does, but with every sensitive
// variable and parameter replaced by "(sensitive)" (a value of another
// type by an unknown): what a plan may show of a file rendered from
// secrets, however the template transforms them.
func (c *Config) EvalShown(s *Site, b *block.Decl, node string) (*block.Decl, hashicl.Diagnostics) {
	return c.eval(s, b, node, true)
}

func (c *Config) eval(s *Site, b *block.Decl, node string, shown bool) (*block.Decl, hashicl.Diagnostics) {
	base := baseContext(c.Variables)
	ctx := c.siteContext(base, s)
	if shown {
		ctx.Variables["param"] = hideSensitive(ctx.Variables["param"])
		base.Variables["var"] = hideSensitive(base.Variables["var"])
	}
	if node != "" {
		n := c.Node(node)
		if n == nil {
			return nil, hashicl.Diagnostics{errorAt(b.DeclRange.Ptr(), "Unknown node", "%s: no node %q to evaluate %s on.", b.Owner, node, b.Describe())}
		}
		ctx = ctx.NewChild()
		ctx.Variables = map[string]cty.Value{"node": nodeObject(n)}
	}
	values, diags := evalArgs(b, ctx)
	return b.With(values), diags
}

// EvalExpr evaluates one expression of a site's block (a meta-argument
// such as on) in the site's context, without a node.
func (c *Config) EvalExpr(s *Site, b *block.Decl, expr hashicl.Expression) (cty.Value, hashicl.Diagnostics) {
	return expr.Value(withFiles(c.siteContext(baseContext(c.Variables), s), b))
}

// hideSensitive replaces the sensitive values inside an object of
// variables or parameters.
func hideSensitive(obj cty.Value) cty.Value {
	if obj.IsNull() || !obj.IsKnown() || !obj.Type().IsObjectType() {
		return obj
	}
	out := map[string]cty.Value{}
	for it := obj.ElementIterator(); it.Next(); {
		k, v := it.Element()
		if v.HasMark(block.SensitiveMark) {
			u, _ := v.UnmarkDeep()
			if u.Type() == cty.String {
				v = cty.StringVal(block.Hidden).Mark(block.SensitiveMark)
			} else {
				v = cty.UnknownVal(u.Type()).Mark(block.SensitiveMark)
			}
		}
		out[k.AsString()] = v
	}
	return cty.ObjectVal(out)
}

// withFiles gives ctx a templatefile() reading from b's folder, whose
// templates see what ctx's expressions see.
func withFiles(ctx *hashicl.EvalContext, b *block.Decl) *hashicl.EvalContext {
	scope := map[string]cty.Value{}
	var chain []*hashicl.EvalContext
	for c := ctx; c != nil; c = c.Parent() {
		chain = append(chain, c)
	}
	for i := len(chain) - 1; i >= 0; i-- { // inner scopes win
		for k, v := range chain[i].Variables {
			scope[k] = v
		}
	}
	child := ctx.NewChild()
	child.Functions = functions(b.Files, b.Dir, scope)
	return child
}

func (c *Config) siteObject(s *Site) cty.Value {
	nodeVal := func(name string) cty.Value {
		addr := name
		if n := c.Node(name); n != nil {
			addr = n.NodeAddress()
		}
		return cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(name), "address": cty.StringVal(addr)})
	}
	list := func(names []string) cty.Value {
		if len(names) == 0 {
			return cty.ListValEmpty(cty.Object(map[string]cty.Type{"name": cty.String, "address": cty.String}))
		}
		vals := make([]cty.Value, len(names))
		for i, n := range names {
			vals[i] = nodeVal(n)
		}
		return cty.ListVal(vals)
	}
	storage := cty.NullVal(cty.Object(map[string]cty.Type{"name": cty.String, "type": cty.String, "server": cty.String, "mount": cty.String, "path": cty.String}))
	if st := c.Storage(s.Storage); st != nil {
		storage = cty.ObjectVal(map[string]cty.Value{
			"name":   cty.StringVal(st.Name),
			"type":   cty.StringVal(st.Type),
			"server": cty.StringVal(st.Server),
			"mount":  cty.StringVal(st.Mount),
			"path":   cty.StringVal(st.Mount + "/" + s.Name),
		})
	}
	return cty.ObjectVal(map[string]cty.Value{
		"name":     cty.StringVal(s.Name),
		"root":     cty.StringVal(s.Root),
		"primary":  nodeVal(s.Primary),
		"replicas": list(s.Replicas()),
		"nodes":    list(s.Nodes),
		"storage":  storage,
		"owner":    cty.StringVal(s.Owner),
		"group":    cty.StringVal(s.groupOrOwner()),
	})
}

func nodeObject(n *Node) cty.Value {
	roles := cty.ListValEmpty(cty.String)
	if len(n.Roles) > 0 {
		vals := make([]cty.Value, len(n.Roles))
		for i, r := range n.Roles {
			vals[i] = cty.StringVal(r)
		}
		roles = cty.ListVal(vals)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"name":    cty.StringVal(n.Name),
		"address": cty.StringVal(n.NodeAddress()),
		"roles":   roles,
	})
}

// groupOrOwner is the site's group: without one, the owner's group of
// the same name (www-data:www-data), the Debian convention.
func (s *Site) groupOrOwner() string {
	if s.Group != "" {
		return s.Group
	}
	return s.Owner
}

func orEmpty(m map[string]cty.Value) map[string]cty.Value {
	if m == nil {
		return map[string]cty.Value{}
	}
	return m
}

// SensitiveValues lists the values to hide wherever something is shown:
// sensitive variables' and sensitive parameters'.
func (c *Config) SensitiveValues() []string {
	var out []string
	for _, v := range c.Variables {
		if v.Sensitive {
			out = append(out, v.Value)
		}
	}
	for _, s := range c.Sites {
		for _, v := range s.Params {
			out = append(out, sensitiveStrings(v)...)
		}
	}
	return out
}

// sensitiveStrings lists the strings inside v that are marked sensitive,
// or inside a value that is.
func sensitiveStrings(v cty.Value) []string {
	var out []string
	u, marked := v.UnmarkDeepWithPaths()
	for _, pm := range marked {
		if _, ok := pm.Marks[block.SensitiveMark]; !ok {
			continue
		}
		x, err := pm.Path.Apply(u)
		if err != nil {
			continue
		}
		_ = cty.Walk(x, func(_ cty.Path, s cty.Value) (bool, error) {
			if s.Type() == cty.String && s.IsKnown() && !s.IsNull() {
				out = append(out, s.AsString())
			}
			return true, nil
		})
	}
	return out
}
