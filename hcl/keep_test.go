package hcl

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A cache_dir's or local_dir's keep names top-level entries shipped with
// the code; recipes show prints it back.
func TestKeepOnCacheAndLocalDirs(t *testing.T) {
	cfg, diags := loadString(t, strings.Replace(localDirSite, "%s", `cache_dir "cache" {
    keep = ["index.html", "[x].txt"]
  }
  local_dir "modules/x/logs" {
    keep = ["README"]
  }
  follow_root_link = true`, 1))
	if cfg == nil {
		t.Fatalf("load failed:\n%s", diags)
	}
	s := cfg.Sites[0]
	if d := cmp.Diff([]string{"index.html", "[x].txt"}, s.BlocksOf("cache_dir")[0].Strings("keep")); d != "" {
		t.Errorf("cache keep (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"README"}, s.BlocksOf("local_dir")[1].Strings("keep")); d != "" {
		t.Errorf("local keep (-want +got):\n%s", d)
	}
	if !s.FollowRootLink {
		t.Error("follow_root_link = true was not read")
	}
	show, err := cfg.RecipeHCL("s")
	if err != nil || !strings.Contains(string(show), `cache_dir "cache" { keep = ["index.html", "[x].txt"] }`) ||
		!strings.Contains(string(show), `local_dir "modules/x/logs" { keep = ["README"] }`) {
		t.Errorf("recipes show lacks the keep lists (%v):\n%s", err, show)
	}
}

func TestKeepNamesOneEntry(t *testing.T) {
	for _, keep := range []string{`["a/b"]`, `[".."]`, `[""]`, `["x\ny"]`} {
		cfg, diags := loadString(t, strings.Replace(localDirSite, "%s", `cache_dir "cache" {
    keep = `+keep+`
  }`, 1))
		if cfg != nil || !strings.Contains(diags, "c.hcl:18") || !strings.Contains(diags, "Invalid keep name") {
			t.Errorf("keep = %s: want an error at c.hcl:18, got:\n%s", keep, diags)
		}
	}
}
