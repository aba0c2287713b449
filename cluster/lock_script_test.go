package cluster

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/shell"
)

// TestLockScriptsGolden keeps the lock's scripts in testdata/scripts,
// which scripts/test.sh hands to shellcheck.
func TestLockScriptsGolden(t *testing.T) {
	for name, script := range map[string]string{
		"lock": shell.Script(lockBody, shell.Bind("d", DefaultLockDir), shell.Bind("force", "false"),
			shell.Bind("token", "0123abcd"), shell.Bind("holder", "root@laptop pid 42 since 2026-12-01T00:00:00Z")),
		"release": shell.Script(releaseBody, shell.Bind("d", DefaultLockDir), shell.Bind("token", "0123abcd")),
	} {
		file := filepath.Join("testdata", "scripts", name+".sh")
		got := "#!/bin/sh\n" + script
		if *update {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (rerun with -update)", err)
		}
		if d := cmp.Diff(string(want), got); d != "" {
			t.Errorf("%s (-want +got):\n%s", file, d)
		}
	}
}
