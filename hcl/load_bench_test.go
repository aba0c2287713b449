package hcl

import (
	"fmt"
	"github.com/shoal-sh/shoal/steps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkLoad100Nodes loads a 100-web-node Dolphin cluster, the size
// the 100-node plan target is measured on.
func BenchmarkLoad100Nodes(b *testing.B) {
	var src strings.Builder
	src.WriteString("node \"files\" { host = \"10.1.0.5\" }\n")
	var names []string
	for i := 1; i <= 100; i++ {
		fmt.Fprintf(&src, "node \"web%d\" {\n  host = \"10.1.1.%d\"\n  roles = [\"web\"]\n}\n", i, i)
		names = append(names, fmt.Sprintf("%q", fmt.Sprintf("web%d", i)))
	}
	fmt.Fprintf(&src, `storage "nas" {
  type   = "nfs"
  server = "files"
  export = "/srv/nas"
  mount  = "/mnt/nas"
}
site "community" {
  recipe  = "dolphin"
  root    = "/var/www/dolphin"
  primary = "web1"
  nodes   = [%s]
  storage = "nas"
  owner   = "www-data"
}
`, strings.Join(names, ", "))
	file := filepath.Join(b.TempDir(), "cluster.hcl")
	if err := os.WriteFile(file, []byte(src.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, diags := NewLoader(steps.BlockKinds()).Load(LoadOptions{Files: []string{file}}); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}
