package hcl

import (
	"fmt"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// attrValue evaluates attr and converts it to want, with a diagnostic on
// the attribute's expression when that fails.
func attrValue(attr *hashicl.Attribute, ctx *hashicl.EvalContext, want cty.Type) (cty.Value, hashicl.Diagnostics) {
	v, diags := attr.Expr.Value(ctx)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	// Sensitivity matters to what steps show; settings such as a root
	// are used as they are.
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsWhollyKnown() {
		return cty.NilVal, append(diags, &hashicl.Diagnostic{
			Severity: hashicl.DiagError,
			Summary:  "Missing value",
			Detail:   fmt.Sprintf("The argument %q needs a value here.", attr.Name),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	v, err := convert.Convert(v, want)
	if err != nil {
		return cty.NilVal, append(diags, &hashicl.Diagnostic{
			Severity: hashicl.DiagError,
			Summary:  "Wrong type",
			Detail:   fmt.Sprintf("The argument %q must be a %s: %s.", attr.Name, want.FriendlyName(), err),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	return v, diags
}

// attrs reads a decoded body's attributes into Go values. Each method
// leaves its target alone when the attribute is absent, and collects
// diagnostics in a.diags.
type attrs struct {
	all   hashicl.Attributes
	ctx   *hashicl.EvalContext
	diags hashicl.Diagnostics
}

func (a *attrs) string(name string, dst *string) {
	attr, ok := a.all[name]
	if !ok {
		return
	}
	v, ds := attrValue(attr, a.ctx, cty.String)
	a.diags = append(a.diags, ds...)
	if !ds.HasErrors() {
		*dst = v.AsString()
	}
}

func (a *attrs) strings(name string, dst *[]string) {
	attr, ok := a.all[name]
	if !ok {
		return
	}
	v, ds := attrValue(attr, a.ctx, cty.List(cty.String))
	a.diags = append(a.diags, ds...)
	if ds.HasErrors() {
		return
	}
	var out []string
	if err := gocty.FromCtyValue(v, &out); err != nil {
		a.diags = append(a.diags, &hashicl.Diagnostic{
			Severity: hashicl.DiagError,
			Summary:  "Wrong type",
			Detail:   fmt.Sprintf("The argument %q must be a list of strings: %s.", name, err),
			Subject:  attr.Expr.Range().Ptr(),
		})
		return
	}
	*dst = out
}

func (a *attrs) bool(name string, dst *bool) {
	attr, ok := a.all[name]
	if !ok {
		return
	}
	v, ds := attrValue(attr, a.ctx, cty.Bool)
	a.diags = append(a.diags, ds...)
	if !ds.HasErrors() {
		*dst = v.True()
	}
}

func (a *attrs) int(name string, dst *int) {
	attr, ok := a.all[name]
	if !ok {
		return
	}
	v, ds := attrValue(attr, a.ctx, cty.Number)
	a.diags = append(a.diags, ds...)
	if ds.HasErrors() {
		return
	}
	if err := gocty.FromCtyValue(v, dst); err != nil {
		a.diags = append(a.diags, &hashicl.Diagnostic{
			Severity: hashicl.DiagError,
			Summary:  "Wrong type",
			Detail:   fmt.Sprintf("The argument %q must be a whole number: %s.", name, err),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
}

// rangeOf is the range of the named attribute's value, or fallback when
// the attribute is absent.
func rangeOf(all hashicl.Attributes, name string, fallback hashicl.Range) *hashicl.Range {
	if attr, ok := all[name]; ok {
		return attr.Expr.Range().Ptr()
	}
	return fallback.Ptr()
}

func errorAt(subject *hashicl.Range, summary, format string, args ...any) *hashicl.Diagnostic {
	return &hashicl.Diagnostic{
		Severity: hashicl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  subject,
	}
}
