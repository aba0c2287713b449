package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// hclBlock is one ```hcl fenced block of a Markdown file.
var hclBlock = regexp.MustCompile("(?s)```hcl\n(.*?)```")

// TestDocsExamplesAreValid: every HCL example under docs/ loads as a
// configuration of its own (`shoal validate`) and is formatted as `shoal
// fmt` would write it.
func TestDocsExamplesAreValid(t *testing.T) {
	var pages []string
	for _, pattern := range []string{"../../docs/*.md", "../../docs/*/*.md"} {
		found, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, found...)
	}
	if len(pages) == 0 {
		t.Fatal("no pages under docs/")
	}
	for _, page := range pages {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range hclBlock.FindAllSubmatch(text, -1) {
			files := map[string]string{"example.hcl": string(m[1])}
			if code, out, errs := run(t, files, "validate"); code != 0 {
				t.Errorf("%s, example %d: validate exits %d\n%s%s", page, i+1, code, out, errs)
			}
			if code, out, _ := run(t, files, "fmt", "--check"); code != 0 {
				t.Errorf("%s, example %d: not formatted as shoal fmt writes it\n%s", page, i+1, out)
			}
		}
	}
}
