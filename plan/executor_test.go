package plan

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type recorder struct {
	mu      sync.Mutex
	started []string
	done    map[string]string // id → "ok" | "skipped" | error text
	nodes   map[string]string
	summary Summary
}

func newRecorder() *recorder {
	return &recorder{done: map[string]string{}, nodes: map[string]string{}}
}

func (r *recorder) StepStart(c *Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = append(r.started, c.ID)
}
func (r *recorder) StepProgress(*Change, Progress) {}
func (r *recorder) StepOutput(*Change, string)     {}
func (r *recorder) StepDone(c *Change, err error, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case err == nil:
		r.done[c.ID] = "ok"
	case errors.Is(err, ErrSkipped):
		r.done[c.ID] = "skipped"
	default:
		r.done[c.ID] = "failed"
	}
}
func (r *recorder) NodeDone(node string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nodes[node] = "ok"
	if err != nil {
		r.nodes[node] = err.Error()
	}
}
func (r *recorder) Summary(s Summary) { r.summary = s }

func ch(id, node string, a Action, after ...string) *Change {
	return &Change{ID: id, Node: node, Kind: "k", Target: id, Action: a, After: after}
}

// runnerFailing fails the named changes and records the peak of concurrent units.
func runnerFailing(fail map[string]bool, peak *int) Runner {
	var mu sync.Mutex
	cur := 0
	return func(ctx context.Context, cs []*Change, _ func(*Change) Reporter) []error {
		mu.Lock()
		cur++
		if cur > *peak {
			*peak = cur
		}
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		cur--
		mu.Unlock()
		errs := make([]error, len(cs))
		for i, c := range cs {
			if fail[c.ID] {
				errs[i] = errors.New("boom")
			}
		}
		return errs
	}
}

func TestExecuteOrdersAndPropagatesFailures(t *testing.T) {
	p := &Plan{Changes: []*Change{
		ch("files/export", "files", Create),
		ch("web1/mount", "web1", Create, "files/export"),
		ch("web2/mount", "web2", Create, "files/export"),
		ch("web1/relocate", "web1", Create, "web1/mount"),
		ch("web2/noop", "web2", NoOp),
		ch("web2/replicate", "web2", Update, "web2/mount", "web1/relocate"),
		ch("web3/replicate", "web3", Update, "web1/relocate"),
		ch("web2/link", "web2", Create, "web2/replicate"),
		ch("web3/link", "web3", Create, "web3/replicate"),
		ch("web4/conflict", "web4", Conflict),
	}}
	for _, c := range p.Changes {
		if c.ID == "web2/replicate" || c.ID == "web3/replicate" {
			c.Batch = "replicate/site"
		}
	}
	rec := newRecorder()
	peak := 0
	s := Execute(context.Background(), p, runnerFailing(map[string]bool{"web2/mount": true}, &peak), rec, ExecOptions{Parallel: 2})
	want := map[string]string{
		"files/export":   "ok",
		"web1/mount":     "ok",
		"web2/mount":     "failed",
		"web1/relocate":  "ok",
		"web2/replicate": "skipped", // its own mount failed
		"web3/replicate": "ok",      // the rest of the batch still runs
		"web2/link":      "skipped",
		"web3/link":      "ok",
	}
	if d := cmp.Diff(want, rec.done); d != "" {
		t.Errorf("outcomes (-want +got):\n%s", d)
	}
	if s.Done != 5 || s.Failed != 1 || s.Skipped != 2 {
		t.Errorf("summary %+v", s)
	}
	if peak > 2 {
		t.Errorf("ran %d units at once with Parallel 2", peak)
	}
	if rec.nodes["web3"] != "ok" || rec.nodes["web2"] == "ok" {
		t.Errorf("node outcomes: %v", rec.nodes)
	}
	if len(s.Failures) != 1 || s.Failures[0].Node != "web2" {
		t.Errorf("failures: %+v", s.Failures)
	}
}

func TestExecuteRunsABatchAsOneUnit(t *testing.T) {
	p := &Plan{Changes: []*Change{
		{ID: "a/r", Node: "a", Action: Update, Batch: "b"},
		{ID: "b/r", Node: "b", Action: Update, Batch: "b"},
		{ID: "c/r", Node: "c", Action: Update, Batch: "b"},
	}}
	var units [][]string
	run := func(_ context.Context, cs []*Change, _ func(*Change) Reporter) []error {
		var ids []string
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		units = append(units, ids)
		return nil
	}
	Execute(context.Background(), p, run, newRecorder(), ExecOptions{Parallel: 1})
	if d := cmp.Diff([][]string{{"a/r", "b/r", "c/r"}}, units); d != "" {
		t.Error(d)
	}
}

