package hcl

import (
	"fmt"
	"sort"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
)

// assignedValue is a variable's value from --var (Subject nil) or from a
// --var-file attribute.
type assignedValue struct {
	Value   string
	Subject *hashicl.Range
}

// variableValues gathers values from the var files in order, then --var,
// later ones winning.
func (l *Loader) variableValues(o LoadOptions) (map[string]assignedValue, hashicl.Diagnostics) {
	values := map[string]assignedValue{}
	var diags hashicl.Diagnostics
	for _, name := range o.VarFiles {
		f, ds := l.parser.ParseHCLFile(name)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		all, ds := f.Body.JustAttributes()
		diags = append(diags, ds...)
		for _, attr := range all {
			v, ds := attrValue(attr, nil, cty.String)
			diags = append(diags, ds...)
			if !ds.HasErrors() {
				values[attr.Name] = assignedValue{Value: v.AsString(), Subject: attr.NameRange.Ptr()}
			}
		}
	}
	for name, v := range o.Vars {
		values[name] = assignedValue{Value: v}
	}
	return values, diags
}

// decodeVariables decodes `variable` blocks and gives each its value:
// assigned, else its default, else an error. complete is false when a
// declared variable has no value.
func (d *decoder) decodeVariables(values map[string]assignedValue) (vars map[string]*Variable, complete bool) {
	vars = map[string]*Variable{}
	complete = true
	names := newNameSet("variable")
	for _, b := range d.blocks["variable"] {
		name := b.Labels[0]
		if !hclsyntax.ValidIdentifier(name) {
			d.diags = append(d.diags, errorAt(b.LabelRanges[0].Ptr(), "Invalid variable name",
				"A variable name starts with a letter and holds letters, digits, underscores and dashes; %q does not.", name))
			continue
		}
		if !names.add(name, b.LabelRanges[0], &d.diags) {
			continue
		}
		content, ds := b.Body.Content(variableSchema)
		d.diags = append(d.diags, ds...)
		v := &Variable{Name: name, DeclRange: b.DefRange}
		a := attrs{all: content.Attributes}
		a.bool("sensitive", &v.Sensitive)
		description := ""
		a.string("description", &description)
		hasDefault := false
		if _, ok := content.Attributes["default"]; ok {
			a.string("default", &v.Value)
			hasDefault = true
		}
		d.diags = append(d.diags, a.diags...)
		if assigned, ok := values[name]; ok {
			v.Value = assigned.Value
		} else if !hasDefault {
			complete = false
			d.diags = append(d.diags, errorAt(b.DefRange.Ptr(), "No value for required variable",
				"The variable %q has no default; set it with --var %s=VALUE or in a --var-file.", name, name))
		}
		vars[name] = v
	}
	for _, name := range sortedKeys(values) {
		if _, ok := vars[name]; ok || names.has(name) {
			continue
		}
		diag := errorAt(values[name].Subject, "Value for undeclared variable",
			"A value was given for %q, but no variable block declares it.", name)
		if diag.Subject == nil {
			diag.Detail = fmt.Sprintf("--var %s was given, but no variable block declares %q.", name, name)
		}
		d.diags = append(d.diags, diag)
	}
	return vars, complete
}

// varObject is `var` in expressions.
func varObject(vars map[string]*Variable) cty.Value {
	m := make(map[string]cty.Value, len(vars))
	for name, v := range vars {
		m[name] = cty.StringVal(v.Value)
		if v.Sensitive {
			m[name] = m[name].Mark(block.SensitiveMark)
		}
	}
	return cty.ObjectVal(m)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
