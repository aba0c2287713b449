package hcl

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-sh/shoal/steps"
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

// BenchmarkLoadDynamicDirs loads a site with 1,000, 4,000 and 16,000
// dynamic_dir blocks: validation must stay linear in the number of
// blocks, so ns/block stays about the same across the sizes (it once
// compared every pair: 6.3 s for 10,000).
func BenchmarkLoadDynamicDirs(b *testing.B) {
	for _, n := range []int{1000, 4000, 16000} {
		b.Run(fmt.Sprintf("blocks=%d", n), func(b *testing.B) {
			var src strings.Builder
			src.WriteString("node \"web1\" {\n  host = \"10.1.1.1\"\n}\n")
			src.WriteString("storage \"nas\" {\n  type  = \"mounted\"\n  mount = \"/mnt/nas\"\n}\n")
			src.WriteString("site \"big\" {\n  root    = \"/var/www/big\"\n  primary = \"web1\"\n  nodes   = [\"web1\"]\n  storage = \"nas\"\n")
			for i := range n {
				fmt.Fprintf(&src, "  dynamic_dir \"data/d%03d/u%d\" {}\n", i%997, i)
			}
			src.WriteString("}\n")
			file := filepath.Join(b.TempDir(), "cluster.hcl")
			if err := os.WriteFile(file, []byte(src.String()), 0o644); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, diags := NewLoader(steps.BlockKinds()).Load(LoadOptions{Files: []string{file}}); diags.HasErrors() {
					b.Fatal(diags)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/block")
		})
	}
}
