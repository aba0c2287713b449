// Package tui owns how shoal shows a plan and an apply to people and to
// machines: RenderPlan prints a plan as text, Plain and JSON are the line and
// NDJSON views of the executor's plan.Hook, and Run is the bubbletea program
// that reviews a plan and watches it being applied.
//
// It must not import SSH, transports or steps, and must not decide anything:
// it shows plan.Plan and the hook's events, and tells the caller whether the
// operator approved. It never opens /dev/tty; UseTUI decides from the
// caller's stdin and stdout alone.
package tui
