package recipes_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/recipes"
	"github.com/shoal-sh/shoal/steps"
)

// modeParams pick, for a recipe with modes, the one whose folders the
// test below looks for.
var modeParams = map[string][]string{
	// uploads shared: the mode with a folder on the storage
	"wordpress": {`uploads = "shared"`},
}

// TestEveryRecipeLoads gives each built-in recipe a minimal site and
// checks it loads clean (but for the recipe's own warnings about a site it
// is not meant for) and gives the site something to do.
func TestEveryRecipeLoads(t *testing.T) {
	files, err := fs.Glob(recipes.FS, "*.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no embedded recipes")
	}
	names := hcl.RecipeNames()
	if len(names) < len(files) {
		t.Fatalf("RecipeNames() = %v, want at least one recipe per file %v", names, files)
	}
	builtin := builtinRecipes(t)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			// a param without a default gets a plain word: the recipe's
			// own asserts judge it
			params := append([]string(nil), modeParams[name]...)
			for _, p := range builtin[name].Params {
				if p.Default == cty.NilVal {
					params = append(params, p.Name+` = "x"`)
				}
			}
			site := filepath.Join(t.TempDir(), "site.hcl")
			src := `node "web1" {
  address = "10.0.0.11"
}
node "web2" {
  address = "10.0.0.12"
}
node "dns" {
  address = "10.0.0.53"
  roles   = ["dns"]
}
storage "nas" {
  type  = "mounted"
  mount = "/mnt/nas"
}
site "s" {
  recipe  = "` + name + `"
  root    = "/var/www/s"
  primary = "web1"
  nodes   = ["web1", "web2"]
  storage = "nas"
  ` + paramsArg(params) + `
}
`
			if err := os.WriteFile(site, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			l := hcl.NewLoader(steps.BlockKinds())
			cfg, diags := l.Load(hcl.LoadOptions{Files: []string{site}})
			var out bytes.Buffer
			l.WriteDiagnostics(&out, diags, false)
			for _, d := range diags {
				// a recipe may warn about a site it is not meant for (this generic one)
				if d.Severity == hashicl.DiagError || !strings.Contains(d.Summary, "Assertion failed") {
					t.Fatalf("recipe %s does not load clean:\n%s", name, out.String())
				}
			}
			if s := cfg.Site("s"); len(s.Blocks) == 0 {
				t.Errorf("recipe %s gives a site no blocks", name)
			}
			if cfg.Recipes[name].Description == "" {
				t.Errorf("recipe %s has no description", name)
			}
		})
	}
}