func TestExecuteFailFastStartsNothingNew(t *testing.T) {
	p := &Plan{Changes: []*Change{ch("a/1", "a", Create), ch("a/2", "a", Create, "a/1"), ch("b/1", "b", Create, "a/1")}}
	rec := newRecorder()
	peak := 0
	Execute(context.Background(), p, runnerFailing(map[string]bool{"a/1": true}, &peak), rec, ExecOptions{Parallel: 1, FailFast: true})
	if rec.done["a/2"] != "skipped" || rec.done["b/1"] != "skipped" {
		t.Errorf("%v", rec.done)
	}
}

func TestExecuteStopLetsRunningUnitsFinish(t *testing.T) {
	stop := make(chan struct{})
	release := make(chan struct{})
	p := &Plan{Changes: []*Change{ch("a/1", "a", Create), ch("a/2", "a", Create, "a/1"), ch("b/1", "b", Create)}}
	run := func(_ context.Context, cs []*Change, _ func(*Change) Reporter) []error {
		if cs[0].ID == "a/1" {
			close(stop)
			<-release
		}
		return make([]error, len(cs))
	}
	rec := newRecorder()
	go func() { time.Sleep(20 * time.Millisecond); close(release) }()
	s := Execute(context.Background(), p, run, rec, ExecOptions{Parallel: 1, Stop: stop})
	if !s.Stopped || rec.done["a/1"] != "ok" || rec.done["a/2"] != "skipped" {
		t.Errorf("stopped=%v outcomes=%v", s.Stopped, rec.done)
	}
	var ids []string
	for id := range rec.done {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if len(ids) != 3 {
		t.Errorf("every change must be reported once: %v", ids)
	}
}

func TestExecuteBoundsChangesPerNodeAndBusyNodes(t *testing.T) {
	var changes []*Change
	for _, id := range []string{"a/1", "a/2", "a/3", "a/4"} {
		changes = append(changes, ch(id, "a", Create))
	}
	peak := 0
	Execute(context.Background(), &Plan{Changes: changes}, runnerFailing(nil, &peak), newRecorder(), ExecOptions{Parallel: 5, PerNode: 2})
	if peak != 2 {
		t.Errorf("PerNode 2: peak of %d changes at once on one node", peak)
	}
	peak = 0
	p := &Plan{Changes: []*Change{ch("a/1", "a", Create), ch("b/1", "b", Create), ch("c/1", "c", Create)}}
	Execute(context.Background(), p, runnerFailing(nil, &peak), newRecorder(), ExecOptions{Parallel: 1, PerNode: 4})
	if peak != 1 {
		t.Errorf("Parallel 1: peak of %d units at once over three nodes", peak)
	}
	peak = 0
	wide := &Plan{Changes: []*Change{
		{ID: "a/r", Node: "a", Action: Update, Batch: "r"},
		{ID: "b/r", Node: "b", Action: Update, Batch: "r"},
		{ID: "c/r", Node: "c", Action: Update, Batch: "r"},
	}}
	rec := newRecorder()
	Execute(context.Background(), wide, runnerFailing(nil, &peak), rec, ExecOptions{Parallel: 2})
	if rec.done["c/r"] != "ok" {
		t.Errorf("a batch wider than Parallel must still run: %v", rec.done)
	}
}

func TestExecuteCombinesANodesReadyChanges(t *testing.T) {
	p := &Plan{Changes: []*Change{
		{ID: "a/link1", Node: "a", Kind: "link", Action: Create},
		{ID: "a/link2", Node: "a", Kind: "link", Action: Create},
		{ID: "a/move", Node: "a", Kind: "move", Action: Create},
		{ID: "b/link1", Node: "b", Kind: "link", Action: Create},
		{ID: "a/link3", Node: "a", Kind: "link", Action: Create, After: []string{"a/link1", "a/link2", "a/move"}},
	}}
	var mu sync.Mutex
	var units []string
	run := func(_ context.Context, cs []*Change, _ func(*Change) Reporter) []error {
		var ids []string
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		sort.Strings(ids)
		mu.Lock()
		units = append(units, strings.Join(ids, "+"))
		mu.Unlock()
		return make([]error, len(cs))
	}
	rec := newRecorder()
	Execute(context.Background(), p, run, rec, ExecOptions{Parallel: 4, Combine: func(c *Change) bool { return c.Kind == "link" }})
	sort.Strings(units)
	want := []string{"a/link1+a/link2", "a/link3", "a/move", "b/link1"}
	if d := cmp.Diff(want, units); d != "" {
		t.Errorf("units (-want +got):\n%s", d)
	}
	if len(rec.done) != 5 {
		t.Errorf("every change reported once: %v", rec.done)
	}
}
