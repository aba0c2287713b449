package main

import (
	"fmt"
	"sync"

	hashicl "github.com/hashicorp/hcl/v2"

	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/tui"
)

// views picks how a command speaks: text or NDJSON.
type views struct {
	g    *globalOptions
	json *tui.JSON // nil in text mode

	logMu sync.Mutex
}

func newViews(g *globalOptions) *views {
	v := &views{g: g}
	if g.json {
		v.json = tui.NewJSON(g.stdout)
	}
	return v
}

func (v *views) renderOptions() tui.RenderOptions {
	return tui.RenderOptions{NoColor: v.g.noColor || !isTerminalWriter(v.g.stdout)}
}

func (v *views) diagnostics(loader *hcl.Loader, diags hashicl.Diagnostics) {
	if v.json != nil {
		for _, d := range diags {
			subject := ""
			if d.Subject != nil {
				subject = d.Subject.String()
			}
			sev := "error"
			if d.Severity == hashicl.DiagWarning {
				sev = "warning"
			}
			v.json.Diagnostic(sev, d.Summary, d.Detail, subject)
		}
		return
	}
	_ = loader.WriteDiagnostics(v.g.stderr, diags, !v.g.noColor && isTerminalWriter(v.g.stderr))
}

// plan prints a plan: text to stdout, or one "plan" event.
func (v *views) plan(p *plan.Plan) {
	if v.json != nil {
		v.json.Plan(p)
		return
	}
	tui.RenderPlan(v.g.stdout, p, v.renderOptions())
}

// hook is the progress view for a non-interactive apply.
func (v *views) hook() plan.Hook {
	if v.json != nil {
		return v.json
	}
	return tui.NewPlain(v.g.stdout, v.renderOptions())
}

// log is what a connection has to say outside any step (a ProxyCommand's
// stderr, which ssh_config reader is in use): a line on stderr, or a
// warning event.
func (v *views) log(node, line string) {
	if node != "" {
		line = node + ": " + line
	}
	if v.json != nil {
		v.json.Diagnostic("warning", line, "", node)
		return
	}
	v.logMu.Lock()
	defer v.logMu.Unlock()
	fmt.Fprintln(v.g.stderr, "shoal:", line)
}
