package tui

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/shoal-sh/shoal/plan"
)

var sizes = []struct{ w, h int }{{80, 24}, {120, 40}}

// testModel is a model with no colour and a clock the test moves.
func testModel(t *testing.T, p *plan.Plan, o Options, w, h int) (*model, *fakeClock) {
	t.Helper()
	t.Setenv("NO_COLOR", "")
	o.NoColor = true
	if o.Site == "" {
		o.Site = "dolphin"
	}
	clk := newFakeClock(0)
	m := newModel(t.Context(), p, noExecutor(t), o, &bytes.Buffer{})
	m.now = clk.now
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m, clk
}

func noExecutor(t *testing.T) Executor {
	return func(context.Context, plan.Hook, <-chan struct{}) plan.Summary {
		t.Error("executor ran in a model test")
		return plan.Summary{}
	}
}

func press(m *model, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		var msg tea.KeyMsg
		switch k {
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		case "ctrl+c":
			msg = tea.KeyMsg{Type: tea.KeyCtrlC}
		case "tab":
			msg = tea.KeyMsg{Type: tea.KeyTab}
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		case "up":
			msg = tea.KeyMsg{Type: tea.KeyUp}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		_, cmd = m.Update(msg)
	}
	return cmd
}

// approve starts the apply without running the executor's command, so
// the test feeds the hook itself.
func approve(t *testing.T, m *model) {
	t.Helper()
	if cmd := press(m, "y"); cmd == nil {
		t.Fatal("y at the review returned no command")
	}
	if m.phase != applying || !m.approved {
		t.Fatalf("after y: phase %v approved %v, want applying and approved", m.phase, m.approved)
	}
}

// requireFrame checks the view fits the screen and matches its golden file.
func requireFrame(t *testing.T, m *model) {
	t.Helper()
	view := strings.TrimSuffix(m.View(), "\n")
	lines := strings.Split(view, "\n")
	if len(lines) > m.height {
		t.Errorf("view has %d lines on a %d-line screen", len(lines), m.height)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > m.width {
			t.Errorf("line %d is %d cells on a %d-cell screen: %q", i+1, w, m.width, l)
		}
	}
	golden.RequireEqual(t, []byte(view+"\n"))
}

func forSizes(t *testing.T, f func(t *testing.T, w, h int)) {
	for _, s := range sizes {
		t.Run(fmt.Sprintf("%dx%d", s.w, s.h), func(t *testing.T) { f(t, s.w, s.h) })
	}
}

func TestReviewFrame(t *testing.T) {
	forSizes(t, func(t *testing.T, w, h int) {
		m, _ := testModel(t, applyablePlan(), Options{}, w, h)
		requireFrame(t, m)
	})
}

func TestReviewRefusesConflicts(t *testing.T) {
	m, _ := testModel(t, unreachablePlan(), Options{}, 80, 24)
	if cmd := press(m, "y"); cmd != nil || m.approved {
		t.Fatalf("y on a plan with conflicts approved it (cmd %v)", cmd)
	}
	requireFrame(t, m)
}

func TestReviewScrolls(t *testing.T) {
	m, _ := testModel(t, unreachablePlan(), Options{}, 80, 12)
	before := m.View()
	press(m, "down", "down", "down")
	if m.review.YOffset != 3 {
		t.Errorf("after three ↓ the plan is scrolled by %d lines, want 3", m.review.YOffset)
	}
	if m.View() == before {
		t.Error("scrolling did not change the view")
	}
}

func TestReviewCancelKeys(t *testing.T) {
	for _, k := range []string{"n", "q", "esc", "ctrl+c"} {
		m, _ := testModel(t, applyablePlan(), Options{}, 80, 24)
		cmd := press(m, k)
		if m.phase != cancelled || m.approved {
			t.Errorf("%s: phase %v approved %v, want cancelled, not approved", k, m.phase, m.approved)
		}
		if cmd == nil {
			t.Fatalf("%s: no command; want tea.Quit", k)
		}
		if !quits(cmd) {
			t.Errorf("%s: command does not quit", k)
		}
	}
}

func TestReviewConfirmWithEnter(t *testing.T) {
	m, _ := testModel(t, applyablePlan(), Options{}, 80, 24)
	if press(m, "enter"); !m.approved {
		t.Error("enter did not approve the plan")
	}
}

