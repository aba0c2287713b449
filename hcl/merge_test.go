package hcl

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/steps"
)

// minimalBodies holds, for every registered kind, a body that loads
// without errors; LABEL stands for the block's label, so blocks of one kind
// claim different paths.
var minimalBodies = map[string]string{
	"dynamic_dir": ``,
	"cache_dir":   ``,
	"local_dir":   ``,
	"writable":    ``,
	"file":        `path = "/etc/m-LABEL"` + "\n" + `content = "x\n"`,
	"line":        `path = "/etc/m-LABEL.conf"` + "\n" + `match = "^x"` + "\n" + `line = "x = 1"`,
	"cron":        `schedule = "@daily"` + "\n" + `command = "true"`,
	"exec":        `command = "true"` + "\n" + `creates = "/srv/LABEL"`,
	"package":     `names = ["pkg-LABEL"]`,
	"service":     ``,
	"ssh_trust":   `to = "primary"` + "\n" + `rrsync = "/srv/LABEL"`,
	"assert":      `condition = true` + "\n" + `message = "m"`,
	"dns":         `zone = "LABEL.example"` + "\n" + `records = { "@" = ["10.0.0.1"] }`,
	"snapshot": `dir = "/srv/snap/LABEL"` + "\n" + `keep = 3` + "\n" + `schedule = "@daily"` + "\n" +
		`sources = { site = { path = "/var/www/s", key = "/root/.ssh/snap" } }`,
}

// mergeHead declares what every site of these tests needs: a node, and
// storage for dynamic folders.
const mergeHead = `node "web1" {}
storage "nas" {
  type  = "mounted"
  mount = "/mnt/nas"
}
`

// siteOf is site "s" of recipe with params and body.
func siteOf(recipe, params, body string) string {
	return fmt.Sprintf(`site "s" {
  recipe  = %q
  params  = %s
  root    = "/var/www/s"
  primary = "web1"
  nodes   = ["web1"]
  storage = "nas"
%s}
`, recipe, params, body)
}

// TestMergeEveryKind: for every registered kind, a child recipe's block
// of the same kind and label replaces its parent's in place, new ones
// append, exclude removes an inherited one; a site does the same to its
// recipe's; the parent is left as it was. Params merge by name.
func TestMergeEveryKind(t *testing.T) {
	for _, k := range steps.BlockKinds() {
		kind := k.Name()
		t.Run(kind, func(t *testing.T) {
			tmpl, ok := minimalBodies[kind]
			if !ok {
				t.Fatalf("no minimal body for kind %s: add one to minimalBodies", kind)
			}
			decl := func(label string) string {
				return fmt.Sprintf("  %s %q {\n%s\n  }\n", kind, label, strings.ReplaceAll(tmpl, "LABEL", label))
			}
			exclude := func(label string) string { return fmt.Sprintf("  exclude %q %q {}\n", kind, label) }
			src := mergeHead + `recipe "parent" {
  param "p" { default = "parent" }
  param "q" { default = "q" }
` + decl("a") + decl("b") + decl("c") + `}
recipe "child" {
  extends = "parent"
  param "r" {}
  param "p" { default = "child" }
` + decl("b") + exclude("c") + decl("d") + "}\n" +
				siteOf("child", `{ r = "site" }`, decl("a")+exclude("d")+decl("e"))
			cfg, diags := loadString(t, src)
			if cfg == nil {
				t.Fatalf("load failed:\n%s\n%s", diags, src)
			}
			for _, tt := range []struct {
				what   string
				blocks []*block.Decl
				want   []string
			}{
				{"recipe parent", cfg.Recipes["parent"].Blocks, []string{"a parent", "b parent", "c parent"}},
				{"recipe child", cfg.Recipes["child"].Blocks, []string{"a parent", "b child", "d child"}},
				{"site s", cfg.Sites[0].Blocks, []string{"a s", "b child", "e s"}},
			} {
				if diff := cmp.Diff(tt.want, whoseBlocks(t, kind, tt.blocks)); diff != "" {
					t.Errorf("%s: blocks as label and owner (-want +got):\n%s", tt.what, diff)
				}
			}

			var params []string
			for _, p := range cfg.Recipes["child"].Params {
				params = append(params, p.Name+"="+paramDefault(p))
			}
			if diff := cmp.Diff([]string{`p="child"`, `q="q"`, "r=(none)"}, params); diff != "" {
				t.Errorf("child's params, name=default (-want +got):\n%s", diff)
			}
			wantValues := map[string]cty.Value{"p": cty.StringVal("child"), "q": cty.StringVal("q"), "r": cty.StringVal("site")}
			if diff := cmp.Diff(wantValues, cfg.Sites[0].Params, cmp.Comparer(cty.Value.RawEquals)); diff != "" {
				t.Errorf("site's params (-want +got):\n%s", diff)
			}
		})
	}
}

