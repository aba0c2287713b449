package tui

import (
	"time"

	"github.com/shoal-sh/shoal/plan"
)

// pollMsg asks the model to take the hook's queued events and progress.
type pollMsg time.Time

// applyDoneMsg says the executor returned.
type applyDoneMsg struct{ summary plan.Summary }

// contextDoneMsg says the caller's context ended (a signal, a deadline).
type contextDoneMsg struct{}
