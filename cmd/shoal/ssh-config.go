package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/transport"
)

func newSSHConfigCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "ssh-config [NODE...]",
		Short: "Show how each node is reached, and where each setting came from, without connecting",
		Long: `For each node (all of them, or those named), the route shoal takes: every SSH
server on the way (jump hosts first, each with its ProxyCommand if any), as
user@host:port, with the keys it would offer in order, the agent, the
known_hosts files and the host key policy, and where each setting came from:
the node block, a shoal flag, ssh_config as resolved by ` + "`ssh -G`" + ` (or by
shoal's own reader when no ssh client is installed), or shoal's defaults.`,
		Example: `  shoal ssh-config
  shoal ssh-config web1 files
  shoal -F lab/ssh_config ssh-config --json web2`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return exitFor(runSSHConfig(cmd, g, args))
		},
	}
}

func runSSHConfig(cmd *cobra.Command, g *globalOptions, names []string) int {
	v := newViews(g)
	cfg, err := loadConfig(g, v)
	if err != nil {
		return exitError
	}
	nodes, err := pickNodes(cfg, names)
	if err != nil {
		fmt.Fprintln(g.stderr, "shoal:", err)
		return exitError
	}
	var targets []transport.Target
	for _, n := range nodes {
		targets = append(targets, transportTarget(n))
	}
	resolver, routes := transport.Describe(cmd.Context(), targets, transportOptions(g, v))
	if g.json {
		printRoutesJSON(g, resolver, routes)
	} else {
		printRoutes(g, resolver, routes)
	}
	for _, r := range routes {
		if r.Err != nil {
			return exitError
		}
	}
	return exitOK
}

// pickNodes are the nodes named, in config order, or every node.
func pickNodes(cfg *hcl.Config, names []string) ([]*hcl.Node, error) {
	if len(names) == 0 {
		return cfg.Nodes, nil
	}
	var picked []*hcl.Node
	var all []string
	for _, n := range cfg.Nodes {
		all = append(all, n.Name)
		if slices.Contains(names, n.Name) {
			picked = append(picked, n)
		}
	}
	for _, name := range names {
		if !slices.Contains(all, name) {
			return nil, fmt.Errorf("no node %q in the config (nodes: %s)", name, strings.Join(all, ", "))
		}
	}
	return picked, nil
}

func printRoutes(g *globalOptions, resolver string, routes []transport.Route) {
	fmt.Fprintf(g.stdout, "ssh_config is resolved by %s.\n", resolver)
	for _, r := range routes {
		fmt.Fprintln(g.stdout)
		if r.Err != nil {
			fmt.Fprintf(g.stdout, "%s: cannot be reached: %v\n", r.Node, r.Err)
			continue
		}
		fmt.Fprintf(g.stdout, "%s: %s\n", r.Node, routeSummary(r))
		for _, h := range r.Hops {
			switch {
			case h.Role != "node":
				fmt.Fprintf(g.stdout, "  %s %s\n", h.Role, h.Name)
			case h.Name != r.Node:
				fmt.Fprintf(g.stdout, "  node %s (host %s)\n", r.Node, h.Name)
			default:
				fmt.Fprintf(g.stdout, "  node %s\n", r.Node)
			}
			w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			for i, s := range h.Settings {
				name := s.Name
				if i > 0 && h.Settings[i-1].Name == s.Name {
					name = ""
				}
				fmt.Fprintf(w, "    %s\t%s\t%s\n", name, s.Value, s.Source)
			}
			w.Flush()
		}
	}
}

// routeSummary is "user@host:port", then " via" each jump host.
func routeSummary(r transport.Route) string {
	node := r.Hops[len(r.Hops)-1]
	summary := node.Endpoint
	for i := len(r.Hops) - 2; i >= 0; i-- {
		summary += " via " + r.Hops[i].Endpoint
	}
	for _, s := range r.Hops[0].Settings {
		if s.Name == "proxy command" {
			summary += " via `" + s.Value + "`"
		}
	}
	return summary
}

// printRoutesJSON emits one "route" event per node.
func printRoutesJSON(g *globalOptions, resolver string, routes []transport.Route) {
	type setting struct {
		Name   string `json:"name"`
		Value  string `json:"value"`
		Source string `json:"source"`
	}
	type hop struct {
		Role     string    `json:"role"`
		Name     string    `json:"name"`
		Endpoint string    `json:"endpoint"`
		Settings []setting `json:"settings"`
	}
	type event struct {
		V        int    `json:"v"`
		Type     string `json:"type"`
		Node     string `json:"node"`
		Resolver string `json:"resolver"`
		Hops     []hop  `json:"hops,omitempty"`
		Error    string `json:"error,omitempty"`
	}
	enc := json.NewEncoder(g.stdout)
	enc.SetEscapeHTML(false)
	for _, r := range routes {
		e := event{V: 1, Type: "route", Node: r.Node, Resolver: resolver}
		if r.Err != nil {
			e.Error = r.Err.Error()
		}
		for _, h := range r.Hops {
			jh := hop{Role: h.Role, Name: h.Name, Endpoint: h.Endpoint}
			for _, s := range h.Settings {
				jh.Settings = append(jh.Settings, setting(s))
			}
			e.Hops = append(e.Hops, jh)
		}
		_ = enc.Encode(e)
	}
}
