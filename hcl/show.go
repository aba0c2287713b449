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
// the site's own folders added, as the site will use it.
func (c *Config) RecipeHCL(name string) ([]byte, error) {
	if r, ok := c.Recipes[name]; ok {
		header := fmt.Sprintf("# recipe %q", r.Name)
		if r.Extends != "" {
			header += fmt.Sprintf(", extending %q", r.Extends)
		}
		return writeRecipe(header, r.Name, r.Description, r.folders()), nil
	}
	if s := c.Site(name); s != nil {
		header := fmt.Sprintf("# site %q: its own folders only", s.Name)
		recipeName, description := s.Name, ""
		if r, ok := c.Recipes[s.RecipeName]; ok {
			header = fmt.Sprintf("# recipe %q as site %q uses it, with the site's folders added", r.Name, s.Name)
			recipeName, description = r.Name, r.Description
		}
		return writeRecipe(header, recipeName, description, folders{Dynamic: s.DynamicDirs, Cache: s.CacheDirs, Local: s.LocalDirs, Writable: s.Writable}), nil
	}
	return nil, fmt.Errorf("no recipe or site named %q", name)
}

// writeRecipe renders one recipe block; empty blocks stay on one line,
// as a person would write them.
func writeRecipe(header, name, description string, f folders) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nrecipe %s {\n", header, quoted(name))
	if description != "" {
		fmt.Fprintf(&b, "description = %s\n", quoted(description))
	}
	if len(f.Dynamic) > 0 {
		b.WriteString("\n")
	}
	for _, d := range f.Dynamic {
		fmt.Fprintf(&b, "dynamic_dir %s { shared = %s }\n", quoted(d.Path), quoted(d.Shared))
	}
	if len(f.Cache) > 0 {
		b.WriteString("\n")
	}
	for _, c := range f.Cache {
		fmt.Fprintf(&b, "cache_dir %s %s\n", quoted(c.Path), keepBody(c.Keep))
	}
	if len(f.Local) > 0 {
		b.WriteString("\n")
	}
	for _, l := range f.Local {
		fmt.Fprintf(&b, "local_dir %s %s\n", quoted(l.Path), keepBody(l.Keep))
	}
	if len(f.Writable) > 0 {
		b.WriteString("\n")
	}
	for _, w := range f.Writable {
		if w.Mode != "" {
			fmt.Fprintf(&b, "writable %s { mode = %s }\n", quoted(w.Path), quoted(w.Mode))
		} else {
			fmt.Fprintf(&b, "writable %s {}\n", quoted(w.Path))
		}
	}
	b.WriteString("}\n")
	return hclwrite.Format(b.Bytes())
}

// keepBody is a cache_dir's or local_dir's body: "{}" or its keep list.
func keepBody(keep []string) string {
	if len(keep) == 0 {
		return "{}"
	}
	vals := make([]cty.Value, len(keep))
	for i, k := range keep {
		vals[i] = cty.StringVal(k)
	}
	return "{ keep = " + string(hclwrite.TokensForValue(cty.ListVal(vals)).Bytes()) + " }"
}

// quoted is s as an HCL string literal, escapes and all.
func quoted(s string) string {
	return string(hclwrite.TokensForValue(cty.StringVal(s)).Bytes())
}
