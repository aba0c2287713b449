package hcl

import (
	"bytes"
	"fmt"
	"io/fs"
	"sort"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/recipes"
)

// RecipeNames lists the built-in recipes, sorted.
func RecipeNames() []string {
	files, _ := fs.Glob(recipes.FS, "*.hcl")
	var names []string
	for _, name := range files {
		src, err := recipes.FS.ReadFile(name)
		if err != nil {
			continue
		}
		f, diags := hclsyntax.ParseConfig(src, name, hashicl.InitialPos)
		if diags.HasErrors() {
			continue
		}
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			if b.Type == "recipe" && len(b.Labels) == 1 {
				names = append(names, b.Labels[0])
			}
		}
	}
	sort.Strings(names)
	return names
}

// RecipeHCL prints a recipe fully resolved, as one HCL block with no
// extends. name is a recipe, or a site: then it is the site's recipe with
// the site's own blocks applied and its parameters' values, as the site
// will use it.
func (c *Config) RecipeHCL(name string) ([]byte, error) {
	if r, ok := c.Recipes[name]; ok {
		header := fmt.Sprintf("# recipe %q", r.Name)
		if r.Extends != "" {
			header += fmt.Sprintf(", extending %q", r.Extends)
		}
		return c.writeRecipe(header, r.Name, r.Description, r.Detect, r.Params, nil, r.Blocks), nil
	}
	if s := c.Site(name); s != nil {
		header := fmt.Sprintf("# site %q: its own blocks only", s.Name)
		recipeName, description := s.Name, ""
		var detect hashicl.Expression
		var params []*Param
		if r, ok := c.Recipes[s.RecipeName]; ok {
			header = fmt.Sprintf("# recipe %q as site %q uses it, with the site's blocks added", r.Name, s.Name)
			recipeName, description, detect, params = r.Name, r.Description, r.Detect, r.Params
		}
		return c.writeRecipe(header, recipeName, description, detect, params, s.Params, s.Blocks), nil
	}
	return nil, fmt.Errorf("no recipe or site named %q", name)
}

// writeRecipe renders one recipe block: parameters, then the blocks grouped
// by kind in the registry's order. Known values print as values, the rest
// as written; a block with at most one argument stays on one line, as a
// person would write it.
func (c *Config) writeRecipe(header, name, description string, detect hashicl.Expression, params []*Param, values map[string]cty.Value, blocks []*block.Decl) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nrecipe %s {\n", header, quoted(name))
	if description != "" {
		fmt.Fprintf(&b, "description = %s\n", quoted(description))
	}
	if detect != nil {
		fmt.Fprintf(&b, "detect = %s\n", c.source(detect.Range()))
	}
	if len(params) > 0 {
		b.WriteString("\n")
	}
	for _, p := range params {
		c.writeParam(&b, p, values)
	}
	for _, k := range c.kinds {
		first := true
		for _, d := range blocks {
			if d.Kind != k.Name() {
				continue
			}
			if first {
				b.WriteString("\n")
				first = false
			}
			c.writeBlock(&b, k, d)
		}
	}
	b.WriteString("}\n")
	return hclwrite.Format(b.Bytes())
}

func (c *Config) writeParam(b *bytes.Buffer, p *Param, values map[string]cty.Value) {
	var args []string
	v, set := values[p.Name]
	if !set {
		v = p.Default
	}
	switch {
	case p.Sensitive && v != cty.NilVal:
		args = append(args, `default = "(sensitive)"`)
	case v != cty.NilVal:
		args = append(args, "default = "+valueText(v))
	}
	if p.Sensitive {
		args = append(args, "sensitive = true")
	}
	if p.Description != "" {
		args = append(args, "description = "+quoted(p.Description))
	}
	writeBlockText(b, fmt.Sprintf("param %s", quoted(p.Name)), args, nil)
}

func (c *Config) writeBlock(b *bytes.Buffer, k block.Kind, d *block.Decl) {
	var defaults map[string]cty.Value
	if df, ok := k.(block.Defaulter); ok {
		defaults = df.Defaults(d)
	}
	var args []string
	for _, a := range kindSchema(k).Attributes {
		switch {
		case a.Name == "when" && d.When != nil:
			args = append(args, "when = "+c.source(d.When.Range()))
		case a.Name == "on" && d.On != nil:
			args = append(args, "on = "+c.source(d.On.Range()))
		case a.Name == "after" && len(d.After) > 0:
			args = append(args, "after = "+refList(d.After))
		case a.Name == "on_change" && len(d.OnChange) > 0:
			args = append(args, "on_change = "+refList(d.OnChange))
		case d.Has(a.Name):
			text := c.source(d.Attrs[a.Name].Expr.Range())
			if d.Known(a.Name) && !d.Sensitive(a.Name) {
				text = valueText(d.Values[a.Name])
			}
			args = append(args, a.Name+" = "+text)
		default:
			if v, ok := defaults[a.Name]; ok {
				args = append(args, a.Name+" = "+valueText(v))
			}
		}
	}
	var nested []string
	for _, nb := range d.Blocks {
		if sb, ok := nb.Body.(*hclsyntax.Body); ok {
			nested = append(nested, c.source(hashicl.RangeBetween(nb.DefRange, sb.SrcRange)))
		}
	}
	writeBlockText(b, fmt.Sprintf("%s %s", d.Kind, quoted(d.Label)), args, nested)
}

// writeBlockText writes a block header with its arguments: on one line
// when there is at most one and no nested block.
func writeBlockText(b *bytes.Buffer, header string, args, nested []string) {
	switch {
	case len(args) == 0 && len(nested) == 0:
		fmt.Fprintf(b, "%s {}\n", header)
	case len(args) == 1 && len(nested) == 0:
		fmt.Fprintf(b, "%s { %s }\n", header, args[0])
	default:
		fmt.Fprintf(b, "%s {\n", header)
		for _, a := range args {
			b.WriteString(a + "\n")
		}
		for _, n := range nested {
			b.WriteString(n + "\n")
		}
		b.WriteString("}\n")
	}
}

// source is the text of a range of a loaded file.
func (c *Config) source(r hashicl.Range) string {
	src := c.sources[r.Filename]
	if r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte {
		return "null"
	}
	return string(src[r.Start.Byte:r.End.Byte])
}

func refList(refs []block.Ref) string {
	var b bytes.Buffer
	b.WriteString("[")
	for i, r := range refs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(r.String())
	}
	b.WriteString("]")
	return b.String()
}

// valueText is v as an HCL literal.
func valueText(v cty.Value) string {
	v, _ = v.UnmarkDeep()
	return string(hclwrite.TokensForValue(v).Bytes())
}

// quoted is s as an HCL string literal, escapes and all.
func quoted(s string) string {
	return string(hclwrite.TokensForValue(cty.StringVal(s)).Bytes())
}
