package tui

import (
	"context"
	"fmt"
	"io"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/shoal-sh/shoal/plan"
)

// Options steer the interactive UI.
type Options struct {
	Site     string    // shown in the header
	NoColor  bool      // --no-color; NO_COLOR is honoured as well
	FailFast bool      // stop starting steps after the first failure
	In       io.Reader // keys; default os.Stdin (never /dev/tty)
	Out      io.Writer // screen; default os.Stdout
}

// Result is what the operator decided and what the apply did.
type Result struct {
	Approved bool
	Summary  plan.Summary
}

// Executor runs the approved plan, reporting to hook. When stop is closed
// it starts nothing new and lets the operations in flight finish; when ctx
// ends it interrupts them.
type Executor func(ctx context.Context, hook plan.Hook, stop <-chan struct{}) plan.Summary

// maxFPS caps redraws: the screen changes ~15 times a second at most.
const maxFPS = 20

// Run shows p for review; on y/Enter it runs exec and shows the apply live
// until exec returns. n, q or Esc at the review returns without approval.
// A plan without changes is printed and not offered for approval. Callers
// cancel ctx on SIGINT/SIGTERM: at the review that cancels, during the
// apply exec sees it.
func Run(ctx context.Context, p *plan.Plan, exec Executor, o Options) (Result, error) {
	in, out := o.In, o.Out
	if in == nil {
		in = os.Stdin
	}
	if out == nil {
		out = os.Stdout
	}
	if !p.HasChanges() {
		RenderPlan(out, p, RenderOptions{NoColor: o.NoColor})
		return Result{}, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	m := newModel(ctx, p, exec, o, out)
	// An explicit input keeps bubbletea from opening /dev/tty when stdin
	// is not a terminal; signals are the caller's, through ctx.
	prog := tea.NewProgram(m, tea.WithInput(in), tea.WithOutput(out), tea.WithoutSignalHandler(), tea.WithFPS(maxFPS))
	_, err := prog.Run()
	if err != nil {
		m.abandon()
		return Result{Approved: m.approved, Summary: m.summary}, fmt.Errorf("running the terminal UI: %w", err)
	}
	return Result{Approved: m.approved, Summary: m.summary}, nil
}
