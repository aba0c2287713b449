// Package plan owns the plan as plain data (Plan, Change, Action), the
// planner that turns steps and facts into a plan ordered across nodes, and
// the executor that carries a plan out with bounded parallelism and reports
// through the Hook interface. Apply executes a plan and decides nothing
// again.
//
// It must not open SSH connections or render anything: transports come in
// through the steps, views through Hook.
package plan
