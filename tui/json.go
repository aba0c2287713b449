package tui

import (
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/shoal-sh/shoal/plan"
)

// jsonProgressEvery is how often JSON may emit a running change's progress.
const jsonProgressEvery = 500 * time.Millisecond

// jsonOutputKept is how many of a change's last output lines a failed
// step_done event carries.
const jsonOutputKept = 20

// JSON is the NDJSON view of plan and apply: one event per line, each with
// "v":1 and a "type". It is safe for concurrent use.
type JSON struct {
	mu     sync.Mutex
	enc    *json.Encoder
	now    func() time.Time
	last   map[string]time.Time
	done   map[string]plan.Progress
	output map[string][]string
}

var _ plan.Hook = (*JSON)(nil)

// NewJSON returns a JSON view writing to w.
func NewJSON(w io.Writer) *JSON {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &JSON{enc: enc, now: time.Now, last: map[string]time.Time{}, done: map[string]plan.Progress{}, output: map[string][]string{}}
}

// event is one NDJSON line; fields a type does not use stay empty.
type event struct {
	V         int            `json:"v"`
	Type      string         `json:"type"`
	Plan      *plan.Plan     `json:"plan,omitempty"`
	Counts    *planCounts    `json:"counts,omitempty"`
	ID        string         `json:"id,omitempty"`
	Node      string         `json:"node,omitempty"`
	Kind      string         `json:"kind,omitempty"`
	Target    string         `json:"target,omitempty"`
	Action    plan.Action    `json:"action,omitempty"`
	Done      *plan.Progress `json:"done,omitempty"`
	Total     *plan.Progress `json:"total,omitempty"`
	Status    string         `json:"status,omitempty"` // done, failed, skipped
	Error     string         `json:"error,omitempty"`
	Output    []string       `json:"output,omitempty"`
	ElapsedNS int64          `json:"elapsed_ns,omitempty"`
	Summary   *plan.Summary  `json:"summary,omitempty"`
	Severity  string         `json:"severity,omitempty"`
	Message   string         `json:"message,omitempty"`
	Detail    string         `json:"detail,omitempty"`
	Subject   string         `json:"subject,omitempty"`
}

type planCounts struct {
	Create   int `json:"create"`
	Update   int `json:"update"`
	Delete   int `json:"delete"`
	Conflict int `json:"conflict"`
	NoOp     int `json:"noop"`
}

func (v *JSON) emit(e event) {
	e.V = 1
	// A writer that fails (a closed pipe) has no reader left to tell.
	_ = v.enc.Encode(e)
}

// Plan emits the whole plan and its counts.
func (v *JSON) Plan(p *plan.Plan) {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := countChanges(p.Changes)
	v.emit(event{Type: "plan", Plan: withoutPayloads(p), Counts: &planCounts{
		Create: n[plan.Create], Update: n[plan.Update], Delete: n[plan.Delete],
		Conflict: n[plan.Conflict], NoOp: n[plan.NoOp],
	}})
}

// withoutPayloads is p as shown: what apply executes is the steps'
// business, not the reader's.
func withoutPayloads(p *plan.Plan) *plan.Plan {
	out := *p
	out.Changes = make([]*plan.Change, len(p.Changes))
	for i, c := range p.Changes {
		shown := *c
		shown.Payload = nil
		out.Changes[i] = &shown
	}
	return &out
}

// Diagnostic emits a problem found in the configuration or on a host;
// severity is "error" or "warning", subject where it was ("cluster.hcl:12,3").
func (v *JSON) Diagnostic(severity, summary, detail, subject string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.emit(event{Type: "diagnostic", Severity: severity, Message: summary, Detail: detail, Subject: subject})
}

// StepStart emits step_start.
func (v *JSON) StepStart(c *plan.Change) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.last[c.ID] = v.now()
	total := c.Total
	v.emit(event{Type: "step_start", ID: c.ID, Node: c.Node, Kind: c.Kind, Target: c.Target, Action: c.Action, Total: &total})
}

// StepProgress emits progress at most twice a second per change; the
// latest amount always arrives with step_done.
func (v *JSON) StepProgress(c *plan.Change, done plan.Progress) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.done[c.ID] = done
	now := v.now()
	if now.Sub(v.last[c.ID]) < jsonProgressEvery {
		return
	}
	v.last[c.ID] = now
	total := c.Total
	v.emit(event{Type: "progress", ID: c.ID, Node: c.Node, Done: &done, Total: &total})
}

// StepOutput keeps the change's last lines for a failed step_done.
func (v *JSON) StepOutput(c *plan.Change, line string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	kept := append(v.output[c.ID], line)
	if len(kept) > jsonOutputKept {
		kept = kept[len(kept)-jsonOutputKept:]
	}
	v.output[c.ID] = kept
}

// StepDone emits step_done with status done, failed or skipped.
func (v *JSON) StepDone(c *plan.Change, err error, elapsed time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e := event{Type: "step_done", ID: c.ID, Node: c.Node, Status: status(err), ElapsedNS: elapsed.Nanoseconds()}
	if done, ok := v.done[c.ID]; ok {
		e.Done = &done
	}
	if e.Status == "failed" {
		e.Error = err.Error()
		e.Output = v.output[c.ID]
	}
	delete(v.last, c.ID)
	delete(v.done, c.ID)
	delete(v.output, c.ID)
	v.emit(e)
}

// NodeDone emits node_done.
func (v *JSON) NodeDone(node string, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e := event{Type: "node_done", Node: node, Status: status(err)}
	if e.Status == "failed" {
		e.Error = err.Error()
	}
	v.emit(e)
}

// Summary emits summary.
func (v *JSON) Summary(s plan.Summary) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.emit(event{Type: "summary", Summary: &s})
}

func status(err error) string {
	switch {
	case err == nil:
		return "done"
	case errors.Is(err, plan.ErrSkipped):
		return "skipped"
	}
	return "failed"
}
