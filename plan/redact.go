package plan

import (
	"errors"
	"strings"
	"time"
)

// minSecret is the shortest value Redactor hides: hiding every "1" or "a"
// would garble the output and protect nothing.
const minSecret = 3

// Redactor hides sensitive values (variables marked sensitive) in what is
// shown or saved: plans, command output, errors.
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

// Plan returns p with the secrets hidden wherever it is shown (summaries,
// details, reasons, targets, node errors). Params, which apply reads, are
// kept: a saved plan is written 0600.
func (x *Redactor) Plan(p *Plan) *Plan {
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
		c := *ch
		c.Summary, c.Reason, c.Target = x.String(c.Summary), x.String(c.Reason), x.String(c.Target)
		c.Details = make([]string, len(ch.Details))
		for j, d := range ch.Details {
			c.Details[j] = x.String(d)
		}
		if ch.Details == nil {
			c.Details = nil
		}
		out.Changes[i] = &c
	}
	return &out
}

// Hook wraps h so that command output and errors reach it with the
// secrets hidden.
func (x *Redactor) Hook(h Hook) Hook {
	if x.r == nil {
		return h
	}
	return redactingHook{h, x}
}

type redactingHook struct {
	Hook
	x *Redactor
}

func (r redactingHook) StepOutput(c *Change, line string) { r.Hook.StepOutput(c, r.x.String(line)) }

func (r redactingHook) StepDone(c *Change, err error, elapsed time.Duration) {
	r.Hook.StepDone(c, r.x.err(err), elapsed)
}

func (r redactingHook) NodeDone(node string, err error) { r.Hook.NodeDone(node, r.x.err(err)) }

func (r redactingHook) Summary(s Summary) {
	failures := make([]Failure, len(s.Failures))
	for i, f := range s.Failures {
		f.Error = r.x.String(f.Error)
		failures[i] = f
	}
	s.Failures = failures
	r.Hook.Summary(s)
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
