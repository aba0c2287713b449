package tui

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/shoal-sh/shoal/plan"
)

// plainProgressEvery is how often Plain may print a running change's
// progress; changes shorter than this print none, which keeps CI logs short.
const plainProgressEvery = 2 * time.Second

// plainOutputKept is how many of a change's last output lines Plain keeps to
// print under it if it fails.
const plainOutputKept = 20

// Plain is the line view of an apply, for CI and pipes: one line per start,
// finish and (throttled) progress, each starting with the node.
type Plain struct {
	mu     sync.Mutex
	w      io.Writer
	s      styles
	width  int
	now    func() time.Time
	last   map[string]time.Time     // change ID → when its last line was printed
	done   map[string]plan.Progress // change ID → latest progress
	output map[string][]string      // change ID → its last output lines
	failed map[string]string        // change ID → step name, for the summary
	unrun  map[string]int           // node → changes skipped, said once on its node line
}

var _ plan.Hook = (*Plain)(nil)

// NewPlain returns a Plain view writing to w.
func NewPlain(w io.Writer, o RenderOptions) *Plain {
	return &Plain{
		w: w, s: newStyles(w, colorWanted(o.NoColor)), width: o.Width, now: time.Now,
		last: map[string]time.Time{}, done: map[string]plan.Progress{}, output: map[string][]string{},
		failed: map[string]string{}, unrun: map[string]int{},
	}
}

func (v *Plain) println(line string) {
	if v.width > 0 {
		line = ansi.Truncate(line, v.width, "…")
	}
	fmt.Fprintln(v.w, line)
}

func prefix(c *plan.Change) string {
	return c.Node + ": " + stepName(c.Kind, c.Target) + " …"
}

// StepStart prints "web2: replicate /var/www/dolphin …".
func (v *Plain) StepStart(c *plan.Change) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.last[c.ID] = v.now()
	v.println(prefix(c))
}

// StepProgress prints at most one line per change every two seconds.
func (v *Plain) StepProgress(c *plan.Change, done plan.Progress) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.done[c.ID] = done
	now := v.now()
	if now.Sub(v.last[c.ID]) < plainProgressEvery {
		return
	}
	v.last[c.ID] = now
	line := prefix(c) + " " + amount(done)
	if pct, ok := percent(done, c.Total); ok {
		line += fmt.Sprintf(" (%.0f%%)", pct*100)
	}
	v.println(line)
}

// StepOutput keeps the change's last lines, printed only if it fails.
func (v *Plain) StepOutput(c *plan.Change, line string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	kept := append(v.output[c.ID], line)
	if len(kept) > plainOutputKept {
		kept = kept[len(kept)-plainOutputKept:]
	}
	v.output[c.ID] = kept
}

// StepDone prints "… done 61 MiB in 1.2s" or "… failed: <err>" followed by
// the change's last output lines; skipped changes are counted for the
// node's line, so a stopped run does not flood a CI log.
func (v *Plain) StepDone(c *plan.Change, err error, elapsed time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	moved, output := v.done[c.ID], v.output[c.ID]
	delete(v.last, c.ID)
	delete(v.done, c.ID)
	delete(v.output, c.ID)
	switch {
	case err == nil:
		line := prefix(c) + " " + v.s.ok.Render("done")
		if a := amount(moved); a != "" {
			line += " " + a
		}
		v.println(line + " in " + humanDuration(elapsed))
	case errors.Is(err, plan.ErrSkipped):
		v.unrun[c.Node]++
	default:
		v.failed[c.ID] = stepName(c.Kind, c.Target)
		v.println(prefix(c) + " " + v.s.failed.Render("failed: ") + oneLine(err.Error()))
		for _, l := range output {
			v.println("    | " + l)
		}
	}
}

// NodeDone prints "web2: done", "web2: failed" or "web2: skipped", with
// how many of its changes never started.
func (v *Plain) NodeDone(node string, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	unrun := ""
	if n := v.unrun[node]; n > 0 {
		unrun = " (" + plural(n, "step", "steps") + " not started)"
	}
	switch {
	case err == nil:
		v.println(node + ": " + v.s.ok.Render("done") + unrun)
	case errors.Is(err, plan.ErrSkipped):
		v.println(node + ": " + v.s.warn.Render("skipped") + unrun)
	default:
		v.println(node + ": " + v.s.failed.Render("failed") + unrun)
	}
}

// Summary prints the outcome and every failure again, so the end of a CI
// log says what went wrong.
func (v *Plain) Summary(s plan.Summary) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.println(v.s.bold.Render(summaryLine(s)))
	for _, f := range s.Failures {
		step, ok := v.failed[f.ID]
		if !ok {
			step = f.ID
		}
		v.println("  " + f.Node + ": " + step + ": " + oneLine(f.Error))
	}
}

// summaryLine is the last line of an apply.
func summaryLine(s plan.Summary) string {
	verb := "Apply complete"
	if s.Stopped {
		verb = "Apply stopped"
	}
	return fmt.Sprintf("%s: %d done, %d failed, %d skipped in %s.", verb, s.Done, s.Failed, s.Skipped, humanDuration(s.Elapsed))
}

// percent is how far done is through total, by bytes when known, else by
// files; ok is false when the total is unknown.
func percent(done, total plan.Progress) (float64, bool) {
	switch {
	case total.Bytes > 0:
		return min(1, float64(done.Bytes)/float64(total.Bytes)), true
	case total.Files > 0:
		return min(1, float64(done.Files)/float64(total.Files)), true
	}
	return 0, false
}