// whoseBlocks shows blocks as "label owner", checking they are all of kind.
func whoseBlocks(t *testing.T, kind string, blocks []*block.Decl) []string {
	t.Helper()
	var out []string
	for _, b := range blocks {
		if b.Kind != kind {
			t.Errorf("block %s, want only %s blocks", b.Describe(), kind)
		}
		_, owner, _ := strings.Cut(b.Owner, " ")
		out = append(out, b.Label+" "+strings.Trim(owner, `"`))
	}
	return out
}

func paramDefault(p *Param) string {
	if p.Default == cty.NilVal {
		return "(none)"
	}
	return valueText(p.Default)
}

// TestMergeDiagnostics: what merging cannot do is an error at the place
// that asks for it, with its file, line and column.
func TestMergeDiagnostics(t *testing.T) {
	const parent = `recipe "parent" {
  param "db_name" {}
  file "a" {
    path    = "/etc/a"
    content = "a"
  }
}
`
	child := func(body string) string { return "recipe \"child\" {\n  extends = \"parent\"\n" + body + "}\n" }
	const params = `{ db_name = "x" }`
	for _, tt := range []struct {
		name, recipes, recipe, params, body string
		want                                []string
	}{
		{"recipe excludes what its parent lacks", child(`  exclude "file" "b" {}` + "\n"), "child", params, "", []string{
			`c.hcl:15:3: Nothing to exclude`,
			`recipe "child": exclude "file" "b" names no inherited block.`}},
		{"recipe excludes a block it declares itself", child(`  file "b" {
    path    = "/etc/b"
    content = "b"
  }
  exclude "file" "b" {}
`), "child", params, "", []string{
			`c.hcl:19:3: Nothing to exclude`,
			`recipe "child": exclude "file" "b" names no inherited block.`}},
		{"recipe without a parent excludes", "recipe \"alone\" {\n  exclude \"cron\" \"x\" {}\n}\n", "parent", params, "", []string{
			`c.hcl:14:3: Nothing to exclude`,
			`recipe "alone": exclude "cron" "x" names no inherited block.`}},
		{"site excludes what its recipe lacks", "", "parent", params, `  exclude "dynamic_dir" "a" {}` + "\n", []string{
			`c.hcl:20:3: Nothing to exclude`,
			`site "s": exclude "dynamic_dir" "a" names no inherited block.`}},
		{"exclude names an unknown kind", "", "parent", params, `  exclude "fil" "a" {}` + "\n", []string{
			`c.hcl:20:11: Unknown block kind`,
			`site "s": exclude names "fil", which is not a kind of block. Did you mean "file"?`}},
		{"unknown param", "", "parent", "{\n    db_name = \"x\"\n    nope    = 1\n  }", "", []string{
			`c.hcl:17:5: Unknown param`,
			`Site "s": recipe "parent" has no param "nope".`}},
		{"misspelt param", "", "parent", `{ db_nmae = "x" }`, "", []string{
			`c.hcl:15:15: Unknown param`,
			`Site "s": recipe "parent" has no param "db_nmae". Did you mean "db_name"?`,
			`c.hcl:15:13: Missing param`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := mergeHead + parent + tt.recipes + siteOf(tt.recipe, tt.params, tt.body)
			cfg, diags := loadString(t, src)
			if cfg != nil {
				t.Fatalf("loaded without errors:\n%s", src)
			}
			flat := strings.Join(strings.Fields(diags), " ")
			for _, w := range tt.want {
				if !strings.Contains(flat, w) {
					t.Errorf("diagnostics lack %q:\n%s", w, diags)
				}
			}
		})
	}
}
