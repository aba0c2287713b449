package tui

import (
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/shoal-sh/shoal/plan"
)

// RenderOptions shape plain-text output.
type RenderOptions struct {
	NoColor bool // no ANSI colour (also when NO_COLOR is set)
	Width   int  // truncate lines to this many cells; 0: no limit
}

// counts tallies a plan's changes by action.
type counts map[plan.Action]int

func countChanges(cs []*plan.Change) counts {
	n := counts{}
	for _, c := range cs {
		n[c.Action]++
	}
	return n
}

// describe lists the non-zero counts of one node: "2 to create, 1 to change".
func (n counts) describe() string {
	var parts []string
	for _, a := range []struct {
		action plan.Action
		text   string
	}{{plan.Create, "to create"}, {plan.Update, "to change"}, {plan.Delete, "to delete"}} {
		if n[a.action] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[a.action], a.text))
		}
	}
	if n[plan.Conflict] > 0 {
		parts = append(parts, plural(n[plan.Conflict], "conflict", "conflicts"))
	}
	if n[plan.NoOp] > 0 {
		parts = append(parts, fmt.Sprintf("%d unchanged", n[plan.NoOp]))
	}
	return strings.Join(parts, ", ")
}

// planSummary is the plan's last line.
func planSummary(p *plan.Plan) string {
	failed := len(p.Failed())
	if !p.HasChanges() && failed == 0 {
		return "No changes. The hosts match the configuration."
	}
	n := countChanges(p.Changes)
	line := fmt.Sprintf("Plan: %d to create, %d to change, %d to delete", n[plan.Create], n[plan.Update], n[plan.Delete])
	if n[plan.Conflict] > 0 {
		line += ", " + plural(n[plan.Conflict], "conflict", "conflicts")
	}
	if failed > 0 {
		line += ", " + plural(failed, "node", "nodes") + " not read"
	}
	return line + "."
}

// nodeGroup is one node's part of a plan.
type nodeGroup struct {
	name    string
	err     string
	changes []*plan.Change
}

// groupByNode keeps the plan's node order, then adds nodes only changes name.
func groupByNode(p *plan.Plan) []*nodeGroup {
	var groups []*nodeGroup
	byName := map[string]*nodeGroup{}
	add := func(name string) *nodeGroup {
		if g, ok := byName[name]; ok {
			return g
		}
		g := &nodeGroup{name: name}
		byName[name] = g
		groups = append(groups, g)
		return g
	}
	for _, n := range p.Nodes {
		add(n.Name).err = n.Error
	}
	for _, c := range p.Changes {
		g := add(c.Node)
		g.changes = append(g.changes, c)
	}
	return groups
}

// RenderPlan writes p as text: changes grouped by node with their action
// symbols (+ create, ~ update, - delete, ! conflict), each change's summary
// and details indented beneath it, unchanged steps counted but not listed
// unless they carry details (a note such as folders missing on a node),
// nodes whose facts could not be read with their error, a line counting
// everything, and last the conflicts again with what to do.
func RenderPlan(w io.Writer, p *plan.Plan, o RenderOptions) {
	s := newStyles(w, colorWanted(o.NoColor))
	var b strings.Builder
	writePlan(&b, p, s)
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if o.Width > 0 {
			line = ansi.Truncate(line, o.Width, "…")
		}
		fmt.Fprintln(w, line)
	}
}

func writePlan(b *strings.Builder, p *plan.Plan, s styles) {
	writeNodes(b, p, s)
	b.WriteString(s.bold.Render(planSummary(p)) + "\n")
	writeConflicts(b, p, s)
}

// writeConflicts repeats the refused changes after the summary, where a
// long plan ends and the eye lands, with what to do about them.
func writeConflicts(b *strings.Builder, p *plan.Plan, s styles) {
	conflicts := p.Conflicts()
	if len(conflicts) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s\n", s.action[plan.Conflict].Render(fmt.Sprintf("Apply refuses this plan (exit 3): %s would put data at risk.",
		plural(len(conflicts), "conflict", "conflicts"))))
	for _, c := range conflicts {
		fmt.Fprintf(b, "  %s: %s: %s\n", s.node.Render(c.Node), stepName(c.Kind, c.Target), c.Reason)
	}
	b.WriteString("Resolve each as it says, then run `shoal plan` again. Nothing has been changed.\n")
}

// writeNodes writes every node's part of the plan, each followed by a blank line.
func writeNodes(b *strings.Builder, p *plan.Plan, s styles) {
	for _, g := range groupByNode(p) {
		if g.err != "" {
			writeNodeError(b, g, s)
			continue
		}
		n := countChanges(g.changes)
		if n[plan.NoOp] == len(g.changes) {
			fmt.Fprintf(b, "%s  %s\n", s.node.Render(g.name), s.dim.Render("up to date"))
		} else {
			fmt.Fprintf(b, "%s  %s\n", s.node.Render(g.name), s.dim.Render(n.describe()))
		}
		for _, c := range g.changes {
			if c.Action != plan.NoOp || len(c.Details) > 0 {
				writeChange(b, c, s)
			}
		}
		b.WriteString("\n")
	}
}

func writeChange(b *strings.Builder, c *plan.Change, s styles) {
	fmt.Fprintf(b, "  %s %s\n", s.symbol(c.Action), stepName(c.Kind, c.Target))
	if c.Summary != "" {
		fmt.Fprintf(b, "      %s\n", c.Summary)
	}
	for _, d := range c.Details {
		fmt.Fprintf(b, "        %s\n", s.dim.Render(d))
	}
	if c.Action == plan.Conflict && c.Reason != "" {
		fmt.Fprintf(b, "      %s\n", s.action[plan.Conflict].Render("refused: "+c.Reason))
	}
}

// nodeErrorLines is how many lines of a node's error the plan shows.
const nodeErrorLines = 5

// writeNodeError shows why a node's facts could not be read: one line per
// joined error (errors.Join separates them with newlines), at most five.
func writeNodeError(b *strings.Builder, g *nodeGroup, s styles) {
	var lines []string
	for _, l := range strings.Split(g.err, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 1 {
		fmt.Fprintf(b, "%s  %s\n\n", s.node.Render(g.name), s.failed.Render("could not read facts: "+lines[0]))
		return
	}
	fmt.Fprintf(b, "%s  %s\n", s.node.Render(g.name), s.failed.Render("could not read facts:"))
	for i, l := range lines {
		if i == nodeErrorLines {
			fmt.Fprintf(b, "      %s\n", s.dim.Render(fmt.Sprintf("… and %d more", len(lines)-nodeErrorLines)))
			break
		}
		fmt.Fprintf(b, "      %s\n", l)
	}
	b.WriteString("\n")
}