// builtinRecipes loads the built-in recipes alone.
func builtinRecipes(t *testing.T) map[string]*hcl.Recipe {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "empty.hcl")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := hcl.NewLoader(steps.BlockKinds()).Load(hcl.LoadOptions{Files: []string{empty}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg.Recipes
}

// paramsArg is a site's params argument setting each of assignments.
func paramsArg(assignments []string) string {
	if len(assignments) == 0 {
		return ""
	}
	return "params = {\n    " + strings.Join(assignments, "\n    ") + "\n  }"
}

// TestDolphinCoversTheSeed checks the dolphin recipe relocates every
// folder the BoonEx how-to moves by hand, to the same place on the
// storage, and empties the caches it empties.
func TestDolphinCoversTheSeed(t *testing.T) {
	seed := map[string]string{
		"media":                                        "media",
		"modules/boonex/avatar/data/images":            "modules/avatar/images",
		"modules/boonex/avatar/data/tmp":               "modules/avatar/tmp",
		"modules/boonex/photos/data/files":             "modules/photos/files",
		"modules/boonex/files/data/files":              "modules/files/files",
		"modules/boonex/profile_customize/data/images": "modules/profile_customize/images",
		"modules/boonex/forum/data/attachments":        "modules/forum/attachments",
	}
	for _, mod := range []string{"board", "chat", "photo", "im", "mp3", "video", "video_comments"} {
		seed["flash/modules/"+mod+"/files"] = "flash/" + mod + "/files"
	}
	for _, mod := range []string{"board", "chat", "photo", "im", "mp3", "video", "video_comments", "desktop", "global"} {
		seed["flash/modules/"+mod+"/xml"] = "flash/" + mod + "/xml"
	}
	dolphin := builtinRecipes(t)["dolphin"]
	got := map[string]string{}
	for _, d := range dolphin.BlocksOf("dynamic_dir") {
		got[d.Label] = d.Label
		if d.Known("shared") {
			got[d.Label] = d.String("shared")
		}
	}
	for path, shared := range seed {
		if got[path] != shared {
			t.Errorf("dynamic_dir %q: shared = %q, want %q", path, got[path], shared)
		}
	}
	var caches []string
	for _, c := range dolphin.BlocksOf("cache_dir") {
		caches = append(caches, c.Label)
	}
	serializer := "plugins/htmlpurifier/standalone/HTMLPurifier/DefinitionCache/Serializer/"
	for _, want := range []string{"cache", "cache_public", "tmp",
		serializer + "HTML", serializer + "CSS", serializer + "Test", serializer + "URI"} {
		if !slices.Contains(caches, want) {
			t.Errorf("cache_dir %q missing from %v", want, caches)
		}
	}
}

// TestDrupalDocroots: each docroot the drupal recipe knows relocates that
// tree's sites, to one layout on the storage; another is an error.
func TestDrupalDocroots(t *testing.T) {
	for _, tt := range []struct {
		docroot string
		want    map[string]string // dynamic folder → its shared path
		err     string
	}{
		{".", map[string]string{"sites/*/files": "sites/*/files", "sites/*/private": "sites/*/private"}, ""},
		{"web", map[string]string{"web/sites/*/files": "sites/$1/files", "web/sites/*/private": "sites/$1/private"}, ""},
		{"public_html", nil, "docroot is \".\", \"web\" or \"docroot\""},
	} {
		t.Run(tt.docroot, func(t *testing.T) {
			site := filepath.Join(t.TempDir(), "site.hcl")
			src := `node "web1" {}
storage "nas" {
  type  = "mounted"
  mount = "/mnt/nas"
}
site "d" {
  recipe  = "drupal"
  root    = "/var/www/d"
  primary = "web1"
  nodes   = ["web1"]
  storage = "nas"
  params  = { docroot = "` + tt.docroot + `" }
}
`
			if err := os.WriteFile(site, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			l := hcl.NewLoader(steps.BlockKinds())
			cfg, diags := l.Load(hcl.LoadOptions{Files: []string{site}})
			var out bytes.Buffer
			l.WriteDiagnostics(&out, diags, false)
			if tt.err != "" {
				if !strings.Contains(out.String(), tt.err) {
					t.Errorf("want an error saying %q, got:\n%s", tt.err, out.String())
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(out.String())
			}
			got := map[string]string{}
			for _, d := range cfg.Site("d").BlocksOf("dynamic_dir") {
				got[d.Label] = d.Label
				if d.Known("shared") {
					got[d.Label] = d.String("shared")
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("dynamic folders (-want +got):\n%s", d)
			}
		})
	}
}

// TestShownRecipesLoadAgain: what `shoal recipes show` prints of each
// built-in recipe, every default spelled out, loads as a recipe again
// (beside a copy of the recipe's own folder, which its templatefile()
// calls read, as a user taking the recipe over would copy it).
func TestShownRecipesLoadAgain(t *testing.T) {
	l := hcl.NewLoader(steps.BlockKinds())
	empty := filepath.Join(t.TempDir(), "empty.hcl")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := l.Load(hcl.LoadOptions{Files: []string{empty}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, name := range hcl.RecipeNames() {
		t.Run(name, func(t *testing.T) {
			shown, err := cfg.RecipeHCL(name)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			copyRecipeFolder(t, name, dir)
			again := filepath.Join(dir, "again.hcl")
			renamed := strings.Replace(string(shown), "\nrecipe \""+name+"\" {", "\nrecipe \"shown\" {", 1)
			if err := os.WriteFile(again, []byte(renamed), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, diags := l.Load(hcl.LoadOptions{Files: []string{again}}); diags.HasErrors() {
				var out bytes.Buffer
				l.WriteDiagnostics(&out, diags, false)
				t.Errorf("recipes show %s does not load again:\n%s\n%s", name, out.String(), shown)
			}
		})
	}
}

// copyRecipeFolder copies the built-in recipe name's folder, if it has
// one, into dir.
func copyRecipeFolder(t *testing.T, name, dir string) {
	t.Helper()
	if _, err := fs.Stat(recipes.FS, name); err != nil {
		return
	}
	err := fs.WalkDir(recipes.FS, name, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := recipes.FS.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, p), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
