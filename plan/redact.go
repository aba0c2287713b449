package plan

import (
	"errors"
	"strings"
	"sync"
	"time"
)

// minSecret is the shortest value Redactor hides: hiding every "1" or "a"
// would garble the output and protect nothing.
const minSecret = 3

// Redactor hides sensitive values (variables marked sensitive) in what is
// shown or saved for showing: plans, command output, errors. It only ever
// makes copies: what apply executes stays as it was planned.
type Redactor struct {
	r *strings.Replacer
}

// NewRedactor hides each of secrets at least minSecret long.
func NewRedactor(secrets []string) *Redactor {
	var pairs []string
	for _, s := range secrets {
		if len(s) >= minSecret {
			pairs = append(pairs, s, "(sensitive)")
		}
	}
	if len(pairs) == 0 {
		return &Redactor{}
	}
	return &Redactor{r: strings.NewReplacer(pairs...)}
}

// String hides the secrets in s.
func (x *Redactor) String(s string) string {
	if x.r == nil {
		return s
	}
	return x.r.Replace(s)
}

// Plan returns a copy of p to show: the secrets hidden in every field a
// person or a log reads, IDs and dependencies included, and no payload. It is
// never executed: apply runs the plan it was given, unredacted, and shows
// this copy (Terraform's rule: display fields decide nothing).
func (x *Redactor) Plan(p *Plan) *Plan {
	if x.r == nil {
		return p
	}
	out := x.Saved(p)
	for _, c := range out.Changes {
		x.hideExecution(c)
	}
	return out
}

// Saved returns the copy of p that `plan -out` writes: what is shown when
// it is applied (targets, summaries, details, reasons, node errors) has
// the secrets hidden; what apply executes and matches by (IDs, After,
// Batch, Payload) is kept as it is, which is why the file is written 0600.
func (x *Redactor) Saved(p *Plan) *Plan {
	if x.r == nil {
		return p
	}
	out := *p
	out.Nodes = make([]*NodeState, len(p.Nodes))
	for i, n := range p.Nodes {
		c := *n
		c.Error = x.String(c.Error)
		out.Nodes[i] = &c
	}
	out.Changes = make([]*Change, len(p.Changes))
	for i, ch := range p.Changes {
		out.Changes[i] = x.shownFields(ch)
	}
	return &out
}

// shownFields copies c with the secrets hidden in what a plan shows.
func (x *Redactor) shownFields(ch *Change) *Change {
	c := *ch
	c.Summary, c.Reason, c.Target = x.String(c.Summary), x.String(c.Reason), x.String(c.Target)
	c.Details = x.strings(ch.Details)
	return &c
}

// hideExecution hides the secrets in c's execution fields, in place; a
// payload is the step's business, not the reader's, and is left out.
func (x *Redactor) hideExecution(c *Change) {
	c.ID, c.Batch = x.String(c.ID), x.String(c.Batch)
	c.After = x.strings(c.After)
	c.Payload = nil
}

func (x *Redactor) strings(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = x.String(s)
	}
	return out
}

// Hook wraps h so that it sees every change as Plan shows it, and command
// output, errors and the summary with the secrets hidden. The executor
// keeps running the changes it was given.
func (x *Redactor) Hook(h Hook) Hook {
	if x.r == nil {
		return h
	}
	return &redactingHook{Hook: h, x: x, shown: map[*Change]*Change{}}
}

type redactingHook struct {
	Hook
	x *Redactor

	mu    sync.Mutex
	shown map[*Change]*Change // executed change → the copy views see, one per change
}

// show returns the one shown copy of c, so views see a change as the
// same pointer from start to done.
func (r *redactingHook) show(c *Change) *Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.shown[c]; ok {
		return s
	}
	s := r.x.shownFields(c)
	r.x.hideExecution(s)
	r.shown[c] = s
	return s
}

func (r *redactingHook) StepStart(c *Change) { r.Hook.StepStart(r.show(c)) }

func (r *redactingHook) StepProgress(c *Change, done Progress) { r.Hook.StepProgress(r.show(c), done) }

func (r *redactingHook) StepOutput(c *Change, line string) {
	r.Hook.StepOutput(r.show(c), r.x.String(line))
}

func (r *redactingHook) StepDone(c *Change, err error, elapsed time.Duration) {
	r.Hook.StepDone(r.show(c), r.x.err(err), elapsed)
}

func (r *redactingHook) NodeDone(node string, err error) { r.Hook.NodeDone(node, r.x.err(err)) }

func (r *redactingHook) Summary(s Summary) { r.Hook.Summary(r.x.Summary(s)) }

// Summary returns s with the secrets hidden in its failures.
func (x *Redactor) Summary(s Summary) Summary {
	if x.r == nil {
		return s
	}
	failures := make([]Failure, len(s.Failures))
	for i, f := range s.Failures {
		f.ID, f.Error = x.String(f.ID), x.String(f.Error)
		failures[i] = f
	}
	s.Failures = failures
	return s
}

// err hides secrets in an error's text, keeping ErrSkipped recognisable.
func (x *Redactor) err(err error) error {
	if err == nil || errors.Is(err, ErrSkipped) {
		return err
	}
	if msg := x.String(err.Error()); msg != err.Error() {
		return errors.New(msg)
	}
	return err
}
