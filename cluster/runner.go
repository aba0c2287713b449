package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/steps"
	"github.com/shoal-sh/shoal/transport"
)

// Runner carries out a plan's changes through the steps that made them,
// and says which changes may share a session (for plan.ExecOptions.Combine).
func Runner(entries []steps.Entry, hosts map[string]transport.Host) (run plan.Runner, combine func(*plan.Change) bool) {
	byID := map[string]steps.Step{}
	for _, e := range entries {
		byID[e.Step.ID()] = e.Step
	}
	return func(ctx context.Context, cs []*plan.Change, report func(*plan.Change) plan.Reporter) []error {
		errs := make([]error, len(cs))
		step, ok := byID[cs[0].ID]
		if !ok {
			for i, c := range cs {
				errs[i] = fmt.Errorf("no step %s in this configuration (was the plan made from another?)", c.ID)
			}
			return errs
		}
		if len(cs) > 1 && cs[0].Batch == "" {
			return runScripts(ctx, byID, hosts, cs, report)
		}
		if len(cs) > 1 || cs[0].Batch != "" {
			b, ok := step.(steps.BatchApplier)
			if !ok {
				return fill(errs, fmt.Errorf("step %s cannot run as a batch", step.ID()))
			}
			err := b.ApplyBatch(ctx, hosts, cs, report)
			var per steps.BatchErrors
			if errors.As(err, &per) {
				for i, c := range cs {
					errs[i] = per[c.ID]
				}
				return errs
			}
			return fill(errs, err)
		}
		if m, ok := step.(steps.HostsApplier); ok {
			errs[0] = m.ApplyHosts(ctx, hosts, cs[0], report(cs[0]))
			return errs
		}
		a, ok := step.(steps.Applier)
		if !ok {
			return fill(errs, fmt.Errorf("step %s cannot be applied alone", step.ID()))
		}
		h, ok := hosts[cs[0].Node]
		if !ok {
			return fill(errs, fmt.Errorf("no connection to %s", cs[0].Node))
		}
		errs[0] = a.Apply(ctx, h, cs[0], report(cs[0]))
		return errs
	}, combinable(byID)
}

// runScripts runs a combined unit: changes of one node whose steps are
// Scripters, in one session.
func runScripts(ctx context.Context, byID map[string]steps.Step, hosts map[string]transport.Host, cs []*plan.Change, report func(*plan.Change) plan.Reporter) []error {
	h, ok := hosts[cs[0].Node]
	if !ok {
		return fill(make([]error, len(cs)), fmt.Errorf("no connection to %s", cs[0].Node))
	}
	scripts := make([]string, len(cs))
	for i, c := range cs {
		s, ok := byID[c.ID].(steps.Scripter)
		if ok {
			scripts[i] = s.ApplyScript(c)
		}
		if scripts[i] == "" || c.Node != h.Name() {
			return fill(make([]error, len(cs)), fmt.Errorf("%s cannot share a session with the others", c.ID))
		}
	}
	return runCombined(ctx, h, scripts, cs, report)
}

func fill(errs []error, err error) []error {
	for i := range errs {
		errs[i] = err
	}
	return errs
}
