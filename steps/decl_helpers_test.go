package steps

import (
	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
)

// testDecl is a block as the loader would hand it over, its arguments
// evaluated to values.
func testDecl(kind, label string, values map[string]cty.Value) *block.Decl {
	d := &block.Decl{Kind: kind, Label: label, Owner: `site "s"`, Attrs: hashicl.Attributes{}, Values: values}
	for name, v := range values {
		d.Attrs[name] = &hashicl.Attribute{Name: name, Expr: hashicl.StaticExpr(v, hashicl.Range{})}
	}
	return d
}

// diagText joins diagnostics' summaries and details for matching.
func diagText(diags hashicl.Diagnostics) string {
	var s string
	for _, d := range diags {
		s += d.Summary + ": " + d.Detail + "\n"
	}
	return s
}
