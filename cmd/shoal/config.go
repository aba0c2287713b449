package main

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/shoal-sh/shoal/hcl"
)

// loadConfig reads and checks the config; diagnostics go to stderr (or as
// JSON events) and turn into exit code 1.
func loadConfig(g *globalOptions, v *views) (*hcl.Config, error) {
	vars := map[string]string{}
	for _, kv := range g.vars {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			fmt.Fprintf(g.stderr, "shoal: --var %q: want name=value\n", kv)
			return nil, exitCode(exitError)
		}
		vars[k] = val
	}
	loader := hcl.NewLoader()
	cfg, diags := loader.Load(hcl.LoadOptions{Dir: g.dir, Vars: vars, VarFiles: g.varFiles})
	if len(diags) > 0 {
		v.diagnostics(loader, diags)
	}
	if diags.HasErrors() || cfg == nil {
		return nil, exitCode(exitError)
	}
	return cfg, nil
}

// isTerminal: a tty, not just any character device (/dev/null is one).
func isTerminal(f *os.File) bool {
	return f != nil && term.IsTerminal(int(f.Fd()))
}

func isTerminalWriter(w interface{}) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}
