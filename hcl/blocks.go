package hcl

import (
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
)

// origin is where a body was written: who declared it, for messages, and
// the folder its templatefile() paths are relative to.
type origin struct {
	owner string // `recipe "dolphin"`, `site "community"`
	files fs.FS
	dir   string
}

// body is the kind blocks and excludes of one recipe or site body.
type body struct {
	blocks   []*block.Decl
	excludes []exclusion
}

// exclusion is an `exclude "kind" "label" {}` block.
type exclusion struct {
	kind, label string
	at          hashicl.Range
}

func blockKey(kind, label string) string { return kind + "\x00" + label }

// decodeBody decodes the kind blocks and excludes of a body's content;
// param blocks are the recipe's business.
func (d *decoder) decodeBody(content *hashicl.BodyContent, o origin) body {
	var out body
	seen := map[string]hashicl.Range{}
	for _, b := range content.Blocks {
		switch b.Type {
		case "param":
			continue
		case "exclude":
			out.excludes = append(out.excludes, d.decodeExclude(b, o))
			continue
		}
		k := d.kinds[b.Type]
		if k == nil {
			continue // the schema lists only known kinds
		}
		label, ok := d.blockLabel(k, b, o)
		if !ok {
			continue
		}
		key := blockKey(b.Type, label)
		if prev, dup := seen[key]; dup {
			d.diags = append(d.diags, errorAt(b.DefRange.Ptr(), "Duplicate block",
				"%s: %s %q is already declared at %s.", o.owner, b.Type, label, prev))
			continue
		}
		seen[key] = b.DefRange
		if decl := d.decodeBlock(k, b, label, o); decl != nil {
			out.blocks = append(out.blocks, decl)
		}
	}
	return out
}

// blockLabel checks a kind block's label and returns it cleaned.
func (d *decoder) blockLabel(k block.Kind, b *hashicl.Block, o origin) (string, bool) {
	label := b.Labels[0]
	if k.Label() == block.LabelPath {
		clean, problem := block.RelPath(label, block.RootBase)
		if problem == "" && block.IsPattern(label) {
			problem = block.PatternProblem(label)
		}
		if problem != "" {
			d.diags = append(d.diags, errorAt(b.LabelRanges[0].Ptr(), "Invalid folder path",
				"%s: %s %q %s.", o.owner, b.Type, label, problem))
			return "", false
		}
		return clean, true
	}
	if !hclsyntax.ValidIdentifier(label) {
		d.diags = append(d.diags, errorAt(b.LabelRanges[0].Ptr(), "Invalid block name",
			"%s: %s %q: a name holds letters, digits, '_' and '-', and starts with a letter or '_', so after and on_change can say %s.<name>.", o.owner, b.Type, label, b.Type))
		return "", false
	}
	return label, true
}

// decodeBlock decodes one kind block: its arguments stay expressions; the
// meta-arguments of steps are read; the kind checks what it can already.
func (d *decoder) decodeBlock(k block.Kind, b *hashicl.Block, label string, o origin) *block.Decl {
	content, ds := b.Body.Content(kindSchema(k))
	d.diags = append(d.diags, ds...)
	if ds.HasErrors() {
		return nil
	}
	decl := &block.Decl{
		Kind: b.Type, Label: label, Owner: o.owner,
		Attrs: hashicl.Attributes{}, Blocks: content.Blocks,
		Files: o.files, Dir: o.dir,
		DeclRange: b.DefRange, LabelRange: b.LabelRanges[0],
	}
	for name, attr := range content.Attributes {
		switch name {
		case "when":
			decl.When = attr.Expr
			continue
		case "on":
			if k.Step() {
				decl.On = attr.Expr
				continue
			}
		case "after", "on_change":
			if k.Step() {
				refs := d.decodeRefs(attr, o)
				if name == "after" {
					decl.After = refs
				} else {
					decl.OnChange = refs
				}
				continue
			}
		}
		decl.Attrs[name] = attr
	}
	return decl
}

