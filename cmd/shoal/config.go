package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/shoal-sh/shoal/cluster"
	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/steps"
)

// loadConfig reads and checks the config; diagnostics go to stderr (or as
// JSON events) and turn into exit code 1.
func loadConfig(g *globalOptions, v *views) (*hcl.Config, error) {
	cfg, _, err := load(g, v)
	return cfg, err
}

// compileConfig loads the config and compiles it into steps for the
// --target nodes (all without), as plan and apply run it: every block
// evaluated on every node it runs on, relations resolved. Problems are
// diagnostics, as loading's are.
func compileConfig(g *globalOptions, v *views, targets []string) (*hcl.Config, *cluster.Compiled, error) {
	cfg, loader, err := load(g, v)
	if err != nil {
		return nil, nil, err
	}
	compiled, diags := cluster.Compile(cfg, targets)
	if len(diags) > 0 {
		v.diagnostics(loader, diags)
	}
	if diags.HasErrors() || compiled == nil {
		return nil, nil, exitCode(exitError)
	}
	return cfg, compiled, nil
}

func load(g *globalOptions, v *views) (*hcl.Config, *hcl.Loader, error) {
	vars := map[string]string{}
	for _, kv := range g.vars {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			fmt.Fprintf(g.stderr, "shoal: --var %q: want name=value\n", kv)
			return nil, nil, exitCode(exitError)
		}
		vars[k] = val
	}
	loader := hcl.NewLoader(steps.BlockKinds())
	cfg, diags := loader.Load(hcl.LoadOptions{Dir: g.dir, Vars: vars, VarFiles: g.varFiles})
	if len(diags) > 0 {
		v.diagnostics(loader, diags)
	}
	if diags.HasErrors() || cfg == nil {
		return nil, nil, exitCode(exitError)
	}
	return cfg, loader, nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func isTerminalWriter(w interface{}) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}
