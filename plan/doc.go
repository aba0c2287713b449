// Package plan owns the plan as plain data (Plan, Change, Action), the
// executor that carries a plan out (bounded parallelism, dependencies,
// batches, a node's self-checking changes in one unit, safe stop) and
// reports through the Hook interface, and the Redactor that keeps
// sensitive values out of what is shown or saved for showing (it makes
// copies: what the executor runs is never redacted). Package cluster
// makes plans; apply executes one and decides nothing again.
//
// It must not open SSH connections or render anything: the Runner it is
// given does the work, views implement Hook.
package plan
