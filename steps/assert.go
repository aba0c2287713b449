package steps

import (
	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
)

// assert: `assert "memcached_private" { condition = ..., message = "..." }`
// is a recipe's own check of what a site sets: when condition is false,
// validate, plan and apply stop with the message as an error (or go on
// with it as a warning: severity = "warning"), before anything connects.
// It is evaluated as soon as what it reads is known: with the site's
// parameters at load, per node (on) when it reads node.
var _ = register(&Kind{
	Type:      "assert",
	LabelKind: block.LabelName,
	Arguments: []Argument{
		{Name: "condition", Type: cty.Bool, Required: true},
		{Name: "message", Type: cty.String, Required: true},
		{Name: "severity", Type: cty.String},
	},
	IsStep:    true,
	DefaultOn: "all",
	Validate:  checkAssert,
	Compile: func(u *Unit) ([]Entry, hashicl.Diagnostics) {
		if !u.Decl.Uses("node") {
			return nil, nil // judged at load, with the site's values
		}
		var diags hashicl.Diagnostics
		for _, n := range u.Nodes {
			_, ds := u.Eval(n) // Eval runs the kind's Check: checkAssert
			diags = append(diags, ds...)
		}
		return nil, diags
	},
})

func checkAssert(d *block.Decl) hashicl.Diagnostics {
	var diags hashicl.Diagnostics
	severity := d.String("severity")
	if d.Known("severity") && severity != "error" && severity != "warning" {
		diags = append(diags, d.Error("severity", "Invalid severity", "%s: %s: severity is \"error\" or \"warning\", not %q.", d.Owner, d.Describe(), severity))
	}
	if !d.Known("condition") || d.Bool("condition") {
		return diags
	}
	diag := d.Error("condition", "Assertion failed: "+d.Label, "%s: %s", d.Owner, d.String("message"))
	if severity == "warning" {
		diag.Severity = hashicl.DiagWarning
	}
	return append(diags, diag)
}
