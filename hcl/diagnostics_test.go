package hcl

import (
	"bytes"
	"flag"
	"github.com/shoal-sh/shoal/steps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files from the current output")

// TestDiagnosticsGolden loads each testdata/diags/*.hcl on its own and
// compares the diagnostics text, as `shoal validate` prints it, with the
// .golden file next to it.
func TestDiagnosticsGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/diags/*.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no inputs in testdata/diags")
	}
	for _, input := range inputs {
		t.Run(strings.TrimSuffix(filepath.Base(input), ".hcl"), func(t *testing.T) {
			l := NewLoader(steps.BlockKinds())
			cfg, diags := l.Load(LoadOptions{Files: []string{input}})
			if !diags.HasErrors() {
				t.Fatalf("loaded without errors; every input here must fail")
			}
			if cfg != nil {
				t.Errorf("Load returned a Config along with errors")
			}
			var out bytes.Buffer
			if err := l.WriteDiagnostics(&out, diags, false); err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(input, ".hcl") + ".golden"
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./hcl -update)", err)
			}
			if diff := cmp.Diff(string(want), out.String()); diff != "" {
				t.Errorf("diagnostics differ from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}
