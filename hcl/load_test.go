package hcl

import (
	"bytes"
	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/steps"
	"github.com/zclconf/go-cty/cty"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	hashicl "github.com/hashicorp/hcl/v2"
)

// ignoreRanges compares what was decoded, not where it was written.
var ignoreRanges = cmpopts.IgnoreTypes(hashicl.Range{})

func loadOK(t *testing.T, o LoadOptions) *Config {
	t.Helper()
	l := NewLoader(steps.BlockKinds())
	cfg, diags := l.Load(o)
	if diags.HasErrors() {
		var out bytes.Buffer
		l.WriteDiagnostics(&out, diags, false)
		t.Fatalf("Load failed:\n%s", out.String())
	}
	return cfg
}

func TestLoadDecodesEveryBlock(t *testing.T) {
	cfg := loadOK(t, LoadOptions{
		Dir:      "testdata/load",
		VarFiles: []string{"testdata/load/values.vars"},
		Vars:     map[string]string{"db_password": "from-flag"},
	})

	wantNodes := []*Node{
		{Name: "web1", Host: "10.0.0.11", User: "deploy", Port: 2222, Sudo: true, Roles: []string{"web"}},
		{Name: "web2", Host: "web2"},
		{Name: "files", Host: "10.0.0.5", Address: "192.168.1.5", Jump: "bastion", IdentityFile: "~/.ssh/files"},
	}
	if diff := cmp.Diff(wantNodes, cfg.Nodes, ignoreRanges); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}

	wantStorage := []*Storage{{
		Name: "nas", Type: "nfs", Server: "files", Export: "/srv/nas", Mount: "/mnt/nas",
		Options: "vers=4", Allow: []string{"10.0.0.0/24"}, MountOver: "refuse",
	}}
	if diff := cmp.Diff(wantStorage, cfg.Storages, ignoreRanges); diff != "" {
		t.Errorf("storage (-want +got):\n%s", diff)
	}

	wantSites := []*Site{{
		Name: "shop", RecipeName: "gallery", Root: "/var/www/shop", Primary: "web1",
		Nodes: []string{"web1", "web2"}, Storage: "nas", Owner: "www-data", Group: "www-data",
		OnConflict: "merge", Params: map[string]cty.Value{},
	}}
	if diff := cmp.Diff(wantSites, cfg.Sites, ignoreRanges, cmpopts.IgnoreFields(Site{}, "Blocks")); diff != "" {
		t.Errorf("sites (-want +got):\n%s", diff)
	}
	wantBlocks := []string{
		`dynamic_dir "uploads" shared="up"`, // the child recipe replaced base's entry in place
		`cache_dir "cache"`,
		`writable "logs" mode="0775"`,
		`dynamic_dir "gallery/files"`,
		`cache_dir "gallery/cache"`,
		`dynamic_dir "media" shared="shop-media"`,
		`writable "tmp"`,
	}
	if diff := cmp.Diff(wantBlocks, blockLines(cfg.Sites[0].Blocks)); diff != "" {
		t.Errorf("site blocks (-want +got):\n%s", diff)
	}

	wantVars := map[string]*Variable{
		"web1_host":   {Name: "web1_host", Value: "10.0.0.11"},
		"owner":       {Name: "owner", Value: "www-data"},
		"db_password": {Name: "db_password", Value: "from-flag", Sensitive: true},
	}
	if diff := cmp.Diff(wantVars, cfg.Variables, ignoreRanges); diff != "" {
		t.Errorf("variables (-want +got):\n%s", diff)
	}

	gallery := cfg.Recipes["gallery"]
	if gallery == nil || gallery.Extends != "base" || gallery.Builtin {
		t.Errorf("recipe gallery = %+v, want a user recipe extending base", gallery)
	}
	if r := cfg.Recipes["dolphin"]; r == nil || !r.Builtin {
		t.Errorf("built-in recipe dolphin missing or not marked built in: %+v", r)
	}
	if diff := cmp.Diff([]string{"testdata/load/cluster.hcl"}, cfg.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestDigestFollowsFilesAndValues(t *testing.T) {
	opts := func(pw string) LoadOptions {
		return LoadOptions{Files: []string{"testdata/load/cluster.hcl"}, Vars: map[string]string{"db_password": pw}}
	}
	a := loadOK(t, opts("one")).Digest
	if b := loadOK(t, opts("one")).Digest; a != b {
		t.Errorf("same input, different digests %s and %s", a, b)
	}
	if c := loadOK(t, opts("two")).Digest; a == c {
		t.Errorf("a changed variable kept digest %s", a)
	}
}

func TestVariableSources(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cluster := write("cluster.hcl", `variable "host" { default = "from-default" }
node "web1" { host = var.host }
`)
	fileA := write("a.vars", `host = "from-file-a"`)
	fileB := write("b.vars", `host = "from-file-b"`)

	tests := []struct {
		name     string
		varFiles []string
		vars     map[string]string
		want     string
	}{
		{"default", nil, nil, "from-default"},
		{"var file", []string{fileA}, nil, "from-file-a"},
		{"later var file wins", []string{fileA, fileB}, nil, "from-file-b"},
		{"--var wins over files", []string{fileA}, map[string]string{"host": "from-flag"}, "from-flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := loadOK(t, LoadOptions{Files: []string{cluster}, VarFiles: tt.varFiles, Vars: tt.vars})
			if got := cfg.Nodes[0].Host; got != tt.want {
				t.Errorf("host = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUndeclaredVariableIsAnError(t *testing.T) {
	l := NewLoader(steps.BlockKinds())
	_, diags := l.Load(LoadOptions{Files: []string{"testdata/load/cluster.hcl"},
		Vars: map[string]string{"db_password": "x", "db_pasword": "typo"}})
	if !diags.HasErrors() {
		t.Fatal("a --var for an undeclared variable loaded without error")
	}
	var out bytes.Buffer
	l.WriteDiagnostics(&out, diags, false)
	if !bytes.Contains(out.Bytes(), []byte("--var db_pasword")) {
		t.Errorf("diagnostic does not name the flag:\n%s", out.String())
	}
}

func TestMissingDirIsAnError(t *testing.T) {
	if _, diags := NewLoader(steps.BlockKinds()).Load(LoadOptions{Dir: filepath.Join(t.TempDir(), "nope")}); !diags.HasErrors() {
		t.Error("a missing config dir loaded without error")
	}
}

// TestEmptyDirWarns: an empty dir still loads the built-in recipes, so
// `shoal recipes` works before any config exists, but says so.
func TestEmptyDirWarns(t *testing.T) {
	cfg, diags := NewLoader(steps.BlockKinds()).Load(LoadOptions{Dir: t.TempDir()})
	if diags.HasErrors() || len(diags) != 1 {
		t.Fatalf("want exactly one warning, got %v", diags)
	}
	if cfg == nil || cfg.Recipes["dolphin"] == nil || len(cfg.Nodes) != 0 {
		t.Errorf("empty dir config = %+v, want built-in recipes only", cfg)
	}
}

func TestFixtureLoads(t *testing.T) {
	cfg := loadOK(t, LoadOptions{Dir: "../fixtures/dolphin"})
	site := cfg.Site("community")
	if site == nil {
		t.Fatal("fixture has no site community")
	}
	recipe := cfg.Recipes["dolphin"]
	if got, want := len(site.BlocksOf("dynamic_dir")), len(recipe.BlocksOf("dynamic_dir"))+1; got != want {
		t.Errorf("site has %d dynamic dirs, want the recipe's %d plus one", got, want-1)
	}
	if st := cfg.Storage(site.Storage); st == nil || st.Type != "sshfs" || st.Address != "files" {
		t.Errorf("storage = %+v, want the lab's sshfs nas", st)
	}
}

// blockLines shows blocks as `kind "label" arg="value"`, with the values
// known at load, arguments sorted.
func blockLines(blocks []*block.Decl) []string {
	var out []string
	for _, b := range blocks {
		line := b.Describe()
		for _, name := range sortedKeys(b.Values) {
			line += " " + name + "=" + valueText(b.Values[name])
		}
		out = append(out, line)
	}
	return out
}

// TestMissingParamIsReportedOnce: a param a site does not set is one
// error at the site's params, not one more at every block that reads it.
func TestMissingParamIsReportedOnce(t *testing.T) {
	_, diags := loadString(t, `
node "web1" {}
recipe "app" {
  param "db_password" {
    sensitive = true
  }
  file "db" {
    path    = "/etc/app/db.conf"
    content = "password=${param.db_password}\n"
  }
  cron "backup" {
    schedule = "@daily"
    command  = "backup --user ${param.db_user}"
  }
  param "db_user" {}
}
site "s" {
  recipe  = "app"
  root    = "/var/www/s"
  primary = "web1"
  nodes   = ["web1"]
}
`)
	if strings.Count(diags, "Error: ") != 2 || strings.Count(diags, "Error: Missing param") != 2 {
		t.Errorf("want one Missing param error per param and nothing else:\n%s", diags)
	}
}