// midApply feeds the hook what a run looks like a few seconds in: files
// done, web1 relocating with progress, web2 and web3 replicating.
func midApply(m *model, clk *fakeClock) {
	p := m.plan
	h := m.hook
	h.StepStart(change(p, "files/export//srv/nas"))
	h.StepDone(change(p, "files/export//srv/nas"), nil, 300*time.Millisecond)
	clk.t = clk.t.Add(time.Second)
	h.NodeDone("files", nil)
	for _, id := range []string{"web1/fstab//etc/fstab", "web1/mount//mnt/nas"} {
		h.StepStart(change(p, id))
		h.StepDone(change(p, id), nil, 100*time.Millisecond)
	}
	relocate := change(p, "web1/relocate//var/www/dolphin/storage")
	h.StepStart(relocate)
	h.StepOutput(relocate, "copying 1204 files to /mnt/nas/dolphin/storage")
	for i := int64(1); i <= 530; i++ { // coalesced: only the last counts
		h.StepProgress(relocate, plan.Progress{Bytes: i * 52 << 10, Files: i})
	}
	for _, node := range []string{"web2", "web3"} {
		c := change(p, node+"/replicate//var/www/dolphin")
		h.StepStart(c)
		h.StepProgress(c, plan.Progress{Bytes: 150 << 20, Files: 6000})
	}
	clk.t = clk.t.Add(11 * time.Second)
	m.Update(pollMsg{})
}

func TestMidApplyFrame(t *testing.T) {
	forSizes(t, func(t *testing.T, w, h int) {
		m, clk := testModel(t, applyablePlan(), Options{}, w, h)
		approve(t, m)
		midApply(m, clk)
		requireFrame(t, m)
	})
}

func TestFailureFrame(t *testing.T) {
	forSizes(t, func(t *testing.T, w, h int) {
		m, clk := testModel(t, applyablePlan(), Options{}, w, h)
		approve(t, m)
		replayApply(m.hook, m.plan, true)
		clk.t = clk.t.Add(5 * time.Second)
		m.Update(pollMsg{})
		requireFrame(t, m)
	})
}

func TestFinalFrame(t *testing.T) {
	forSizes(t, func(t *testing.T, w, h int) {
		m, clk := testModel(t, applyablePlan(), Options{}, w, h)
		approve(t, m)
		replayApply(m.hook, m.plan, true)
		clk.t = clk.t.Add(5 * time.Second)
		_, cmd := m.Update(applyDoneMsg{summary: plan.Summary{Done: 5, Failed: 1, Skipped: 2, Elapsed: 5 * time.Second}})
		if m.phase != finished || cmd == nil {
			t.Fatalf("after the executor returned: phase %v, cmd %v; want finished and quit", m.phase, cmd)
		}
		requireFrame(t, m)
	})
}

func TestFinishedStepsArePrintedAboveTheLiveArea(t *testing.T) {
	m, _ := testModel(t, applyablePlan(), Options{}, 80, 24)
	approve(t, m)
	p := m.plan
	m.hook.StepStart(change(p, "files/export//srv/nas"))
	m.hook.StepDone(change(p, "files/export//srv/nas"), nil, 300*time.Millisecond)
	_, cmd := m.Update(pollMsg{})
	if cmd == nil {
		t.Fatal("a finished step printed nothing")
	}
	var printed []string
	collectPrints(cmd, &printed)
	want := "✓ files: export /srv/nas · 300ms"
	if len(printed) != 1 || printed[0] != want {
		t.Errorf("printed %q, want [%q]", printed, want)
	}
}

// collectPrints runs cmd and its batches, keeping what tea.Println would
// print and ignoring timers.
func collectPrints(cmd tea.Cmd, out *[]string) {
	if cmd == nil {
		return
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(50 * time.Millisecond): // a tick: not a print
		return
	}
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			collectPrints(c, out)
		}
	default:
		if s := fmt.Sprintf("%v", msg); strings.HasPrefix(fmt.Sprintf("%T", msg), "tea.printLineMessage") {
			*out = append(*out, strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}"))
		}
	}
}

