package main

import (
	"context"

	"github.com/shoal-sh/shoal/cluster"
	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/steps"
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
	targets  map[string]transport.Target // how each node was reached, to reach it again
	dialOpts transport.Options
	redactor *plan.Redactor // hides sensitive variables' values in what is shown or saved, never in what runs
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
		for _, nf := range steps.AllFacts(e.Step) {
			need[nf.Node] = true
		}
	}
	var targets []transport.Target
	for _, n := range cfg.Nodes {
		if need[n.Name] {
			targets = append(targets, transportTarget(n))
		}
	}
	opts := transportOptions(g, v)
	conns, errs := transport.DialAll(ctx, targets, opts, g.parallel)
	s := &session{g: g, cfg: cfg, compiled: compiled, conns: conns, hosts: map[string]transport.Host{}, dialErrs: errs,
		targets: map[string]transport.Target{}, dialOpts: opts, redactor: plan.NewRedactor(cfg.SensitiveValues())}
	for n, c := range conns {
		s.hosts[n] = c
	}
	for _, t := range targets {
		s.targets[t.Node] = t
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

// lock takes the apply lock on every node the run reaches, before
// anything is read: the plan an apply carries out is then the plan of
// hosts no other apply is changing. A connection lost on the way is
// dialled again to release its node's lock at the end.
func (s *session) lock(ctx context.Context, force bool) (unlock func() error, err error) {
	l := cluster.Locker{Force: force, Redial: func(ctx context.Context, node string) (transport.Host, func(), error) {
		c, err := transport.Dial(ctx, s.targets[node], s.dialOpts)
		if err != nil {
			return nil, nil, err
		}
		return c, func() { _ = c.Close() }, nil
	}}
	return l.Lock(ctx, s.hosts)
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

// plan gathers facts and diffs. What it returns is what apply executes,
// sensitive values and all: show s.redactor.Plan(p), save
// s.redactor.Saved(p), never the plan itself.
func (s *session) plan(ctx context.Context) *plan.Plan {
	pl := &cluster.Planner{Nodes: s.nodeNames(), Hosts: s.hosts, DialErrs: s.dialErrs, Parallel: s.g.parallel}
	p, _ := pl.Plan(ctx, s.compiled, s.cfg.Digest)
	return p
}
