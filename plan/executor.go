package plan

import (
	"context"
	"errors"
	"time"
)

// ErrSkipped is reported for changes that never ran: a change they depend
// on failed, or the run was stopped.
var ErrSkipped = errors.New("skipped")

// Runner carries out one unit: a single change, or every change of one
// Batch. It returns one error per change, in the order of cs (nil: done).
type Runner func(ctx context.Context, cs []*Change, report func(*Change) Reporter) []error

// ExecOptions bound and steer an execution.
type ExecOptions struct {
	Parallel int             // nodes worked on at once; <1 means 1
	PerNode  int             // changes running at once on one node; <1 means DefaultPerNode
	FailFast bool            // after the first failure start nothing new
	Stop     <-chan struct{} // closed: start nothing new, let running units finish
	// Combine says which changes may run together: a node's ready changes
	// it accepts are handed to the Runner as one unit (one session of
	// scripts instead of one each). Nil combines nothing.
	Combine func(*Change) bool
}

// DefaultPerNode bounds the changes running at once on one node: enough to
// hide session latency, well under sshd's MaxSessions (10).
const DefaultPerNode = 4

// Execute runs every non-NoOp change of p. A change starts when every
// change in its After list has succeeded, and is skipped (ErrSkipped) when
// one of them failed or was skipped; the planner's After lists are what
// keeps a node's phases in order. At most Parallel nodes are busy at once,
// each with at most PerNode changes. Changes sharing a Batch start together
// as one unit. Conflicts are never run: callers refuse such plans before
// executing.
func Execute(ctx context.Context, p *Plan, run Runner, hook Hook, o ExecOptions) Summary {
	e := newExecution(p, run, hook, o)
	return e.run(ctx)
}

type unit struct {
	changes []*Change
	nodes   []string
}

type execution struct {
	runner Runner
	hook   Hook
	opts   ExecOptions
	units  []*unit
	byID   map[string]*Change
	status map[string]error // finished changes: nil ok, else error
	busy   map[string]int   // node → changes running
	// remaining counts, per node, changes not yet finished (for NodeDone).
	remaining map[string]int
	firstErr  map[string]error
	summary   Summary
	stopped   bool
}

func newExecution(p *Plan, run Runner, hook Hook, o ExecOptions) *execution {
	if o.Parallel < 1 {
		o.Parallel = 1
	}
	if o.PerNode < 1 {
		o.PerNode = DefaultPerNode
	}
	e := &execution{
		runner: run, hook: hook, opts: o,
		byID:      map[string]*Change{},
		status:    map[string]error{},
		busy:      map[string]int{},
		remaining: map[string]int{},
		firstErr:  map[string]error{},
	}
	batches := map[string]*unit{}
	for _, c := range p.Changes {
		e.byID[c.ID] = c
		if c.Action == NoOp || c.Action == Conflict {
			continue
		}
		e.remaining[c.Node]++
		if c.Batch != "" {
			if u, ok := batches[c.Batch]; ok {
				u.changes = append(u.changes, c)
				u.nodes = append(u.nodes, c.Node)
				continue
			}
			u := &unit{changes: []*Change{c}, nodes: []string{c.Node}}
			batches[c.Batch] = u
			e.units = append(e.units, u)
			continue
		}
		e.units = append(e.units, &unit{changes: []*Change{c}, nodes: []string{c.Node}})
	}
	return e
}

type finished struct {
	u    *unit
	errs []error
	took []time.Duration
}

func (e *execution) run(ctx context.Context) Summary {
	start := time.Now()
	done := make(chan finished)
	running := 0
	pending := e.units
	for len(pending) > 0 || running > 0 {
		e.checkStop(ctx)
		var still []*unit
		combined := map[string]*unit{} // node → its ready combinable changes, run as one unit
		var combinedOrder []string
		for _, u := range pending {
			e.pruneBlocked(u)
			switch {
			case len(u.changes) == 0:
			case !e.ready(u) || e.stopped:
				still = append(still, u)
			case e.combinable(u):
				n := u.nodes[0]
				if m, ok := combined[n]; ok {
					m.changes = append(m.changes, u.changes...)
					continue
				}
				combined[n] = &unit{changes: append([]*Change(nil), u.changes...), nodes: u.nodes}
				combinedOrder = append(combinedOrder, n)
			case !e.roomFor(u):
				still = append(still, u)
			default:
				running++
				e.start(ctx, u, done)
			}
		}
		for _, n := range combinedOrder {
			m := combined[n]
			if !e.roomFor(m) {
				for _, c := range m.changes { // back to single units, for the next round
					still = append(still, &unit{changes: []*Change{c}, nodes: []string{n}})
				}
				continue
			}
			running++
			e.start(ctx, m, done)
		}
		pending = still
		if e.stopped && running == 0 {
			for _, u := range pending {
				e.skipAll(u)
			}
			break
		}
		if running == 0 {
			if len(pending) > 0 {
				// Nothing runs and nothing can start: a dependency outside the plan.
				for _, u := range pending {
					e.skipAll(u)
				}
			}
			break
		}
		var stop, cancel <-chan struct{} // nil once stopped: then wait only for running units
		if !e.stopped {
			stop, cancel = e.opts.Stop, ctx.Done()
		}
		select {
		case f := <-done:
			running--
			e.finish(f)
		case <-stop:
			e.stopped, e.summary.Stopped = true, true
		case <-cancel:
			e.stopped, e.summary.Stopped = true, true
		}
	}
	e.summary.Elapsed = time.Since(start)
	e.hook.Summary(e.summary)
	return e.summary
}

