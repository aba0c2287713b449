package main

import (
	"context"

	"github.com/shoal-sh/shoal/cluster"
	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

// session is one run's connections: one SSH connection per node, opened
// in parallel, closed at the end.
type session struct {
	g        *globalOptions
	cfg      *hcl.Config
	compiled *cluster.Compiled
	conns    map[string]*transport.Conn
	hosts    map[string]transport.Host
	dialErrs map[string]error
	redactor *plan.Redactor // hides sensitive variables' values in all output
}

// startSession loads the config and connects to its nodes; what went wrong
// has been printed when it returns an error.
func startSession(ctx context.Context, g *globalOptions, v *views) (*session, error) {
	cfg, compiled, err := compileConfig(g, v, g.targets)
	if err != nil {
		return nil, err
	}
	return openSession(ctx, g, v, cfg, compiled), nil
}

func openSession(ctx context.Context, g *globalOptions, v *views, cfg *hcl.Config, compiled *cluster.Compiled) *session {
	need := map[string]bool{}
	for _, e := range compiled.Entries {
		need[e.Step.Node()] = true
		for _, nf := range e.Step.Facts() {
			need[nf.Node] = true
		}
	}
	var targets []transport.Target
	for _, n := range cfg.Nodes {
		if need[n.Name] {
			targets = append(targets, transportTarget(n))
		}
	}
	conns, errs := transport.DialAll(ctx, targets, transportOptions(g, v), g.parallel)
	s := &session{g: g, cfg: cfg, compiled: compiled, conns: conns, hosts: map[string]transport.Host{}, dialErrs: errs,
		redactor: plan.NewRedactor(cfg.SensitiveValues())}
	for n, c := range conns {
		s.hosts[n] = c
	}
	return s
}

// transportTarget is how to reach a node, as its node block says.
func transportTarget(n *hcl.Node) transport.Target {
	return transport.Target{Node: n.Name, Host: n.Host, User: n.User, Port: n.Port,
		IdentityFile: n.IdentityFile, Jump: n.Jump, Sudo: n.Sudo}
}

// transportOptions are the flags' say on every connection of a run.
func transportOptions(g *globalOptions, v *views) transport.Options {
	o := transport.Options{SSHConfig: g.sshConfig, AcceptNewHostKeys: g.acceptNew, Log: v.log}
	if g.knownHosts != "" {
		o.KnownHosts = []string{g.knownHosts}
	}
	return o
}

func (s *session) close() {
	for _, c := range s.conns {
		_ = c.Close()
	}
}

// nodeNames lists the nodes this run touches, in config order.
func (s *session) nodeNames() []string {
	var names []string
	for _, n := range s.cfg.Nodes {
		if _, ok := s.conns[n.Name]; ok {
			names = append(names, n.Name)
		} else if _, ok := s.dialErrs[n.Name]; ok {
			names = append(names, n.Name)
		}
	}
	return names
}

// plan gathers facts and diffs; what it returns is fit to show and save
// (sensitive values hidden), and still fit to apply.
func (s *session) plan(ctx context.Context) *plan.Plan {
	pl := &cluster.Planner{Nodes: s.nodeNames(), Hosts: s.hosts, DialErrs: s.dialErrs, Parallel: s.g.parallel}
	p, _ := pl.Plan(ctx, s.compiled, s.cfg.Digest)
	return s.redactor.Plan(p)
}

// hostsWithChanges are the nodes an apply will touch: those with changes
// and those a change writes on besides its own (Change.Touches).
func (s *session) hostsWithChanges(p *plan.Plan) map[string]transport.Host {
	out := map[string]transport.Host{}
	for _, c := range p.Changes {
		if c.Action == plan.NoOp {
			continue
		}
		for _, n := range append([]string{c.Node}, c.Touches...) {
			if h, ok := s.hosts[n]; ok {
				out[n] = h
			}
		}
	}
	return out
}
