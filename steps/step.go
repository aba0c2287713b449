package steps

import (
	"context"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

// Step is one piece of desired state on one node.
type Step interface {
	// ID is unique in a run: "<node>/<kind>/<target>"; it becomes Change.ID.
	ID() string
	Kind() string
	Node() string
	// Facts lists what the step reads, per node (usually only its own);
	// the planner gathers all of a node's facts in one round trip.
	Facts() []NodeFact
	// Diff compares facts with the desired state. A converged step returns
	// a NoOp change with its Reason; an unsafe one a Conflict change.
	// Diff may ask src for facts it did not declare (one more round trip).
	Diff(ctx context.Context, src facts.Source) (*plan.Change, error)
}

// Applier is a Step that carries out its own change on its node.
type Applier interface {
	Step
	Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error
}

// Scripter is an Applier whose change, at least in some states, is carried
// out by one script that checks on the node everything it relies on and
// reads nothing beforehand; a node's ready Scripter changes can then share
// one session instead of one each.
type Scripter interface {
	Applier
	// ApplyScript returns the script that carries out c, or "" when c
	// needs Apply (progress to report, facts to read first, bad input).
	ApplyScript(c *plan.Change) string
}

// BatchApplier is a Step whose changes on several nodes run as one
// operation (replicate: read the primary once, stream to every replica).
// Every change of the batch has Change.Batch set to the same key.
type BatchApplier interface {
	Step
	ApplyBatch(ctx context.Context, hosts map[string]transport.Host, cs []*plan.Change, r func(*plan.Change) Reporter) error
}

// HostsApplier is a Step whose change touches more nodes than its own
// (ssh_trust: a key made on one node, authorized on another); it gets
// every node's connection.
type HostsApplier interface {
	Step
	ApplyHosts(ctx context.Context, hosts map[string]transport.Host, c *plan.Change, r Reporter) error
}

// Expander is a Step that stands for steps only facts can name: a
// dynamic_dir "sites/*/files" is one relocation per folder the primary's
// tree holds there. The planner gathers its facts with every other
// step's, asks Expand for the steps, gathers theirs in one more round
// trip per node, and plans them as well, each in the expander's place:
// the same site and block, the same relations. Its own change is a NoOp
// that says what it stands for.
type Expander interface {
	Step
	Expand(ctx context.Context, src facts.Source) ([]Step, error)
}

// Writer is a Step that writes files on its node: steps of one node that
// write the same file run one after the other, in the order they were
// declared, so no two edits race.
type Writer interface {
	Writes() []string
}

// OptionalReader is a Step that also reads nodes that may be down (dns
// reads the web nodes its records point at): their facts are gathered
// with each node's others when it answers; when it does not, Diff gets
// that node's error from the source and decides what it means (dns keeps
// the node's records, and the plan says so). A node read only this way
// stops neither the plan nor apply.
type OptionalReader interface {
	OptionalFacts() []NodeFact
}

// AllFacts is every fact s reads: its own and, for an OptionalReader,
// the optional ones.
func AllFacts(s Step) []NodeFact {
	if o, ok := s.(OptionalReader); ok {
		return append(s.Facts(), o.OptionalFacts()...)
	}
	return s.Facts()
}

// NodeFact is a fact to gather on a node.
type NodeFact struct {
	Node string
	Fact facts.Fact
}

// Reporter is how a running step reports progress and command output.
type Reporter = plan.Reporter