// decodeRefs reads after/on_change: a list of kind.name references,
// written bare (file.wp_config) or as strings ("file.wp_config").
func (d *decoder) decodeRefs(attr *hashicl.Attribute, o origin) []block.Ref {
	exprs, ds := hashicl.ExprList(attr.Expr)
	if ds.HasErrors() {
		d.diags = append(d.diags, errorAt(attr.Expr.Range().Ptr(), "Invalid reference list",
			"%s: %s is a list of references to other blocks, like [file.wp_config].", o.owner, attr.Name))
		return nil
	}
	var refs []block.Ref
	for _, e := range exprs {
		kind, label, ok := refParts(e)
		if ok && label == "" {
			if !slices.Contains(block.BuiltinSteps, kind) {
				d.diags = append(d.diags, errorAt(e.Range().Ptr(), "Invalid reference",
					"%s: %s refers to %q, which is neither kind.name of a block nor one of the built-in steps %s.%s",
					o.owner, attr.Name, kind, strings.Join(block.BuiltinSteps, ", "), didYouMean(kind, block.BuiltinSteps)))
				continue
			}
			refs = append(refs, block.Ref{Kind: kind, Range: e.Range()})
			continue
		}
		if !ok {
			d.diags = append(d.diags, errorAt(e.Range().Ptr(), "Invalid reference",
				"%s: %s holds references to other blocks as kind.name, like file.wp_config, or built-in steps by kind, like replicate.", o.owner, attr.Name))
			continue
		}
		k := d.kinds[kind]
		if k == nil || !k.Step() {
			d.diags = append(d.diags, errorAt(e.Range().Ptr(), "Invalid reference",
				"%s: %s refers to %q, which is not a step kind.%s", o.owner, attr.Name, kind, didYouMean(kind, d.stepKindNames())))
			continue
		}
		refs = append(refs, block.Ref{Kind: kind, Label: label, Range: e.Range()})
	}
	return refs
}

// refParts splits a reference: a traversal kind.label or a string
// "kind.label"; a bare name (replicate, "replicate") has no label.
func refParts(e hashicl.Expression) (kind, label string, ok bool) {
	if t, ds := hashicl.AbsTraversalForExpr(e); !ds.HasErrors() && len(t) <= 2 {
		if len(t) == 1 {
			return t.RootName(), "", true
		}
		if a, isAttr := t[1].(hashicl.TraverseAttr); isAttr {
			return t.RootName(), a.Name, true
		}
		return "", "", false
	}
	v, ds := e.Value(nil)
	if ds.HasErrors() || v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return "", "", false
	}
	kind, label, dotted := strings.Cut(v.AsString(), ".")
	if !dotted {
		return kind, "", hclsyntax.ValidIdentifier(kind)
	}
	return kind, label, kind != "" && hclsyntax.ValidIdentifier(label)
}

func (d *decoder) decodeExclude(b *hashicl.Block, o origin) exclusion {
	_, ds := b.Body.Content(&hashicl.BodySchema{})
	d.diags = append(d.diags, ds...)
	kind, label := b.Labels[0], b.Labels[1]
	if k := d.kinds[kind]; k == nil {
		d.diags = append(d.diags, errorAt(b.LabelRanges[0].Ptr(), "Unknown block kind",
			"%s: exclude names %q, which is not a kind of block.%s", o.owner, kind, didYouMean(kind, d.kindNames())))
	} else if k.Label() == block.LabelPath {
		if clean, problem := block.RelPath(label, block.RootBase); problem == "" {
			label = clean
		}
	}
	return exclusion{kind: kind, label: label, at: b.DefRange}
}

// merge returns base with add's blocks applied: a block of the same kind
// and label replaces base's in place, others append; then the exclusions
// remove theirs, each of which must name an inherited block.
func (d *decoder) merge(base []*block.Decl, add body, owner string) []*block.Decl {
	out := append([]*block.Decl(nil), base...)
	index := make(map[string]int, len(out))
	for i, b := range out {
		index[blockKey(b.Kind, b.Label)] = i
	}
	for _, b := range add.blocks {
		key := blockKey(b.Kind, b.Label)
		if i, ok := index[key]; ok {
			out[i] = b
			continue
		}
		index[key] = len(out)
		out = append(out, b)
	}
	if len(add.excludes) == 0 {
		return out
	}
	drop := map[int]bool{}
	for _, x := range add.excludes {
		// base's blocks are out's first: one added here is not inherited
		i, ok := index[blockKey(x.kind, x.label)]
		if !ok || i >= len(base) {
			if d.kinds[x.kind] != nil {
				d.diags = append(d.diags, errorAt(x.at.Ptr(), "Nothing to exclude",
					"%s: exclude %q %q names no inherited block.", owner, x.kind, x.label))
			}
			continue
		}
		drop[i] = true
	}
	kept := out[:0]
	for i, b := range out {
		if !drop[i] {
			kept = append(kept, b)
		}
	}
	return kept
}

