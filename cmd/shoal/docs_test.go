package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// TestDocSnippetsValidate runs `shoal validate` on every ```hcl block in
// README.md and docs/ (and its folders), so what a reader copies works,
// and `shoal fmt --check`, so it is written as shoal fmt writes it. The convention
// (docs/README.md says it to doc writers): a block is a configuration of
// its own; the nodes and storage it names (a site's primary, nodes and
// storage, a storage's server) but does not declare are added for it, as
// web nodes whose host is their name and as "mounted" storage at
// /mnt/<name>. A failure names the Markdown file and line.
func TestDocSnippetsValidate(t *testing.T) {
	docs, _ := filepath.Glob("../../docs/*.md")
	nested, _ := filepath.Glob("../../docs/*/*.md")
	docs = append(append([]string{"../../README.md"}, docs...), nested...)
	blocks := 0
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(doc, "../../")
		for _, s := range hclSnippets(string(b)) {
			blocks++
			t.Run(fmt.Sprintf("%s:%d", name, s.line), func(t *testing.T) {
				// blank lines first, so diagnostics give the Markdown file's line numbers
				files := map[string]string{strings.ReplaceAll(name, "/", "-") + ".hcl": strings.Repeat("\n", s.line) + s.text}
				if stubs := stubsFor(t, s.text); stubs != "" {
					files["zz-stubs.hcl"] = stubs
				}
				code, out, errs := run(t, files, "validate")
				if code != 0 {
					t.Errorf("the hcl block at %s:%d does not validate:\n%s%s", name, s.line, out, errs)
				}
				if code, out, _ := run(t, map[string]string{"example.hcl": s.text}, "fmt", "--check"); code != 0 {
					t.Errorf("the hcl block at %s:%d is not formatted as shoal fmt writes it:\n%s", name, s.line, out)
				}
			})
		}
	}
	if blocks == 0 {
		t.Fatal("no hcl blocks found: README.md shows the configuration in one")
	}
}

// snippet is one fenced hcl block: its text and the line of its fence.
type snippet struct {
	line int
	text string
}

var fence = regexp.MustCompile("^\\s*```")

func hclSnippets(markdown string) []snippet {
	var out []snippet
	var cur *snippet
	for i, line := range strings.Split(markdown, "\n") {
		switch {
		case cur == nil && fence.MatchString(line) && strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "`")) == "hcl":
			cur = &snippet{line: i + 1}
		case cur != nil && fence.MatchString(line):
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	return out
}

// stubsFor declares the nodes and storage src names without declaring.
func stubsFor(t *testing.T, src string) string {
	f, diags := hclsyntax.ParseConfig([]byte(src), "snippet.hcl", hashicl.InitialPos)
	if diags.HasErrors() {
		return "" // validate reports it, with the line
	}
	declared := map[string]map[string]bool{"node": {}, "storage": {}}
	named := map[string]map[string]bool{"node": {}, "storage": {}}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if declared[b.Type] != nil && len(b.Labels) == 1 {
			declared[b.Type][b.Labels[0]] = true
		}
		refs := map[string]string{"server": "node"} // storage
		if b.Type == "site" {
			refs = map[string]string{"primary": "node", "nodes": "node", "storage": "storage"}
		} else if b.Type != "storage" {
			continue
		}
		for attr, kind := range refs {
			if a, ok := b.Body.Attributes[attr]; ok {
				for _, n := range literalStrings(a.Expr) {
					named[kind][n] = true
				}
			}
		}
	}
	var stubs []string
	for _, kind := range []string{"node", "storage"} {
		var names []string
		for n := range named[kind] {
			if !declared[kind][n] {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			if kind == "node" {
				stubs = append(stubs, fmt.Sprintf("node %q {\n  host  = %q\n  roles = [\"web\"]\n}\n", n, n))
			} else {
				stubs = append(stubs, fmt.Sprintf("storage %q {\n  type  = \"mounted\"\n  mount = \"/mnt/%s\"\n}\n", n, n))
			}
		}
	}
	if len(stubs) > 0 {
		t.Logf("added for the block: %s", strings.Join(stubs, ""))
	}
	return strings.Join(stubs, "\n")
}

// literalStrings is a string or list of strings an expression holds
// without variables; nil otherwise.
func literalStrings(expr hclsyntax.Expression) []string {
	v, diags := expr.Value(nil)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() {
		return nil
	}
	if v.Type() == cty.String {
		return []string{v.AsString()}
	}
	if !v.CanIterateElements() {
		return nil
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.Type() == cty.String && e.IsKnown() && !e.IsNull() {
			out = append(out, e.AsString())
		}
	}
	return out
}
