package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/steps"
	"github.com/shoal-sh/shoal/transport"
)

// echoStep reads one fact (the output of `echo <state>`) and wants "ok".
type echoStep struct {
	node, id, state string
	extra           []steps.NodeFact
}

type echoFact struct{ state string }

func (f echoFact) Key() string     { return "echo:" + f.state }
func (f echoFact) Command() string { return "echo " + f.state }

func (s *echoStep) ID() string   { return s.node + "/echo/" + s.id }
func (s *echoStep) Kind() string { return "echo" }
func (s *echoStep) Node() string { return s.node }
func (s *echoStep) Facts() []steps.NodeFact {
	return append([]steps.NodeFact{{Node: s.node, Fact: echoFact{s.state}}}, s.extra...)
}
func (s *echoStep) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	sec, err := src.Get(ctx, s.node, echoFact{s.state})
	if err != nil {
		return nil, err
	}
	c := &plan.Change{Node: s.node, Kind: "echo", Target: s.id, Action: plan.Update}
	if sec.Output == "ok\n" {
		c.Action, c.Reason = plan.NoOp, "already ok"
	}
	return c, nil
}

func local(names ...string) map[string]transport.Host {
	m := map[string]transport.Host{}
	for _, n := range names {
		m[n] = &transport.Local{NodeName: n}
	}
	return m
}

// relateByHand builds the graph of hand-made entries.
func relateByHand(t *testing.T, entries []steps.Entry) *Compiled {
	t.Helper()
	c, diags := Relate(entries)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return c
}

// after refers to the entries of a block, as built-in relations refer to kinds.
func after(blocks ...string) []steps.Ref {
	var refs []steps.Ref
	for _, b := range blocks {
		refs = append(refs, steps.Ref{Block: b})
	}
	return refs
}

