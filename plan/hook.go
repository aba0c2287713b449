package plan

import "time"

// Hook receives the executor's progress. The plain, JSON and TUI views
// implement it; the executor never imports a view. Calls come from many
// goroutines at once: implementations synchronise themselves and must not
// block for long (the TUI coalesces progress).
type Hook interface {
	// StepStart: a change begins on its node.
	StepStart(c *Change)
	// StepProgress: done so far out of c.Total (may grow past it).
	StepProgress(c *Change, done Progress)
	// StepOutput: one line a command printed (stdout or stderr), for the node's log.
	StepOutput(c *Change, line string)
	// StepDone: the change finished; err is nil on success. Skipped changes
	// (a dependency failed, or the run was stopped) come with ErrSkipped.
	StepDone(c *Change, err error, elapsed time.Duration)
	// NodeDone: every change of the node is finished; err is the first failure.
	NodeDone(node string, err error)
	// Summary: the run is over.
	Summary(s Summary)
}

// Summary counts the outcome of an apply.
type Summary struct {
	Done     int           `json:"done"`
	Failed   int           `json:"failed"`
	Skipped  int           `json:"skipped"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	Stopped  bool          `json:"stopped,omitempty"` // interrupted by the operator
	Failures []Failure     `json:"failures,omitempty"`
}

// Failure is one failed change, named by node and step.
type Failure struct {
	Node  string `json:"node"`
	ID    string `json:"id"`
	Error string `json:"error"`
}

// Reporter is how a running change reports progress and command output;
// the executor turns its calls into Hook calls for that change.
type Reporter interface {
	// Progress: done so far, cumulative.
	Progress(done Progress)
	// Output: one line of a command's output.
	Output(line string)
}