func TestCtrlCStopsThenListsThenInterrupts(t *testing.T) {
	m, clk := testModel(t, applyablePlan(), Options{}, 80, 24)
	approve(t, m)
	midApply(m, clk)

	press(m, "ctrl+c")
	select {
	case <-m.stop:
	default:
		t.Fatal("first Ctrl-C did not close stop")
	}
	if m.execCtx.Err() != nil {
		t.Fatal("first Ctrl-C interrupted the running steps")
	}
	press(m, "ctrl+c")
	for _, want := range []string{"web1 relocate /var/www/dolphin/storage", "web2 replicate /var/www/dolphin", "web3 replicate"} {
		if !strings.Contains(m.notice, want) {
			t.Errorf("second Ctrl-C notice %q does not name %q", m.notice, want)
		}
	}
	if m.execCtx.Err() != nil {
		t.Fatal("second Ctrl-C interrupted the running steps")
	}
	press(m, "ctrl+c")
	if m.execCtx.Err() == nil {
		t.Error("third Ctrl-C did not interrupt the running steps")
	}
}

func TestQStopsSafely(t *testing.T) {
	m, _ := testModel(t, applyablePlan(), Options{}, 80, 24)
	approve(t, m)
	press(m, "q", "q")
	select {
	case <-m.stop:
	default:
		t.Fatal("q did not close stop")
	}
	if m.execCtx.Err() != nil {
		t.Error("q interrupted the running steps")
	}
}

func TestFailFastStopsAfterFirstFailure(t *testing.T) {
	for _, failFast := range []bool{false, true} {
		m, _ := testModel(t, applyablePlan(), Options{FailFast: failFast}, 80, 24)
		approve(t, m)
		c := change(m.plan, "web1/fstab//etc/fstab")
		m.hook.StepStart(c)
		m.hook.StepDone(c, errPermission, time.Millisecond)
		m.Update(pollMsg{})
		stopped := false
		select {
		case <-m.stop:
			stopped = true
		default:
		}
		if stopped != failFast {
			t.Errorf("FailFast %v: stopped = %v", failFast, stopped)
		}
		if row := m.byName["web1"]; row.status != failed || !strings.Contains(row.err, "Permission denied") {
			t.Errorf("web1 row: status %v err %q, want failed with the error", row.status, row.err)
		}
	}
}

func TestSelectNodeAndOpenLog(t *testing.T) {
	m, clk := testModel(t, applyablePlan(), Options{}, 80, 24)
	approve(t, m)
	midApply(m, clk)
	press(m, "down", "tab", "up") // files → web1 → web2 → web1
	if got := m.nodes[m.selected].name; got != "web1" {
		t.Fatalf("selected %s, want web1", got)
	}
	press(m, "enter")
	if !m.showLog {
		t.Fatal("enter did not open the log")
	}
	view := m.View()
	for _, want := range []string{"web1 log", "── relocate /var/www/dolphin/storage", "copying 1204 files"} {
		if !strings.Contains(view, want) {
			t.Errorf("log view lacks %q:\n%s", want, view)
		}
	}
	press(m, "esc")
	if m.showLog {
		t.Error("esc did not close the log")
	}
}

func TestHelpToggles(t *testing.T) {
	m, _ := testModel(t, applyablePlan(), Options{}, 120, 40)
	approve(t, m)
	short := m.View()
	press(m, "?")
	if full := m.View(); full == short || !strings.Contains(full, "previous node") {
		t.Errorf("? did not show full help:\n%s", full)
	}
}

func TestResizeNeverWraps(t *testing.T) {
	m, clk := testModel(t, applyablePlan(), Options{}, 120, 40)
	approve(t, m)
	midApply(m, clk)
	for _, s := range []struct{ w, h int }{{60, 10}, {40, 8}, {200, 50}, {80, 24}} {
		m.Update(tea.WindowSizeMsg{Width: s.w, Height: s.h})
		lines := strings.Split(strings.TrimSuffix(m.View(), "\n"), "\n")
		if len(lines) > s.h {
			t.Errorf("%dx%d: %d lines", s.w, s.h, len(lines))
		}
		for _, l := range lines {
			if ansi.StringWidth(l) > s.w {
				t.Errorf("%dx%d: line wider than the screen: %q", s.w, s.h, l)
			}
		}
	}
}

func TestManyNodesScrollWithSelection(t *testing.T) {
	p := &plan.Plan{Version: plan.PlanVersion}
	for i := 1; i <= 30; i++ {
		node := fmt.Sprintf("web%02d", i)
		p.Nodes = append(p.Nodes, &plan.NodeState{Name: node})
		p.Changes = append(p.Changes, &plan.Change{ID: node + "/purge//c", Node: node, Kind: "purge", Target: "/c", Action: plan.Delete})
	}
	m, _ := testModel(t, p, Options{}, 80, 24)
	approve(t, m)
	for range 25 {
		press(m, "down")
	}
	view := m.View()
	if !strings.Contains(view, "› · web26") || !strings.Contains(view, "more (↑/↓)") {
		t.Errorf("selected web26 is not visible or hidden rows not counted:\n%s", view)
	}
}