func TestPlanOrdersAcrossNodesAndWiresDependencies(t *testing.T) {
	entries := relateByHand(t, []steps.Entry{
		{Step: &echoStep{node: "web2", id: "link", state: "no"}, Block: "link", After: after("replicate")},
		{Step: &echoStep{node: "web2", id: "replicate", state: "no"}, Block: "replicate", After: after("relocate")},
		{Step: &echoStep{node: "web1", id: "relocate", state: "no"}, Block: "relocate", After: after("mount")},
		{Step: &echoStep{node: "web1", id: "relocate-done", state: "ok"}, Block: "relocate", After: after("mount")},
		{Step: &echoStep{node: "web1", id: "mount", state: "no"}, Block: "mount", After: after("export")},
		{Step: &echoStep{node: "files", id: "export", state: "no"}, Block: "export"},
	})
	pl := &Planner{Nodes: []string{"files", "web1", "web2"}, Hosts: local("files", "web1", "web2"), Parallel: 4}
	p, _ := pl.Plan(context.Background(), entries, "digest")
	type row struct {
		ID     string
		Action plan.Action
		After  []string
	}
	var got []row
	for _, c := range p.Changes {
		got = append(got, row{c.ID, c.Action, c.After})
	}
	want := []row{
		{"files/echo/export", plan.Update, nil},
		{"web1/echo/mount", plan.Update, []string{"files/echo/export"}},
		{"web1/echo/relocate", plan.Update, []string{"web1/echo/mount"}},
		{"web1/echo/relocate-done", plan.NoOp, nil},
		// relocate-done has nothing to do: what it waits for is waited for instead
		{"web2/echo/replicate", plan.Update, []string{"web1/echo/relocate", "web1/echo/mount"}},
		{"web2/echo/link", plan.Update, []string{"web2/echo/replicate"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("plan (-want +got):\n%s", d)
	}
	for _, n := range p.Nodes {
		if n.Error != "" || n.FactsDigest == "" {
			t.Errorf("node %s: %+v", n.Name, n)
		}
	}
}

func TestPlanGoesOnWithoutAnUnreachableNode(t *testing.T) {
	entries := relateByHand(t, []steps.Entry{
		{Step: &echoStep{node: "web1", id: "a", state: "no"}, Site: "s"},
		{Step: &echoStep{node: "web3", id: "a", state: "no"}, Site: "s"},
		{Step: &echoStep{node: "web2", id: "a", state: "no", extra: []steps.NodeFact{{Node: "web3", Fact: echoFact{"x"}}}}, Site: "s"},
	})
	pl := &Planner{
		Nodes:    []string{"web1", "web2", "web3"},
		Hosts:    local("web1", "web2"),
		DialErrs: map[string]error{"web3": errors.New("web3 (10.77.0.13:22): dial: connection refused")},
		Parallel: 2,
	}
	p, _ := pl.Plan(context.Background(), entries, "d")
	if len(p.Changes) != 1 || p.Changes[0].Node != "web1" {
		t.Fatalf("only web1 can be planned, got %+v", p.Changes)
	}
	errs := map[string]string{}
	for _, n := range p.Nodes {
		errs[n.Name] = n.Error
	}
	want := map[string]string{
		"web1": "",
		"web2": "web2/echo/a: needs facts from web3, which failed",
		"web3": "web3 (10.77.0.13:22): dial: connection refused",
	}
	if d := cmp.Diff(want, errs); d != "" {
		t.Error(d)
	}
}

func TestPlanLetsOnePhaseOfANodeRunSideBySide(t *testing.T) {
	entries := relateByHand(t, []steps.Entry{
		{Step: &echoStep{node: "web1", id: "media", state: "no"}, Block: "relocate"},
		{Step: &echoStep{node: "web1", id: "files", state: "no"}, Block: "relocate"},
		{Step: &echoStep{node: "web1", id: "perms", state: "no"}, After: after("relocate")},
	})
	pl := &Planner{Nodes: []string{"web1"}, Hosts: local("web1"), Parallel: 1}
	p, _ := pl.Plan(context.Background(), entries, "d")
	got := map[string][]string{}
	for _, c := range p.Changes {
		got[c.ID] = c.After
	}
	want := map[string][]string{
		"web1/echo/media": nil,
		"web1/echo/files": nil,
		"web1/echo/perms": {"web1/echo/media", "web1/echo/files"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
}

// TestAheadGoesFirstAndOnlyWhenSomethingChanges: an entry going ahead of
// a node's entries (a snapshot before apply) is waited for by each of
// them but those it waits for itself (the trust it pulls with, set up on
// that node), and has nothing to do when none of them changes.
func TestAheadGoesFirstAndOnlyWhenSomethingChanges(t *testing.T) {
	build := func(web1 string) *Compiled {
		return relateByHand(t, []steps.Entry{
			{Step: &echoStep{node: "web1", id: "trust", state: "no"}, Block: "trust"},
			{Step: &echoStep{node: "backup", id: "snapshot", state: "no"}, Block: "snapshot",
				After: after("trust"), Ahead: []steps.Ref{{Node: "web1"}}},
			{Step: &echoStep{node: "web1", id: "config", state: web1}, Block: "config"},
			{Step: &echoStep{node: "web1", id: "reload", state: web1}, Block: "reload", After: []steps.Ref{{Block: "config", Node: "web1", Near: true}}},
			{Step: &echoStep{node: "web2", id: "config", state: "no"}, Block: "config"},
		})
	}
	pl := &Planner{Nodes: []string{"backup", "web1", "web2"}, Hosts: local("backup", "web1", "web2"), Parallel: 4}
	type row struct {
		ID     string
		Action plan.Action
		After  []string
	}
	rows := func(p *plan.Plan) []row {
		var out []row
		for _, c := range p.Changes {
			out = append(out, row{c.ID, c.Action, c.After})
		}
		return out
	}
	p, _ := pl.Plan(context.Background(), build("no"), "digest")
	want := []row{
		{"web1/echo/trust", plan.Update, nil},
		{"web2/echo/config", plan.Update, nil},
		{"backup/echo/snapshot", plan.Update, []string{"web1/echo/trust"}},
		{"web1/echo/config", plan.Update, []string{"backup/echo/snapshot"}},
		{"web1/echo/reload", plan.Update, []string{"web1/echo/config", "backup/echo/snapshot"}},
	}
	if d := cmp.Diff(want, rows(p)); d != "" {
		t.Errorf("changes on web1 (-want +got):\n%s", d)
	}
	if snap := p.Changes[2]; len(snap.Details) != 1 || snap.Details[0] != "before web1/echo/config, web1/echo/reload" {
		t.Errorf("the snapshot's details: %q", snap.Details)
	}

	p, _ = pl.Plan(context.Background(), build("ok"), "digest")
	for _, c := range p.Changes {
		if c.ID == "backup/echo/snapshot" && (c.Action != plan.NoOp || c.Reason != "left alone: nothing on web1 changes") {
			t.Errorf("nothing changes on web1 but the trust, yet the snapshot is %c %q", c.Action, c.Reason)
		}
	}
}

// refuseStep always refuses: it stands for a site root check that failed.
type refuseStep struct{ echoStep }

func (s *refuseStep) Diff(context.Context, facts.Source) (*plan.Change, error) {
	return &plan.Change{Node: s.node, Kind: "echo", Target: s.id, Action: plan.Conflict, Reason: "unsafe ground"}, nil
}

// While a guard refuses, what it guards is left alone, with the reason;
// changes it does not guard are planned as ever.
func TestGuardedChangesWaitForTheirGuard(t *testing.T) {
	guard := &refuseStep{echoStep{node: "web2", id: "root", state: "ok"}}
	entries := relateByHand(t, []steps.Entry{
		{Step: guard},
		{Step: &echoStep{node: "web2", id: "tree", state: "stale"}, Guards: []string{guard.ID()}},
		{Step: &echoStep{node: "web1", id: "tree", state: "stale"}},
	})
	pl := &Planner{Nodes: []string{"web1", "web2"}, Hosts: local("web1", "web2"), Parallel: 4}
	p, _ := pl.Plan(context.Background(), entries, "")
	got := map[string]string{}
	for _, c := range p.Changes {
		got[c.ID] = string(c.Action) + " " + c.Reason
	}
	want := map[string]string{
		"web2/echo/root": "! unsafe ground",
		"web2/echo/tree": "= left alone: web2/echo/root is refused",
		"web1/echo/tree": "~ ",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// globStep stands for one echoStep per word its fact prints, like a
// dynamic_dir pattern stands for one relocation per match.
type globStep struct {
	node, id, words string
}

func (s *globStep) ID() string   { return s.node + "/echo/" + s.id }
func (s *globStep) Kind() string { return "echo" }
func (s *globStep) Node() string { return s.node }
func (s *globStep) Facts() []steps.NodeFact {
	return []steps.NodeFact{{Node: s.node, Fact: echoFact{s.words}}}
}
func (s *globStep) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	return &plan.Change{Node: s.node, Kind: "echo", Target: s.id, Action: plan.NoOp, Reason: "stands for " + s.words}, nil
}
func (s *globStep) Expand(ctx context.Context, src facts.Source) ([]steps.Step, error) {
	sec, err := src.Get(ctx, s.node, echoFact{s.words})
	if err != nil {
		return nil, err
	}
	var out []steps.Step
	for _, w := range strings.Fields(sec.Output) {
		out = append(out, &echoStep{node: s.node, id: s.id + "/" + w, state: w})
	}
	return out, nil
}

// countingHost counts the sessions a node is asked for.
type countingHost struct {
	transport.Host
	runs *int
}

func (h countingHost) Run(ctx context.Context, c transport.Command) error {
	*h.runs++
	return h.Host.Run(ctx, c)
}

func TestPlanExpandsStepsThatStandForOthers(t *testing.T) {
	c := relateByHand(t, []steps.Entry{
		{Step: &echoStep{node: "web1", id: "mount", state: "no"}, Block: "mount"},
		{Step: &globStep{node: "web1", id: "files", words: "a ok"}, Site: "s", Block: "dynamic_dir.files", After: after("mount")},
		{Step: &echoStep{node: "web1", id: "perms", state: "no"}, After: []steps.Ref{{Site: "s", Block: "dynamic_dir.files"}}},
	})
	runs := 0
	pl := &Planner{Nodes: []string{"web1"}, Hosts: map[string]transport.Host{"web1": countingHost{&transport.Local{NodeName: "web1"}, &runs}}, Parallel: 2}
	for round := 1; round <= 2; round++ {
		runs = 0
		p, _ := pl.Plan(context.Background(), c, "d")
		got := map[string][]string{}
		for _, ch := range p.Changes {
			got[ch.ID+" "+string(ch.Action)] = ch.After
			if ch.Target == "files/a" && ch.Site != "s" {
				t.Errorf("an expanded change keeps its expander's site: %+v", ch)
			}
		}
		want := map[string][]string{
			"web1/echo/mount ~":    nil,
			"web1/echo/files =":    nil,
			"web1/echo/files/a ~":  {"web1/echo/mount"}, // the expander's relations
			"web1/echo/files/ok =": nil,
			"web1/echo/perms ~":    {"web1/echo/mount", "web1/echo/files/a"}, // waits for the expansions too
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("round %d (-want +got):\n%s", round, d)
		}
		if runs != 2 {
			t.Errorf("round %d: %d sessions, want 2 (the facts, then the expanded steps' facts)", round, runs)
		}
		if len(c.Entries) != 5 {
			t.Errorf("round %d: %d entries for the runner, want the 3 compiled and 2 expanded", round, len(c.Entries))
		}
	}
}

func TestPlanWithoutExpansionsGathersOnce(t *testing.T) {
	c := relateByHand(t, []steps.Entry{{Step: &globStep{node: "web1", id: "files", words: ""}}})
	runs := 0
	pl := &Planner{Nodes: []string{"web1"}, Hosts: map[string]transport.Host{"web1": countingHost{&transport.Local{NodeName: "web1"}, &runs}}, Parallel: 1}
	if p, _ := pl.Plan(context.Background(), c, "d"); len(p.Changes) != 1 || runs != 1 {
		t.Errorf("%d changes, %d sessions; want the expander's NoOp and one session", len(p.Changes), runs)
	}
}

// A follower whose references find nothing on its node (a reload after
// a replicate, on the primary) follows nothing that changes.
func TestFollowerOfNothingIsLeftAlone(t *testing.T) {
	c := relateByHand(t, []steps.Entry{
		{Step: &echoStep{node: "web1", id: "reload", state: "no"}, OnChange: []steps.Ref{{Node: "web1", Kind: "replicate"}}},
	})
	pl := &Planner{Nodes: []string{"web1"}, Hosts: local("web1"), Parallel: 1}
	p, _ := pl.Plan(context.Background(), c, "d")
	if len(p.Changes) != 1 || p.Changes[0].Action != plan.NoOp || !strings.Contains(p.Changes[0].Reason, "nothing it follows") {
		t.Errorf("want a NoOp left alone, got %+v", p.Changes[0])
	}
}

// pollStep reads, optionally, one fact on each of its peers and reports
// which it could not read: a step that must keep going when a node it
// only looks at is down (dns keeping a web node's record).
type pollStep struct {
	node  string
	peers []string
}

func (s *pollStep) ID() string              { return s.node + "/poll/x" }
func (s *pollStep) Kind() string            { return "poll" }
func (s *pollStep) Node() string            { return s.node }
func (s *pollStep) Facts() []steps.NodeFact { return nil }
func (s *pollStep) OptionalFacts() []steps.NodeFact {
	var out []steps.NodeFact
	for _, p := range s.peers {
		out = append(out, steps.NodeFact{Node: p, Fact: echoFact{"up"}})
	}
	return out
}
func (s *pollStep) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	var down []string
	for _, p := range s.peers {
		if _, err := src.Get(ctx, p, echoFact{"up"}); err != nil {
			down = append(down, p+": "+err.Error())
		}
	}
	return &plan.Change{Node: s.node, Kind: "poll", Target: "x", Action: plan.NoOp, Reason: strings.Join(down, "; ")}, nil
}

// TestPlanReadsOptionalFactsOfNodesThatMayBeDown: a node read only for
// optional facts that can't be reached neither fails the step that reads
// it nor the plan; the step sees the node's own error.
func TestPlanReadsOptionalFactsOfNodesThatMayBeDown(t *testing.T) {
	entries := relateByHand(t, []steps.Entry{{Step: &pollStep{node: "dns", peers: []string{"web1", "web2"}}}})
	pl := &Planner{
		Nodes:    []string{"dns", "web1", "web2"},
		Hosts:    local("dns", "web1"),
		DialErrs: map[string]error{"web2": errors.New("web2 (10.77.0.12:22): dial: connection refused")},
		Parallel: 2,
	}
	p, set := pl.Plan(context.Background(), entries, "d")
	if len(p.Failed()) != 0 {
		t.Errorf("a node read only for optional facts failed the plan: %+v", p.Failed())
	}
	if len(p.Changes) != 1 || p.Changes[0].Reason != "web2: web2 (10.77.0.12:22): dial: connection refused" {
		t.Fatalf("the step should see web2's own error, and only web2's: %+v", p.Changes)
	}
	if got := set.Keys("web1"); len(got) != 1 || got[0] != "echo:up" {
		t.Errorf("web1's optional fact was not gathered with its others: %v", got)
	}
}
