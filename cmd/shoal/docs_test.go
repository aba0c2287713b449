package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsExamplesValidate runs `shoal validate` on every ```hcl block
// of the step kinds' pages: each is a whole configuration.
func TestDocsExamplesValidate(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join("..", "..", "docs", "kinds", "*.md"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("no pages in docs/kinds: %v", err)
	}
	for _, page := range pages {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		blocks := hclBlocks(string(b))
		if len(blocks) == 0 {
			t.Errorf("%s has no hcl example", page)
		}
		for i, src := range blocks {
			code, out, errs := run(t, map[string]string{"example.hcl": src}, "validate")
			if code != 0 || !strings.Contains(out, "The configuration is valid") {
				t.Errorf("%s, example %d: exit %d\n%s%s", page, i+1, code, out, errs)
			}
		}
	}
}

// hclBlocks returns the bodies of a Markdown page's ```hcl fences.
func hclBlocks(page string) []string {
	var out []string
	var cur *strings.Builder
	for _, line := range strings.Split(page, "\n") {
		switch {
		case cur == nil && strings.TrimSpace(line) == "```hcl":
			cur = &strings.Builder{}
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	return out
}
