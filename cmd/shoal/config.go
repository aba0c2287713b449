package main

import (
	"fmt"
	"os"
	"strings"

	hashicl "github.com/hashicorp/hcl/v2"
	"golang.org/x/term"

	"github.com/shoal-sh/shoal/cluster"
	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/steps"
)

// loadConfig reads and checks the config; diagnostics go to stderr (or as
// JSON events) and turn into exit code 1.
func loadConfig(g *globalOptions, v *views) (*hcl.Config, error) {
	cfg, _, _, err := load(g, v)
	return cfg, err
}

// compileConfig loads the config and compiles it into steps for the
// --target nodes (all without), as plan and apply run it: every block
// evaluated on every node it runs on, relations resolved. Problems are
// diagnostics, as loading's are.
func compileConfig(g *globalOptions, v *views, targets []string) (*hcl.Config, *cluster.Compiled, error) {
	cfg, loader, shown, err := load(g, v)
	if err != nil {
		return nil, nil, err
	}
	compiled, diags := cluster.Compile(cfg, targets)
	if fresh := unshown(diags, shown); len(fresh) > 0 {
		v.diagnostics(loader, fresh)
	}
	if diags.HasErrors() || compiled == nil {
		return nil, nil, exitCode(exitError)
	}
	return cfg, compiled, nil
}

// load reads and checks the config, and returns the diagnostics it
// printed (warnings, when it succeeds).
func load(g *globalOptions, v *views) (*hcl.Config, *hcl.Loader, hashicl.Diagnostics, error) {
	vars := map[string]string{}
	for _, kv := range g.vars {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			fmt.Fprintf(g.stderr, "shoal: --var %q: want name=value\n", kv)
			return nil, nil, nil, exitCode(exitError)
		}
		vars[k] = val
	}
	loader := hcl.NewLoader(steps.BlockKinds())
	cfg, diags := loader.Load(hcl.LoadOptions{Dir: g.dir, Vars: vars, VarFiles: g.varFiles})
	if len(diags) > 0 {
		v.diagnostics(loader, diags)
	}
	if diags.HasErrors() || cfg == nil {
		return nil, nil, nil, exitCode(exitError)
	}
	return cfg, loader, diags, nil
}

// unshown drops the diagnostics already printed: a block's check runs at
// load and again on each node at compile, and would warn twice.
func unshown(diags, shown hashicl.Diagnostics) hashicl.Diagnostics {
	key := func(d *hashicl.Diagnostic) string {
		return fmt.Sprintf("%d\x00%s\x00%s\x00%v", d.Severity, d.Summary, d.Detail, d.Subject)
	}
	seen := map[string]bool{}
	for _, d := range shown {
		seen[key(d)] = true
	}
	var out hashicl.Diagnostics
	for _, d := range diags {
		if !seen[key(d)] {
			out = append(out, d)
		}
	}
	return out
}

// isTerminal: a tty, not just any character device (/dev/null is one).
func isTerminal(f *os.File) bool {
	return f != nil && term.IsTerminal(int(f.Fd()))
}

func isTerminalWriter(w interface{}) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}
