package hcl

import (
	"fmt"
	"io/fs"
	"path"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	ctyyaml "github.com/zclconf/go-cty-yaml"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions is the function table expressions see: cty's standard library
// under Terraform's names, yamlencode/yamldecode, and templatefile reading
// templates from dir in files (the folder of the file that declared the
// block). Without files, templatefile returns an unknown value: at load a
// template can't be rendered yet.
func functions(files fs.FS, dir string, scope map[string]cty.Value) map[string]function.Function {
	f := map[string]function.Function{
		"abs":             stdlib.AbsoluteFunc,
		"can":             tryfunc.CanFunc,
		"ceil":            stdlib.CeilFunc,
		"chomp":           stdlib.ChompFunc,
		"coalesce":        stdlib.CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"csvdecode":       stdlib.CSVDecodeFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"floor":           stdlib.FloorFunc,
		"format":          stdlib.FormatFunc,
		"formatdate":      stdlib.FormatDateFunc,
		"formatlist":      stdlib.FormatListFunc,
		"indent":          stdlib.IndentFunc,
		"index":           stdlib.IndexFunc,
		"join":            stdlib.JoinFunc,
		"jsondecode":      stdlib.JSONDecodeFunc,
		"jsonencode":      stdlib.JSONEncodeFunc,
		"keys":            stdlib.KeysFunc,
		"length":          stdlib.LengthFunc,
		"lookup":          stdlib.LookupFunc,
		"lower":           stdlib.LowerFunc,
		"max":             stdlib.MaxFunc,
		"merge":           stdlib.MergeFunc,
		"min":             stdlib.MinFunc,
		"range":           stdlib.RangeFunc,
		"regex":           stdlib.RegexFunc,
		"regexall":        stdlib.RegexAllFunc,
		"regex_replace":   stdlib.RegexReplaceFunc,
		"replace":         stdlib.ReplaceFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setunion":        stdlib.SetUnionFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"split":           stdlib.SplitFunc,
		"strrev":          stdlib.ReverseFunc,
		"substr":          stdlib.SubstrFunc,
		"title":           stdlib.TitleFunc,
		"tobool":          stdlib.MakeToFunc(cty.Bool),
		"tolist":          stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":           stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber":        stdlib.MakeToFunc(cty.Number),
		"toset":           stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring":        stdlib.MakeToFunc(cty.String),
		"trim":            stdlib.TrimFunc,
		"trimprefix":      stdlib.TrimPrefixFunc,
		"trimspace":       stdlib.TrimSpaceFunc,
		"trimsuffix":      stdlib.TrimSuffixFunc,
		"try":             tryfunc.TryFunc,
		"upper":           stdlib.UpperFunc,
		"values":          stdlib.ValuesFunc,
		"yamldecode":      ctyyaml.YAMLDecodeFunc,
		"yamlencode":      ctyyaml.YAMLEncodeFunc,
		"zipmap":          stdlib.ZipmapFunc,
	}
	f["templatefile"] = templateFileFunc(files, dir, scope)
	return f
}

// templateFileFunc renders a template file, relative to dir in files,
// with the variables of scope (var, site, param, node: what the calling
// expression sees) plus the ones passed. A recipe's templates are part of
// the recipe: they may not leave its folder.
func templateFileFunc(files fs.FS, dir string, scope map[string]cty.Value) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{
			{Name: "path", Type: cty.String},
			{Name: "vars", Type: cty.DynamicPseudoType, AllowNull: true},
		},
		Type: function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if files == nil {
				return cty.UnknownVal(cty.String), nil
			}
			name := args[0].AsString()
			if path.IsAbs(name) || !fs.ValidPath(path.Join(dir, name)) {
				return cty.NilVal, function.NewArgErrorf(0, "%q must be a path relative to the recipe's folder, inside it", name)
			}
			src, err := fs.ReadFile(files, path.Join(dir, name))
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "reading the template: %s", err)
			}
			tmpl, diags := hclsyntax.ParseTemplate(src, path.Join(dir, name), hashicl.InitialPos)
			if diags.HasErrors() {
				return cty.NilVal, function.NewArgErrorf(0, "parsing the template: %s", diags.Error())
			}
			vars := map[string]cty.Value{}
			for k, v := range scope {
				vars[k] = v
			}
			if v := args[1]; !v.IsNull() {
				if !v.Type().IsObjectType() && !v.Type().IsMapType() {
					return cty.NilVal, function.NewArgErrorf(1, "vars must be an object or a map")
				}
				for it := v.ElementIterator(); it.Next(); {
					k, val := it.Element()
					vars[k.AsString()] = val
				}
			}
			ctx := &hashicl.EvalContext{Variables: vars, Functions: functions(nil, "", nil)}
			out, diags := tmpl.Value(ctx)
			if diags.HasErrors() {
				return cty.NilVal, fmt.Errorf("rendering %s: %s", name, diags.Error())
			}
			return out, nil
		},
	})
}
