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
	redactor *plan.Redactor // hides sensitive variables' values in all output
}

// startSession loads the config and connects to its nodes; what went wrong
// has been printed when it returns an error.
func startSession(ctx context.Context, g *globalOptions, v *views) (*session, error) {
	cfg, compiled, err := compileConfig(g, v, g.targets)
	if err != nil {
		return nil, err
	}
	return openSession(ctx, g, cfg, compiled), nil
}

func openSession(ctx context.Context, g *globalOptions, cfg *hcl.Config, compiled *cluster.Compiled) *session {
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
			targets = append(targets, transport.Target{
				Node: n.Name, Host: n.Host, User: n.User, Port: n.Port,
				IdentityFile: n.IdentityFile, Jump: n.Jump, Sudo: n.Sudo,
			})
		}
	}
	opts := transport.Options{SSHConfig: g.sshConfig, AcceptNewHostKeys: g.acceptNew}
	if g.knownHosts != "" {
		opts.KnownHosts = []string{g.knownHosts}
	}
	conns, errs := transport.DialAll(ctx, targets, opts, g.parallel)
	s := &session{g: g, cfg: cfg, compiled: compiled, conns: conns, hosts: map[string]transport.Host{}, dialErrs: errs,
		redactor: plan.NewRedactor(cfg.SensitiveValues())}
	for n, c := range conns {
		s.hosts[n] = c
	}
	return s
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

// hostsWithChanges are the nodes an apply will touch.
func (s *session) hostsWithChanges(p *plan.Plan) map[string]transport.Host {
	out := map[string]transport.Host{}
	for _, c := range p.Changes {
		if c.Action != plan.NoOp {
			if h, ok := s.hosts[c.Node]; ok {
				out[c.Node] = h
			}
		}
	}
	return out
}
