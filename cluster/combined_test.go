package cluster

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

type lines struct {
	mu  sync.Mutex
	out map[string][]string
}

type lineReporter struct {
	l  *lines
	id string
}

func (r lineReporter) Progress(plan.Progress) {}
func (r lineReporter) Output(line string) {
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	r.l.out[r.id] = append(r.l.out[r.id], line)
}

func TestRunCombinedKeepsEachScriptApart(t *testing.T) {
	cs := []*plan.Change{
		{ID: "n/a", Node: "n", Kind: "perms", Target: "/a"},
		{ID: "n/b", Node: "n", Kind: "purge", Target: "/b"},
		{ID: "n/c", Node: "n", Kind: "perms", Target: "/c"},
	}
	scripts := []string{
		"set -e\necho one\necho two",
		"set -e\necho trying\nfalse\necho never",
		"exit 0",
	}
	l := &lines{out: map[string][]string{}}
	errs := runCombined(context.Background(), &transport.Local{NodeName: "n"}, scripts, cs,
		func(c *plan.Change) plan.Reporter { return lineReporter{l, c.ID} })
	if errs[0] != nil || errs[2] != nil {
		t.Errorf("scripts that pass must report no error: %v", errs)
	}
	if errs[1] == nil || !strings.Contains(errs[1].Error(), "purge /b on n: exit status 1: trying") {
		t.Errorf("the failing script's error must name it and show its output: %v", errs[1])
	}
	want := map[string][]string{"n/a": {"one", "two"}, "n/b": {"trying"}}
	if d := cmp.Diff(want, l.out); d != "" {
		t.Errorf("output routing (-want +got):\n%s", d)
	}
}

// A line that is only the marker, or a marker cut short, is output like
// any other: it must not crash the apply or end a step.
func TestRunCombinedSurvivesBrokenMarkers(t *testing.T) {
	cs := []*plan.Change{{ID: "n/a", Node: "n", Kind: "perms", Target: "/a"}}
	m := string(stepMarker)
	script := "printf '%s\\n' '" + m + "' '" + m + " ' '" + m + " end' '" + m + " end x' '" + m + " begin'\necho still here"
	l := &lines{out: map[string][]string{}}
	errs := runCombined(context.Background(), &transport.Local{NodeName: "n"}, []string{script}, cs,
		func(c *plan.Change) plan.Reporter { return lineReporter{l, c.ID} })
	if errs[0] != nil {
		t.Errorf("the script succeeded; got %v", errs[0])
	}
	if got := l.out["n/a"]; len(got) == 0 || got[len(got)-1] != "still here" {
		t.Errorf("output after the broken markers was lost: %q", got)
	}
}
