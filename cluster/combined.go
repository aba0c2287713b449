package cluster

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/steps"
	"github.com/shoal-sh/shoal/transport"
)

const stepMarker = "@@shoal-step"

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
		fmt.Fprintf(&b, "printf '%s %d begin\\n'\n(\n%s\n) 2>&1\nprintf '\\n%s %d end %%d\\n' $?\n", stepMarker, i, s, stepMarker, i)
	}
	out := &stepOutput{cs: cs, report: report, status: make([]int, len(cs)), tails: make([][]string, len(cs))}
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
	if rest, ok := strings.CutPrefix(l, stepMarker+" "); ok {
		f := strings.Fields(rest)
		i, err := strconv.Atoi(f[0])
		if err == nil && i >= 0 && i < len(o.cs) {
			switch {
			case len(f) == 2 && f[1] == "begin":
				o.current = i
				return
			case len(f) == 3 && f[1] == "end":
				if st, err := strconv.Atoi(f[2]); err == nil {
					o.status[i] = st
				}
				o.current = -1
				return
			}
		}
	}
	if l == "" || o.current < 0 || o.current >= len(o.cs) {
		return
	}
	o.report(o.cs[o.current]).Output(l)
	t := append(o.tails[o.current], l)
	if len(t) > 5 {
		t = t[len(t)-5:]
	}
	o.tails[o.current] = t
}
