package main

import (
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

// An apply locks the nodes with changes and the nodes those changes write
// on besides their own (ssh_trust authorizes a key on another node), and
// no node whose changes are all no-ops.
func TestApplyLocksTheNodesChangesTouch(t *testing.T) {
	s := &session{hosts: map[string]transport.Host{}}
	for _, n := range []string{"web1", "web2", "web3", "files"} {
		s.hosts[n] = &transport.Local{NodeName: n}
	}
	p := &plan.Plan{Changes: []*plan.Change{
		{ID: "web2/ssh_trust/k", Node: "web2", Action: plan.Create, Touches: []string{"web1"}},
		{ID: "web3/ssh_trust/k", Node: "web3", Action: plan.NoOp, Touches: []string{"files"}},
	}}
	var got []string
	for n := range s.hostsWithChanges(p) {
		got = append(got, n)
	}
	sort.Strings(got)
	if diff := cmp.Diff([]string{"web1", "web2"}, got); diff != "" {
		t.Errorf("locked nodes (-want +got):\n%s", diff)
	}
}