func TestHookNeverBlocksAndCoalescesProgress(t *testing.T) {
	h := newLiveHook()
	c := change(applyablePlan(), "web2/replicate//var/www/dolphin")
	begin := time.Now()
	for i := range int64(1_000_000) {
		h.StepProgress(c, plan.Progress{Bytes: i})
	}
	if took := time.Since(begin); took > 2*time.Second {
		t.Errorf("a million progress reports took %v", took)
	}
	_, progress := h.drain()
	if len(progress) != 1 || progress[c.ID].Bytes != 999_999 {
		t.Errorf("drained progress %v, want only the latest", progress)
	}
}

func TestReviewFullHelpStillFits(t *testing.T) {
	m, _ := testModel(t, unreachablePlan(), Options{}, 80, 24)
	press(m, "?")
	if !m.help.ShowAll {
		t.Fatal("? did not open the full help")
	}
	if n := strings.Count(strings.TrimSuffix(m.View(), "\n"), "\n") + 1; n > 24 {
		t.Errorf("review with full help is %d lines on a 24-line screen", n)
	}
}

// quits reports whether cmd, or a command it sequences or batches, quits.
func quits(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	msg := cmd()
	if _, ok := msg.(tea.QuitMsg); ok {
		return true
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice {
		for i := range v.Len() {
			if c, ok := v.Index(i).Interface().(tea.Cmd); ok && quits(c) {
				return true
			}
		}
	}
	return false
}

func TestMidApplyFrameInColour(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	clk := newFakeClock(0)
	m := newModel(t.Context(), applyablePlan(), noExecutor(t), Options{Site: "dolphin"}, &bytes.Buffer{})
	m.now = clk.now
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	approve(t, m)
	midApply(m, clk)
	if !strings.Contains(m.View(), "\x1b[") {
		t.Fatal("colour requested but the view has no escape sequences")
	}
	requireFrame(t, m)
}

func TestNoColorEnvTurnsColourOff(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	m := newModel(t.Context(), applyablePlan(), noExecutor(t), Options{}, &bytes.Buffer{})
	if view := m.View(); strings.Contains(view, "\x1b[") {
		t.Errorf("NO_COLOR set but the view has escape sequences:\n%q", view)
	}
}

func TestNodeKeepsItsFailureWhenLaterStepsSucceed(t *testing.T) {
	m, _ := testModel(t, applyablePlan(), Options{}, 80, 24)
	approve(t, m)
	p := m.plan
	fstab, relocate := change(p, "web1/fstab//etc/fstab"), change(p, "web1/relocate//var/www/dolphin/storage")
	m.hook.StepStart(fstab)
	m.hook.StepDone(fstab, errPermission, time.Millisecond)
	m.hook.StepStart(relocate) // independent of fstab in this test
	m.hook.StepDone(relocate, nil, time.Millisecond)
	m.hook.NodeDone("web1", nil)
	m.Update(pollMsg{})
	if row := m.byName["web1"]; row.status != failed {
		t.Errorf("web1 status %v after a failed step, want failed", row.status)
	}
}

func TestStoppedRunSaysWhatNeverStarted(t *testing.T) {
	m, _ := testModel(t, applyablePlan(), Options{}, 80, 24)
	approve(t, m)
	press(m, "q")
	m.Update(applyDoneMsg{summary: plan.Summary{Stopped: true}})
	view := m.View()
	if !strings.Contains(view, "web2   not started · 2 steps") || !strings.Contains(view, "Apply stopped:") {
		t.Errorf("final view of a stopped run:\n%s", view)
	}
}

func TestOpenLogFollowsNewOutput(t *testing.T) {
	m, clk := testModel(t, applyablePlan(), Options{}, 80, 10)
	approve(t, m)
	midApply(m, clk)
	press(m, "down", "enter") // web1's log
	relocate := change(m.plan, "web1/relocate//var/www/dolphin/storage")
	for i := range 30 {
		m.hook.StepOutput(relocate, fmt.Sprintf("copied batch %d", i))
	}
	m.Update(pollMsg{})
	if view := m.View(); !strings.Contains(view, "copied batch 29") {
		t.Errorf("the open log does not follow new output:\n%s", view)
	}
}
