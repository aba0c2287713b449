package steps

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files in testdata")
	}
}

// relocateGoldenUpdate reports whether the run was asked (-update) to
// rewrite golden files.
func relocateGoldenUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// TestRelocateScriptsGolden keeps every state's script in
// testdata/relocate/<state>.sh, so a change to what runs on the nodes
// shows in review.
func TestRelocateScriptsGolden(t *testing.T) {
	s := &Relocate{NodeName: "web1", Site: "community", Root: "/var/www/it's dolphin", Dir: "media",
		Shared: "/mnt/nas/community/media", Mount: "/mnt/nas"}
	for state := relocRename; state <= relocMerge; state++ {
		t.Run(state.String(), func(t *testing.T) {
			got := s.script(state, "20260101-000000")
			file := filepath.Join("testdata", "relocate", state.String()+".sh")
			if relocateGoldenUpdate() {
				failOn(t, os.MkdirAll(filepath.Dir(file), 0o755))
				failOn(t, os.WriteFile(file, []byte(got), 0o644))
			}
			want, err := os.ReadFile(file)
			failOn(t, err)
			if d := cmp.Diff(string(want), got); d != "" {
				t.Errorf("%s (-want +got), rerun with -update if intended:\n%s", file, d)
			}
		})
	}
}
