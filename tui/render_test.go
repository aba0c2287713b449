package tui

import (
	"bytes"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/shoal-sh/shoal/plan"
)

func TestRenderPlan(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	tests := []struct {
		name string
		plan *plan.Plan
		opts RenderOptions
	}{
		{"conflict", dolphinPlan(), RenderOptions{NoColor: true}},
		{"unreachable", unreachablePlan(), RenderOptions{NoColor: true}},
		{"no_changes", noChangePlan(), RenderOptions{NoColor: true}},
		{"joined_errors", joinedErrorPlan(), RenderOptions{NoColor: true}},
		{"narrow", dolphinPlan(), RenderOptions{NoColor: true, Width: 40}},
		{"color", dolphinPlan(), RenderOptions{}},
		{"note", notePlan(), RenderOptions{NoColor: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			RenderPlan(&b, tt.plan, tt.opts)
			golden.RequireEqual(t, b.Bytes())
		})
	}
}

func TestRenderPlanHonoursNoColorEnv(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	var b bytes.Buffer
	RenderPlan(&b, dolphinPlan(), RenderOptions{})
	if bytes.Contains(b.Bytes(), []byte("\x1b[")) {
		t.Errorf("NO_COLOR set but output has escape sequences:\n%q", b.String())
	}
}

func TestPlanSummary(t *testing.T) {
	tests := []struct {
		name string
		plan *plan.Plan
		want string
	}{
		{"conflict", dolphinPlan(), "Plan: 5 to create, 1 to change, 1 to delete, 1 conflict."},
		{"unreachable", unreachablePlan(), "Plan: 5 to create, 1 to change, 1 to delete, 1 conflict, 1 node not read."},
		{"none", noChangePlan(), "No changes. The hosts match the configuration."},
	}
	for _, tt := range tests {
		if got := planSummary(tt.plan); got != tt.want {
			t.Errorf("%s: planSummary = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// notePlan changes nothing, but a check has something to say: declared
// folders missing on the primary.
func notePlan() *plan.Plan {
	return &plan.Plan{
		Version: plan.PlanVersion,
		Nodes:   []*plan.NodeState{{Name: "web1"}, {Name: "web2"}},
		Changes: []*plan.Change{
			{ID: "web1/site-root/var/www/dolphin", Node: "web1", Kind: "site-root", Target: "/var/www/dolphin", Action: plan.NoOp,
				Reason:  "/var/www/dolphin holds the installed site; a declared folder is missing",
				Details: []string{"missing on web1: cache_dir modules/acme/gallery/cache (replicas mirror the primary: none gets one)"}},
			{ID: "web2/replicate/var/www/dolphin", Node: "web2", Kind: "replicate", Target: "/var/www/dolphin", Action: plan.NoOp,
				Reason: "tree equals web1's (1,204 files)"},
		},
	}
}
