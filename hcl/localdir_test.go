package hcl

import (
	"github.com/shoal-sh/shoal/steps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func loadString(t *testing.T, src string) (*Config, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "c.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	l := NewLoader(steps.BlockKinds())
	cfg, diags := l.Load(LoadOptions{Dir: dir})
	var b strings.Builder
	if err := l.WriteDiagnostics(&b, diags, false); err != nil {
		t.Fatal(err)
	}
	return cfg, b.String()
}

const localDirSite = `
node "web1" {}
storage "nas" {
  type  = "mounted"
  mount = "/mnt/nas"
}
recipe "app" {
  dynamic_dir "uploads" {}
  local_dir "var/log" {}
}
site "s" {
  recipe  = "app"
  root    = "/var/www/s"
  primary = "web1"
  nodes   = ["web1"]
  storage = "nas"
  %s
}
`

func TestLocalDirsComeFromRecipeAndSite(t *testing.T) {
	cfg, diags := loadString(t, strings.Replace(localDirSite, "%s", `local_dir "modules/x/logs" {}`, 1))
	if cfg == nil {
		t.Fatalf("load failed:\n%s", diags)
	}
	var got []string
	for _, l := range cfg.Sites[0].BlocksOf("local_dir") {
		got = append(got, l.Label)
	}
	if d := cmp.Diff([]string{"var/log", "modules/x/logs"}, got); d != "" {
		t.Error(d)
	}
	show, err := cfg.RecipeHCL("s")
	if err != nil || !strings.Contains(string(show), `local_dir "modules/x/logs" {}`) {
		t.Errorf("recipes show lacks the site's local_dir (%v):\n%s", err, show)
	}
}

func TestLocalDirMustNotOverlapDynamicOrCache(t *testing.T) {
	for _, add := range []string{`local_dir "uploads/logs" {}`, "cache_dir \"var\" {}"} {
		cfg, diags := loadString(t, strings.Replace(localDirSite, "%s", add, 1))
		if cfg != nil || !strings.Contains(diags, "c.hcl:") || !strings.Contains(diags, "local_dir") {
			t.Errorf("%s: want an error naming the local_dir at file:line, got:\n%s", add, diags)
		}
	}
}
