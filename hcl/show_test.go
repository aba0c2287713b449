package hcl

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRecipeNames(t *testing.T) {
	if diff := cmp.Diff([]string{"dolphin"}, RecipeNames()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestRecipeHCLGolden prints a user recipe and a site's view of its
// recipe; the output must itself load as a recipe.
func TestRecipeHCLGolden(t *testing.T) {
	cfg := loadOK(t, LoadOptions{Dir: "testdata/load", Vars: map[string]string{"db_password": "x"}})
	tests := []struct {
		name string
		want []DynamicDir
	}{
		{"gallery", cfg.Recipes["gallery"].DynamicDirs},
		{"shop", cfg.Site("shop").DynamicDirs},
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
			if diff := cmp.Diff(tt.want, again.Recipes["gallery"].DynamicDirs, ignoreRanges); diff != "" {
				t.Errorf("reloaded recipe's dynamic dirs (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := cfg.RecipeHCL("nope"); err == nil {
		t.Error("RecipeHCL of an unknown name succeeded")
	}
}
