package block

import (
	"fmt"
	"io/fs"
	"sort"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// Decl is one block of a recipe or site body as written: its kind and
// label, its arguments as expressions, and their values once evaluated.
type Decl struct {
	Kind  string
	Label string // cleaned, for a path label
	// Owner names the body that declared it, for messages:
	// `recipe "dolphin"`, `site "community"`.
	Owner string

	Attrs  hashicl.Attributes // the kind's arguments, unevaluated
	Blocks hashicl.Blocks     // its nested blocks, unevaluated
	// Values holds the arguments evaluated so far: at load the constant
	// ones, at compile all of them for one node. Absent arguments are
	// missing from it.
	Values map[string]cty.Value

	// When, a meta-argument of every block: false leaves the block out of
	// the site (a recipe's mode: uploads shared or replicated). Evaluated
	// in the site's context; nil: always there.
	When hashicl.Expression

	// Meta-arguments of steps.
	On       hashicl.Expression // nil: the kind's default
	After    []Ref
	OnChange []Ref

	// Files and Dir locate the file that declared the block, for
	// templatefile() paths: the embedded recipes for built-in ones.
	Files fs.FS
	Dir   string

	DeclRange  hashicl.Range
	LabelRange hashicl.Range
}

// Ref is a reference to another block of the same site, kind.label, as
// after and on_change write it; or, with no label, to one of the site's
// built-in steps on the same node, written bare: on_change = [replicate].
type Ref struct {
	Kind, Label string
	Range       hashicl.Range
}

func (r Ref) String() string {
	if r.Label == "" {
		return r.Kind
	}
	return r.Kind + "." + r.Label
}

// BuiltinSteps are the kinds of the steps a site gets without declaring
// them that after and on_change may name bare: a reload that follows the
// replication of its node's tree says on_change = [replicate].
var BuiltinSteps = []string{"mount", "users", "relocate", "replicate", "purge", "perms"}

// Address is how after and on_change refer to the block.
func (d *Decl) Address() string { return d.Kind + "." + d.Label }

// Describe names the block for messages: `dynamic_dir "media"`.
func (d *Decl) Describe() string { return fmt.Sprintf("%s %q", d.Kind, d.Label) }

// With returns a copy of d holding values instead of d.Values.
func (d *Decl) With(values map[string]cty.Value) *Decl {
	c := *d
	c.Values = values
	return &c
}

// Has reports whether the argument was written.
func (d *Decl) Has(name string) bool {
	_, ok := d.Attrs[name]
	return ok
}

// Known reports whether the argument has a value now.
func (d *Decl) Known(name string) bool {
	v, ok := d.Values[name]
	return ok && !v.IsNull() && v.IsWhollyKnown()
}

// Uses reports whether any argument reads a variable named root
// ("node", "param").
func (d *Decl) Uses(root string) bool {
	for _, a := range d.Attrs {
		for _, t := range a.Expr.Variables() {
			if t.RootName() == root {
				return true
			}
		}
	}
	return false
}

// Range is where the argument's value is written, or the block's
// declaration when it is not.
func (d *Decl) Range(name string) *hashicl.Range {
	if a, ok := d.Attrs[name]; ok {
		return a.Expr.Range().Ptr()
	}
	return d.DeclRange.Ptr()
}

// Error is a diagnostic about the argument name (or the block).
func (d *Decl) Error(name, summary, format string, args ...any) *hashicl.Diagnostic {
	return &hashicl.Diagnostic{
		Severity: hashicl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  d.Range(name),
	}
}

// Warning is a warning about the argument name (or the block).
func (d *Decl) Warning(name, summary, format string, args ...any) *hashicl.Diagnostic {
	diag := d.Error(name, summary, format, args...)
	diag.Severity = hashicl.DiagWarning
	return diag
}

// String is a known argument as a string; "" when absent or unknown.
func (d *Decl) String(name string) string {
	var s string
	d.decode(name, cty.String, &s)
	return s
}

// Strings is a known argument as a list of strings.
func (d *Decl) Strings(name string) []string {
	var s []string
	d.decode(name, cty.List(cty.String), &s)
	return s
}

// Bool is a known argument as a bool.
func (d *Decl) Bool(name string) bool {
	var b bool
	d.decode(name, cty.Bool, &b)
	return b
}

// Int is a known argument as a whole number.
func (d *Decl) Int(name string) int {
	var n int
	d.decode(name, cty.Number, &n)
	return n
}

// StringMap is a known argument as a map of strings.
func (d *Decl) StringMap(name string) map[string]string {
	var m map[string]string
	d.decode(name, cty.Map(cty.String), &m)
	return m
}

func (d *Decl) decode(name string, want cty.Type, dst any) {
	if !d.Known(name) {
		return
	}
	v, _ := d.Values[name].UnmarkDeep()
	v, err := convert.Convert(v, want)
	if err != nil {
		return
	}
	_ = gocty.FromCtyValue(v, dst)
}

// TypeErrors reports each known argument that does not convert to the
// type the kind wants, with the argument's range.
func (d *Decl) TypeErrors(types map[string]cty.Type) hashicl.Diagnostics {
	var diags hashicl.Diagnostics
	for _, name := range sortedNames(types) {
		if !d.Known(name) {
			continue
		}
		if _, err := convert.Convert(d.Values[name], types[name]); err != nil {
			diags = append(diags, d.Error(name, "Wrong type",
				"%s: the argument %q of %s must be a %s: %s.", d.Owner, name, d.Describe(), types[name].FriendlyName(), err))
		}
	}
	return diags
}

// Hidden is what is shown in place of a sensitive value.
const Hidden = "(sensitive)"

// SensitiveMark marks values that come from sensitive variables and
// parameters, and every value computed from one.
const SensitiveMark = "sensitive"

// Sensitive reports whether the argument's value is, or is computed from,
// a sensitive value.
func (d *Decl) Sensitive(name string) bool {
	v, ok := d.Values[name]
	if !ok {
		return false
	}
	_, marks := v.UnmarkDeep()
	_, sensitive := marks[SensitiveMark]
	return sensitive
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