func (e *execution) checkStop(ctx context.Context) {
	if e.stopped {
		return
	}
	select {
	case <-ctx.Done():
		e.stopped, e.summary.Stopped = true, true
	case <-e.opts.Stop:
		e.stopped, e.summary.Stopped = true, true
	default:
	}
}

// depState says whether c can run: every dependency succeeded (ok), one
// failed or was skipped (blocked), or some are still to finish.
func (e *execution) depState(c *Change) (ok, blocked bool) {
	ok = true
	for _, dep := range c.After {
		d, known := e.byID[dep]
		if !known || d.Action == NoOp {
			continue
		}
		err, finished := e.status[dep]
		switch {
		case !finished:
			ok = false
		case err != nil:
			return false, true
		}
	}
	return ok, false
}

// pruneBlocked skips the members of u whose dependencies failed; the rest
// of a batch still runs (one failed replica does not hold back the others).
func (e *execution) pruneBlocked(u *unit) {
	var keep []*Change
	var nodes []string
	for i, c := range u.changes {
		if _, blocked := e.depState(c); blocked {
			e.skipChange(c)
			continue
		}
		keep = append(keep, c)
		nodes = append(nodes, u.nodes[i])
	}
	u.changes, u.nodes = keep, nodes
}

func (e *execution) ready(u *unit) bool {
	for _, c := range u.changes {
		if ok, _ := e.depState(c); !ok {
			return false
		}
	}
	return true
}

// combinable: a single change, not part of a batch, that Combine accepts.
func (e *execution) combinable(u *unit) bool {
	return e.opts.Combine != nil && len(u.changes) == 1 && u.changes[0].Batch == "" && e.opts.Combine(u.changes[0])
}

// roomFor says whether u can start: each of its nodes has a free slot,
// and starting it keeps the busy nodes within Parallel.
func (e *execution) roomFor(u *unit) bool {
	newNodes := 0
	for _, n := range u.nodes {
		switch {
		case e.busy[n] >= e.opts.PerNode:
			return false
		case e.busy[n] == 0:
			newNodes++
		}
	}
	busyNodes := 0
	for _, k := range e.busy {
		if k > 0 {
			busyNodes++
		}
	}
	return newNodes == 0 || busyNodes+newNodes <= e.opts.Parallel || busyNodes == 0
}

func (e *execution) start(ctx context.Context, u *unit, done chan<- finished) {
	for _, n := range u.nodes {
		e.busy[n]++
	}
	starts := make([]time.Time, len(u.changes))
	for i, c := range u.changes {
		starts[i] = time.Now()
		e.hook.StepStart(c)
	}
	go func() {
		errs := e.runner(ctx, u.changes, func(c *Change) Reporter { return reporter{e.hook, c} })
		f := finished{u: u, errs: make([]error, len(u.changes)), took: make([]time.Duration, len(u.changes))}
		for i := range u.changes {
			if i < len(errs) {
				f.errs[i] = errs[i]
			}
			f.took[i] = time.Since(starts[i])
		}
		done <- f
	}()
}

func (e *execution) finish(f finished) {
	for _, n := range f.u.nodes {
		e.busy[n]--
	}
	for i, c := range f.u.changes {
		err := f.errs[i]
		if err != nil {
			// steps name node and path in their errors; views add the step
			e.summary.Failed++
			e.summary.Failures = append(e.summary.Failures, Failure{Node: c.Node, ID: c.ID, Error: err.Error()})
			if e.opts.FailFast {
				e.stopped = true
			}
		} else {
			e.summary.Done++
		}
		e.hook.StepDone(c, err, f.took[i])
		e.settle(c, err)
	}
}

func (e *execution) skipAll(u *unit) {
	for _, c := range u.changes {
		e.skipChange(c)
	}
}

func (e *execution) skipChange(c *Change) {
	if _, ok := e.status[c.ID]; ok {
		return
	}
	e.summary.Skipped++
	e.hook.StepDone(c, ErrSkipped, 0)
	e.settle(c, ErrSkipped)
}

func (e *execution) settle(c *Change, err error) {
	e.status[c.ID] = err
	if err != nil && e.firstErr[c.Node] == nil {
		e.firstErr[c.Node] = err
	}
	e.remaining[c.Node]--
	if e.remaining[c.Node] == 0 {
		nodeErr := e.firstErr[c.Node]
		if errors.Is(nodeErr, ErrSkipped) && !errors.Is(err, ErrSkipped) {
			nodeErr = err
		}
		e.hook.NodeDone(c.Node, nodeErr)
	}
}

type reporter struct {
	hook Hook
	c    *Change
}

func (r reporter) Progress(done Progress) { r.hook.StepProgress(r.c, done) }
func (r reporter) Output(line string)     { r.hook.StepOutput(r.c, line) }
