package cluster

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/steps"
	"github.com/shoal-sh/shoal/transport"
)

// stepMarker frames each script's output; the key is the script's index.
const stepMarker = shell.Marker("@@shoal-step")

// combinable says whether a change can share a session with others of its
// node: its step carries it out with one self-checking script.
func combinable(byID map[string]steps.Step) func(*plan.Change) bool {
	return func(c *plan.Change) bool {
		s, ok := byID[c.ID].(steps.Scripter)
		return ok && s.ApplyScript(c) != ""
	}
}

// runCombined runs several changes of one node in one session: each
// script in its own subshell, so one failing stops only itself, between
// markers that route its output to its change and carry its exit status.
func runCombined(ctx context.Context, h transport.Host, scripts []string, cs []*plan.Change, report func(*plan.Change) plan.Reporter) []error {
	var b strings.Builder
	for i, s := range scripts {
		fmt.Fprintf(&b, "%s\n(\n%s\n) 2>&1\n%s\n", stepMarker.BeginLine(strconv.Itoa(i)), s, stepMarker.EndLine())
	}
	out := &stepOutput{cs: cs, report: report, current: -1, status: make([]int, len(cs)), tails: make([][]string, len(cs))}
	for i := range out.status {
		out.status[i] = -1
	}
	lines := &transport.LineWriter{Line: out.line}
	err := h.Run(ctx, transport.Command{Script: b.String(), Stdout: lines})
	lines.Flush()
	errs := make([]error, len(cs))
	for i, c := range cs {
		switch {
		case out.status[i] == 0:
		case out.status[i] > 0:
			errs[i] = fmt.Errorf("%s %s on %s: exit status %d: %s", c.Kind, c.Target, c.Node, out.status[i], strings.Join(out.tails[i], "; "))
		case err != nil:
			errs[i] = fmt.Errorf("%s %s on %s: %w", c.Kind, c.Target, c.Node, err)
		default:
			errs[i] = fmt.Errorf("%s %s on %s: the script ended without reporting", c.Kind, c.Target, c.Node)
		}
	}
	return errs
}

// stepOutput splits a combined script's stdout by step marker.
type stepOutput struct {
	cs      []*plan.Change
	report  func(*plan.Change) plan.Reporter
	current int // index of the step whose output is streaming, -1 none
	status  []int
	tails   [][]string
}

func (o *stepOutput) line(l string) {
	// A broken marker line is only text: the step it appears in keeps
	// its output and its own end line decides its status.
	m, _ := stepMarker.ReadLine(l)
	switch m.Kind {
	case shell.Begin:
		if i, err := strconv.Atoi(m.Key); err == nil && i >= 0 && i < len(o.cs) {
			o.current = i
			return
		}
	case shell.End:
		if o.current >= 0 {
			o.status[o.current] = m.Status
			o.current = -1
			return
		}
	}
	if l == "" || o.current < 0 {
		return
	}
	o.report(o.cs[o.current]).Output(l)
	t := append(o.tails[o.current], l)
	if len(t) > 5 {
		t = t[len(t)-5:]
	}
	o.tails[o.current] = t
}
