package tui

import (
	"errors"
	"strings"
	"time"

	"github.com/shoal-sh/shoal/plan"
)

// nodeLogKept bounds each node's log in memory.
const nodeLogKept = 2000

type nodeStatus int

const (
	waiting nodeStatus = iota
	running
	succeeded
	failed
	skipped
)

// nodeRow is one node's line in the live view and its log.
type nodeRow struct {
	name     string
	status   nodeStatus
	steps    int // changes to run
	finished int // steps over, however they ended
	ok       int // steps that succeeded
	current  *plan.Change
	progress plan.Progress
	err      string // the first failure: "fstab /etc/fstab: exit status 1: ..."
	log      []string
	began    time.Time
	elapsed  time.Duration
}

func (n *nodeRow) start(c *plan.Change, now time.Time) {
	if n.status == waiting {
		n.began = now
	}
	n.status = running
	n.current = c
	n.progress = plan.Progress{}
	n.addLog("── " + stepName(c.Kind, c.Target))
}

func (n *nodeRow) finish(c *plan.Change, err error, elapsed time.Duration) {
	n.finished++
	switch {
	case err == nil:
		n.ok++
		n.addLog("── done in " + humanDuration(elapsed))
	case errors.Is(err, plan.ErrSkipped):
		n.addLog("── skipped " + stepName(c.Kind, c.Target))
	default:
		n.addLog("── failed: " + err.Error())
		if n.err == "" {
			n.err = stepName(c.Kind, c.Target) + ": " + oneLine(err.Error())
			n.status = failed
		}
	}
	if n.current != nil && n.current.ID == c.ID {
		n.current = nil
	}
}

func (n *nodeRow) nodeDone(err error, now time.Time) {
	n.current = nil
	if !n.began.IsZero() {
		n.elapsed = now.Sub(n.began)
	}
	switch {
	case n.err != "":
		n.status = failed // a later step may have run and succeeded
	case err == nil:
		n.status = succeeded
	case errors.Is(err, plan.ErrSkipped):
		n.status = skipped
	default:
		n.status = failed
		n.err = oneLine(err.Error())
	}
}

func (n *nodeRow) addLog(line string) {
	n.log = append(n.log, line)
	if len(n.log) > nodeLogKept {
		n.log = n.log[len(n.log)-nodeLogKept:]
	}
}

func (n *nodeRow) logText() string {
	if len(n.log) == 0 {
		return "(nothing yet)"
	}
	return strings.Join(n.log, "\n")
}
