package hcl

import (
	"github.com/shoal-sh/shoal/block"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRecipeNames(t *testing.T) {
	if diff := cmp.Diff([]string{"aegir", "aegir-platforms", "dolphin", "drupal", "expressionengine", "ezplatform", "wordpress"}, RecipeNames()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestRecipeHCLGolden prints a user recipe and a site's view of its
// recipe; the output must itself load as a recipe.
func TestRecipeHCLGolden(t *testing.T) {
	cfg := loadOK(t, LoadOptions{Dir: "testdata/load", Vars: map[string]string{"db_password": "x"}})
	tests := []struct {
		name string
		want []*block.Decl
	}{
		{"gallery", cfg.Recipes["gallery"].BlocksOf("dynamic_dir")},
		{"shop", cfg.Site("shop").BlocksOf("dynamic_dir")},
	}
	for _, tt := range tests {
		name := tt.name
		t.Run(name, func(t *testing.T) {
			got, err := cfg.RecipeHCL(name)
			if err != nil {
				t.Fatal(err)
			}
			golden := "testdata/show/" + name + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./hcl -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			reloaded := filepath.Join(t.TempDir(), "recipe.hcl")
			if err := os.WriteFile(reloaded, got, 0o644); err != nil {
				t.Fatal(err)
			}
			again := loadOK(t, LoadOptions{Files: []string{reloaded}})
			if diff := cmp.Diff(sharedOf(tt.want), sharedOf(again.Recipes["gallery"].BlocksOf("dynamic_dir"))); diff != "" {
				t.Errorf("reloaded recipe's dynamic dirs (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := cfg.RecipeHCL("nope"); err == nil {
		t.Error("RecipeHCL of an unknown name succeeded")
	}
}

// sharedOf maps each dynamic_dir to where it is shared.
func sharedOf(dirs []*block.Decl) map[string]string {
	out := map[string]string{}
	for _, d := range dirs {
		out[d.Label] = d.Label
		if d.Known("shared") {
			out[d.Label] = d.String("shared")
		}
	}
	return out
}
