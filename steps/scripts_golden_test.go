package steps

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

// goldenScript compares a script with testdata/scripts/<kind>/<state>.sh
// (rewritten with -update). Every golden there is also checked by
// shellcheck in scripts/test.sh, so each kind's scripts are reviewed as
// shell, per state.
func goldenScript(t *testing.T, kind, state, got string) {
	t.Helper()
	file := filepath.Join("testdata", "scripts", kind, state+".sh")
	if relocateGoldenUpdate() {
		failOn(t, os.MkdirAll(filepath.Dir(file), 0o755))
		failOn(t, os.WriteFile(file, []byte("#!/bin/sh\n"+got), 0o644))
	}
	want, err := os.ReadFile(file)
	failOn(t, err)
	if d := cmp.Diff(string(want), "#!/bin/sh\n"+got); d != "" {
		t.Errorf("%s (-want +got), rerun with -update if intended:\n%s", file, d)
	}
}

// planOn diffs s against what its Local host holds now.
func planOn(t *testing.T, s Step, h transport.Host) *plan.Change {
	t.Helper()
	c, err := s.Diff(context.Background(), facts.NewSet(map[string]transport.Host{h.Name(): h}))
	failOn(t, err)
	return c
}

// applyThenReplan carries c out as the runner would (a Scripter's change
// as its one script), then plans again: the step must have nothing left
// to do, which the caller checks.
func applyThenReplan(t *testing.T, s Applier, h transport.Host, c *plan.Change) *plan.Change {
	t.Helper()
	if sc, ok := s.(Scripter); ok {
		if script := sc.ApplyScript(c); script != "" {
			failOn(t, h.Run(context.Background(), transport.Command{Script: script}))
			return planOn(t, s, h)
		}
	}
	failOn(t, s.Apply(context.Background(), h, c, &recorder{}))
	return planOn(t, s, h)
}
