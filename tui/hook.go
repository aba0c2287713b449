package tui

import (
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/spinner"

	"github.com/shoal-sh/shoal/plan"
)

// pollEvery is how often the live view takes the hook's news: ten times a
// second is smooth to watch and costs the apply nothing measurable.
const pollEvery = 100 * time.Millisecond

// calmSpinner is MiniDot at 5 frames a second instead of 12: with the poll
// above it keeps redraws near 15 a second, so watching costs the apply
// little CPU on a small machine (bench/ui.sh measures it).
var calmSpinner = spinner.Spinner{Frames: spinner.MiniDot.Frames, FPS: time.Second / 5}

type hookEventKind int

const (
	stepStarted hookEventKind = iota
	stepOutput
	stepFinished
	nodeFinished
)

// hookEvent is one hook call other than progress, kept in order.
type hookEvent struct {
	kind    hookEventKind
	change  *plan.Change
	node    string
	line    string
	err     error
	elapsed time.Duration
}

// liveHook is the TUI's plan.Hook. It never blocks the executor: calls only
// append to a queue under a mutex, progress keeps just the latest amount per
// change, and the model drains both on its poll tick.
type liveHook struct {
	mu       sync.Mutex
	events   []hookEvent
	progress map[string]plan.Progress // change ID → latest amount
}

var _ plan.Hook = (*liveHook)(nil)

func newLiveHook() *liveHook {
	return &liveHook{progress: map[string]plan.Progress{}}
}

func (h *liveHook) add(e hookEvent) {
	h.mu.Lock()
	h.events = append(h.events, e)
	h.mu.Unlock()
}

func (h *liveHook) StepStart(c *plan.Change) { h.add(hookEvent{kind: stepStarted, change: c}) }

func (h *liveHook) StepOutput(c *plan.Change, line string) {
	h.add(hookEvent{kind: stepOutput, change: c, line: line})
}

func (h *liveHook) StepDone(c *plan.Change, err error, elapsed time.Duration) {
	h.add(hookEvent{kind: stepFinished, change: c, err: err, elapsed: elapsed})
}

func (h *liveHook) NodeDone(node string, err error) {
	h.add(hookEvent{kind: nodeFinished, node: node, err: err})
}

func (h *liveHook) StepProgress(c *plan.Change, done plan.Progress) {
	h.mu.Lock()
	h.progress[c.ID] = done
	h.mu.Unlock()
}

// Summary is not needed here: Run takes the Summary the Executor returns.
func (h *liveHook) Summary(plan.Summary) {}

// drain hands over everything since the last drain.
func (h *liveHook) drain() ([]hookEvent, map[string]plan.Progress) {
	h.mu.Lock()
	defer h.mu.Unlock()
	events, progress := h.events, h.progress
	h.events, h.progress = nil, map[string]plan.Progress{}
	return events, progress
}