// checkBlocks evaluates the arguments of blocks in ctx (unknown where they
// depend on what is not known yet), lets each block's kind check those
// that recheck selects, and, with claims, checks the blocks' claims
// together. It returns copies holding the values, so blocks a recipe
// shares between sites keep their own.
//
// pending holds the diagnostics of decoding the body: they and the
// checks' come out in source order, then the claims' conflicts.
func (d *decoder) checkBlocks(blocks []*block.Decl, ctx *hashicl.EvalContext, owner string, recheck func(*block.Decl) bool, claims bool, pending hashicl.Diagnostics) []*block.Decl {
	out := make([]*block.Decl, len(blocks))
	var all []block.Claim
	mark := len(d.diags)
	d.diags = append(d.diags, pending...)
	for i, b := range blocks {
		values, ds := evalArgs(b, ctx)
		checked := b.With(values)
		out[i] = checked
		// a block that may not be there makes no claim yet
		claims := claims && b.When == nil
		if !recheck(b) {
			if claims {
				all = append(all, d.kinds[b.Kind].Claims(checked)...)
			}
			continue
		}
		d.diags = append(d.diags, ds...)
		if ds.HasErrors() {
			continue
		}
		k := d.kinds[b.Kind]
		d.diags = append(d.diags, k.Check(checked)...)
		if claims {
			all = append(all, k.Claims(checked)...)
		}
	}
	sortBySource(d.diags[mark:])
	for _, c := range block.Conflicts(all) {
		d.diags = append(d.diags, c.Diagnostic(owner))
	}
	return out
}

// keepWhen evaluates each block's when in ctx and drops those it turns
// off; when must be a bool known without a node (on says where a step
// runs). A kept block with a when comes back as a copy without it (it is
// decided for this site), and from says which block each copy is of.
func (d *decoder) keepWhen(blocks []*block.Decl, ctx *hashicl.EvalContext) (kept []*block.Decl, from map[*block.Decl]*block.Decl) {
	from = map[*block.Decl]*block.Decl{}
	for _, b := range blocks {
		if b.When == nil {
			kept = append(kept, b)
			continue
		}
		v, ds := b.When.Value(withFiles(ctx, b))
		d.diags = append(d.diags, ds...)
		if ds.HasErrors() {
			continue
		}
		v, _ = v.UnmarkDeep()
		if v.IsNull() || !v.IsKnown() || v.Type() != cty.Bool {
			d.diags = append(d.diags, errorAt(b.When.Range().Ptr(), "Invalid when",
				"%s: when of %s must be true or false, known without a node (use on to pick nodes).", b.Owner, b.Describe()))
			continue
		}
		if v.True() {
			decided := *b
			decided.When = nil
			from[&decided] = b
			kept = append(kept, &decided)
		}
	}
	return kept, from
}

// sortBySource orders diagnostics by where their subjects are written.
func sortBySource(diags hashicl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		if a == nil || b == nil {
			return a != nil && b == nil
		}
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
}

// takeDiags removes and returns the diagnostics added since mark.
func (d *decoder) takeDiags(mark int) hashicl.Diagnostics {
	taken := append(hashicl.Diagnostics(nil), d.diags[mark:]...)
	d.diags = d.diags[:mark]
	return taken
}

// refersTo reports whether any argument of b uses one of the roots
// (param, site, node).
func refersTo(b *block.Decl, roots ...string) bool {
	for _, r := range roots {
		if b.Uses(r) {
			return true
		}
	}
	return false
}

// evalArgs evaluates a block's arguments; those depending on values not
// known yet come out unknown.
func evalArgs(b *block.Decl, ctx *hashicl.EvalContext) (map[string]cty.Value, hashicl.Diagnostics) {
	values := map[string]cty.Value{}
	var diags hashicl.Diagnostics
	ctx = withFiles(ctx, b)
	for name, attr := range b.Attrs {
		v, ds := attr.Expr.Value(ctx)
		diags = append(diags, ds...)
		if !ds.HasErrors() {
			values[name] = v
		}
	}
	return values, diags
}

func (d *decoder) kindNames() []string {
	names := make([]string, 0, len(d.kindOrder))
	for _, k := range d.kindOrder {
		names = append(names, k.Name())
	}
	return names
}

func (d *decoder) stepKindNames() []string {
	var names []string
	for _, k := range d.kindOrder {
		if k.Step() {
			names = append(names, k.Name())
		}
	}
	return names
}

func describeOwner(kind, name string) string { return fmt.Sprintf("%s %q", kind, name) }
