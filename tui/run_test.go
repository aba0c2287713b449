package tui

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/shoal-sh/shoal/plan"
)

// scriptedExecutor replays a whole apply through the hook.
func scriptedExecutor(p *plan.Plan, fail bool, ran *atomic.Int32) Executor {
	return func(_ context.Context, hook plan.Hook, _ <-chan struct{}) plan.Summary {
		ran.Add(1)
		replayApply(hook, p, fail)
		if fail {
			return plan.Summary{Done: 5, Failed: 1, Skipped: 2, Elapsed: 5 * time.Second}
		}
		return plan.Summary{Done: 7, Elapsed: 5 * time.Second}
	}
}

// stoppableExecutor starts web1's relocate, reports progress, then waits
// for the operator to stop and lets it finish, as the real executor does.
func stoppableExecutor(p *plan.Plan) Executor {
	return func(ctx context.Context, hook plan.Hook, stop <-chan struct{}) plan.Summary {
		c := change(p, "web1/relocate//var/www/dolphin/storage")
		hook.StepStart(c)
		hook.StepProgress(c, plan.Progress{Bytes: 27 << 20, Files: 530})
		select {
		case <-stop:
		case <-ctx.Done():
		}
		hook.StepDone(c, nil, 2*time.Second)
		hook.NodeDone("web1", nil)
		for _, n := range []string{"files", "web2", "web3"} {
			hook.NodeDone(n, plan.ErrSkipped)
		}
		return plan.Summary{Done: 1, Skipped: 6, Stopped: true, Elapsed: 2 * time.Second}
	}
}

func TestRunAppliesOnYes(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	p := applyablePlan()
	var ran atomic.Int32
	var out bytes.Buffer
	before := openTTYs(t)
	res, err := Run(t.Context(), p, scriptedExecutor(p, false, &ran), Options{Site: "dolphin", In: strings.NewReader("y"), Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Approved || ran.Load() != 1 || res.Summary.Done != 7 {
		t.Errorf("Run = %+v, executor ran %d times; want approved, ran once, 7 done", res, ran.Load())
	}
	for _, want := range []string{"✓ web2: replicate /var/www/dolphin", "Apply complete: 7 done, 0 failed, 0 skipped in 5.0s."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("screen lacks %q", want)
		}
	}
	if after := openTTYs(t); len(after) > len(before) {
		t.Errorf("Run opened a terminal: before %v, after %v", before, after)
	}
}

func TestRunCancelChangesNothing(t *testing.T) {
	for _, input := range []string{"n", "q", "\x1b"} {
		p := applyablePlan()
		var ran atomic.Int32
		res, err := Run(t.Context(), p, scriptedExecutor(p, false, &ran), Options{NoColor: true, In: strings.NewReader(input), Out: io.Discard})
		if err != nil {
			t.Fatalf("%q: %v", input, err)
		}
		if res.Approved || ran.Load() != 0 {
			t.Errorf("%q: approved %v, executor ran %d times; want neither", input, res.Approved, ran.Load())
		}
	}
}

func TestRunWithPipedStdinOpensNoTTY(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := applyablePlan()
	var ran atomic.Int32
	before := openTTYs(t)
	go func() {
		w.WriteString("n")
		w.Close()
	}()
	if _, err := Run(t.Context(), p, scriptedExecutor(p, false, &ran), Options{NoColor: true, In: r, Out: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if after := openTTYs(t); len(after) > len(before) {
		t.Errorf("Run opened a terminal: before %v, after %v", before, after)
	}
}

func TestRunCancelledContextAtReview(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	pr, pw := io.Pipe() // no key ever arrives
	defer pw.Close()
	p := applyablePlan()
	var ran atomic.Int32
	res, err := Run(ctx, p, scriptedExecutor(p, false, &ran), Options{NoColor: true, In: pr, Out: io.Discard})
	if err != nil || res.Approved || ran.Load() != 0 {
		t.Errorf("Run after cancel = %+v, %v, ran %d; want not approved, nothing run", res, err, ran.Load())
	}
}

func TestRunWithoutChangesPrintsThePlan(t *testing.T) {
	var out bytes.Buffer
	var ran atomic.Int32
	res, err := Run(t.Context(), noChangePlan(), scriptedExecutor(noChangePlan(), false, &ran), Options{NoColor: true, In: strings.NewReader("y"), Out: &out})
	if err != nil || res.Approved || ran.Load() != 0 {
		t.Errorf("Run = %+v, %v, ran %d; want not approved, nothing run", res, err, ran.Load())
	}
	if !strings.Contains(out.String(), "No changes.") {
		t.Errorf("output %q lacks No changes.", out.String())
	}
}

// teaModel is a model for teatest with a clock that stands still.
func teaModel(t *testing.T, p *plan.Plan, exec Executor) *model {
	t.Setenv("NO_COLOR", "")
	m := newModel(t.Context(), p, exec, Options{Site: "dolphin", NoColor: true}, io.Discard)
	m.now = newFakeClock(0).now
	return m
}

func TestTeaApplyWithFailure(t *testing.T) {
	forSizes(t, func(t *testing.T, w, h int) {
		p := applyablePlan()
		var ran atomic.Int32
		tm := teatest.NewTestModel(t, teaModel(t, p, scriptedExecutor(p, true, &ran)), teatest.WithInitialTermSize(w, h))
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("Apply these changes?")) },
			teatest.WithDuration(3*time.Second))
		tm.Type("y")
		final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*model)
		if !final.approved || final.phase != finished || final.summary.Failed != 1 {
			t.Errorf("final model: approved %v phase %v summary %+v", final.approved, final.phase, final.summary)
		}
		requireFrame(t, final)
	})
}

func TestTeaStopMidApply(t *testing.T) {
	p := applyablePlan()
	tm := teatest.NewTestModel(t, teaModel(t, p, stoppableExecutor(p)), teatest.WithInitialTermSize(80, 24))
	tm.Type("y")
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("27 MiB/61 MiB")) },
		teatest.WithDuration(3*time.Second))
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*model)
	if !final.summary.Stopped || final.execCtx.Err() != nil {
		t.Errorf("after Ctrl-C: summary %+v, interrupted %v; want stopped safely", final.summary, final.execCtx.Err())
	}
	golden.RequireEqual(t, []byte(final.View()))
}

func TestRunLeavesThePlanOnScreen(t *testing.T) {
	for _, input := range []string{"y", "n"} {
		p := applyablePlan()
		var ran atomic.Int32
		var out bytes.Buffer
		if _, err := Run(t.Context(), p, scriptedExecutor(p, false, &ran), Options{NoColor: true, In: strings.NewReader(input), Out: &out}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "Plan: 5 to create, 1 to change, 1 to delete.") {
			t.Errorf("%q: the plan is not left on screen:\n%s", input, out.String())
		}
	}
}
