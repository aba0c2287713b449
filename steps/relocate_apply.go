package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

// Apply reads the node again, refuses unless the storage is mounted now
// and the state is safe, and runs the script of the state it finds. Every
// script ends with L linked to S, checking as it goes; one interrupted
// leaves a state the next plan recognises.
func (s *Relocate) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	if err := s.validate(); err != nil {
		return err
	}
	src, err := s.observe(ctx, h)
	if err != nil {
		return fmt.Errorf("relocating %s on %s: %w", s.local(), s.NodeName, err)
	}
	f, err := s.read(ctx, src)
	if err != nil {
		return fmt.Errorf("relocating %s on %s: %w", s.local(), s.NodeName, err)
	}
	d := s.decide(f, false)
	switch d.state {
	case relocLinked:
		return nil
	case relocConflict:
		return fmt.Errorf("relocating %s on %s: refused: %s", s.local(), s.NodeName, d.reason)
	}
	r.Output(d.summary)
	out := newRelocateOutput(r)
	stamp := time.Now().UTC().Format("20060102-150405")
	err = h.Run(ctx, transport.Command{Script: s.script(d.state, stamp), Stdout: out})
	out.Flush()
	if err != nil {
		var exit *transport.ExitError
		if errors.As(err, &exit) && exit.Stderr != "" {
			return fmt.Errorf("relocating %s on %s (%s): %s", s.local(), s.NodeName, d.state, exit.Stderr)
		}
		return fmt.Errorf("relocating %s on %s (%s): %w", s.local(), s.NodeName, d.state, err)
	}
	if d.total != (plan.Progress{}) {
		// all done: a rename or a merge reports no listing, and a copy's
		// listing leaves out the links, which cp makes
		r.Progress(d.total)
	}
	return nil
}

// ApplyScript carries out a planned link (the data is on the storage
// already, or there is none) in one script that first proves the storage
// is mounted; a link already in place passes. Moving data goes through
// Apply, which reads the node first and reports progress.
func (s *Relocate) ApplyScript(c *plan.Change) string {
	if s.validate() != nil {
		return ""
	}
	p, err := plan.DecodePayload[relocatePayload](c)
	if err != nil {
		return ""
	}
	var state relocateState
	switch p.State {
	case relocLink.String():
		state = relocLink
	case relocCreateLink.String():
		state = relocCreateLink
	default:
		return ""
	}
	linked := `if [ -L "$L" ] && [ -d "$S" ] && [ "$L" -ef "$S" ]; then exit 0; fi` + "\n"
	script := s.scriptChecking(state, time.Now().UTC().Format("20060102-150405"), true)
	return strings.Replace(script, "shoal_beneath\nshoal_inside_storage\n", "shoal_beneath\n"+linked+"shoal_inside_storage\n", 1)
}

func (s *Relocate) observe(ctx context.Context, h transport.Host) (facts.Source, error) {
	if s.Observe != nil {
		return s.Observe(h), nil
	}
	set := facts.NewSet(map[string]transport.Host{s.NodeName: h})
	var fs []facts.Fact
	for _, nf := range s.Facts() {
		fs = append(fs, nf.Fact)
	}
	return set, set.Gather(ctx, s.NodeName, fs)
}

// relocateOutput turns the script's stdout into progress (tar's listing of
// what it copied) and log lines (everything else).
type relocateOutput struct {
	transport.LineWriter
	r    Reporter
	done plan.Progress
	last time.Time
}

func newRelocateOutput(r Reporter) *relocateOutput {
	o := &relocateOutput{r: r}
	o.Line = o.line
	return o
}

func (o *relocateOutput) line(l string) {
	entry, ok := parseTarListing(l)
	if !ok {
		o.r.Output(l)
		return
	}
	if entry.kind != 'd' {
		o.done.Files++
	}
	if entry.kind == '-' {
		o.done.Bytes += entry.size
	}
	if now := time.Now(); now.Sub(o.last) >= 100*time.Millisecond {
		o.last = now
		o.r.Progress(o.done)
	}
}

// Flush reports the last partial line and the final count.
func (o *relocateOutput) Flush() {
	o.LineWriter.Flush()
	if o.done != (plan.Progress{}) {
		o.r.Progress(o.done)
	}
}
