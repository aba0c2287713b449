package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/shoal-sh/shoal/plan"
)

func (m *model) View() string {
	switch m.phase {
	case reviewing:
		return m.reviewView()
	case applying:
		if m.showLog {
			return m.logView()
		}
		return m.liveView()
	case finished:
		return m.finalView()
	}
	return "" // cancelled: the plan is printed above; the caller says so
}

// fit truncates one line to the screen so nothing ever wraps.
func (m *model) fit(line string) string {
	return ansi.Truncate(line, m.width, "…")
}

// lines joins blocks of text, fitting every line of them to the screen.
func (m *model) lines(blocks ...string) string {
	var out []string
	for _, b := range blocks {
		for _, l := range strings.Split(b, "\n") {
			out = append(out, strings.TrimRight(m.fit(l), " "))
		}
	}
	return strings.Join(out, "\n")
}

func (m *model) title(what string) string {
	parts := []string{m.style.bold.Render("shoal apply")}
	if m.opts.Site != "" {
		parts = append(parts, m.opts.Site)
	}
	return strings.Join(append(parts, what), m.style.dim.Render(" · "))
}

// planText is the plan as the review shows it, fitted to the screen.
func (m *model) planText() string {
	var b strings.Builder
	writeNodes(&b, m.plan, m.style)
	return m.lines(strings.TrimSuffix(b.String(), "\n\n"))
}

func (m *model) reviewView() string {
	prompt := m.style.bold.Render("Apply these changes?") + " " + m.style.dim.Render("y/enter to apply, n/q/esc to cancel")
	if m.notice != "" {
		prompt = m.style.failed.Render(m.notice)
	}
	scroll := ""
	if total := m.review.TotalLineCount(); total > m.review.Height {
		last := min(total, m.review.YOffset+m.review.Height)
		scroll = m.style.dim.Render(fmt.Sprintf(" · lines %d–%d of %d", m.review.YOffset+1, last, total))
	}
	return m.lines(
		m.title("review the plan")+scroll,
		m.review.View(),
		m.style.bold.Render(planSummary(m.plan)),
		prompt,
		m.help.View(m.keys.reviewHelp()),
	)
}

func (m *model) elapsed() time.Duration {
	return m.now().Sub(m.started)
}

func (m *model) header() []string {
	nodes := plural(len(m.nodes), "node", "nodes")
	title := m.title(nodes + m.style.dim.Render(" · ") + clock(m.elapsed()))
	bar := m.bar
	bar.Width = min(40, max(10, m.width-24))
	pct := 0.0
	if m.totalSteps > 0 {
		pct = float64(m.doneSteps) / float64(m.totalSteps)
	}
	overall := fmt.Sprintf("%s %3.0f%%  %d/%d steps", bar.ViewAs(pct), pct*100, m.doneSteps, m.totalSteps)
	return []string{title, overall, ""}
}

func (m *model) liveView() string {
	out := m.header()
	footer := []string{""}
	if m.notice != "" {
		footer = append(footer, m.style.warn.Render(m.notice))
	}
	footer = append(footer, strings.Split(m.help.View(m.keys.liveHelp()), "\n")...)
	room := max(1, m.height-len(out)-len(footer))
	out = append(out, m.rowsFitting(room)...)
	return m.lines(append(out, footer...)...)
}

// rowsFitting renders as many node rows as fit in room lines, keeping the
// selected node visible and saying how many are hidden.
func (m *model) rowsFitting(room int) []string {
	if len(m.nodes) <= room {
		var out []string
		for i := range m.nodes {
			out = append(out, m.row(i))
		}
		return out
	}
	shown := max(1, room-1)
	first := min(max(0, m.selected-shown/2), len(m.nodes)-shown)
	var out []string
	for i := first; i < first+shown; i++ {
		out = append(out, m.row(i))
	}
	hidden := len(m.nodes) - shown
	return append(out, m.style.dim.Render(fmt.Sprintf("  … %d more (↑/↓)", hidden)))
}

func (m *model) nameWidth() int {
	w := 4
	for _, n := range m.nodes {
		w = max(w, ansi.StringWidth(n.name))
	}
	return min(w, 16)
}

func (m *model) mark(n *nodeRow) string {
	switch n.status {
	case running:
		return m.spinner.View()
	case succeeded:
		return m.style.ok.Render("✓")
	case failed:
		return m.style.failed.Render("✗")
	case skipped:
		return m.style.warn.Render("–")
	}
	return m.style.dim.Render("·")
}

// row is one node: selection, status mark, name, what it does now.
func (m *model) row(i int) string {
	n := m.nodes[i]
	cursor := " "
	name := fmt.Sprintf("%-*s", m.nameWidth(), ansi.Truncate(n.name, m.nameWidth(), "…"))
	if i == m.selected {
		cursor = m.style.bold.Render("›")
		name = m.style.bold.Render(name)
	}
	left := cursor + " " + m.mark(n) + " " + name + "  "
	room := m.width - ansi.StringWidth(left)
	return left + m.rowDetail(n, room)
}

func (m *model) rowDetail(n *nodeRow, room int) string {
	steps := fmt.Sprintf("%d/%d", n.finished, n.steps)
	switch n.status {
	case waiting:
		if m.phase == finished {
			return m.style.dim.Render("not started · " + plural(n.steps, "step", "steps"))
		}
		return m.style.dim.Render("waiting · " + plural(n.steps, "step", "steps"))
	case succeeded:
		return m.style.ok.Render("done") + m.style.dim.Render(" · "+plural(n.ok, "step", "steps")+" in "+humanDuration(n.elapsed))
	case skipped:
		return m.style.warn.Render("skipped") + m.style.dim.Render(fmt.Sprintf(" · %d/%d steps ran", n.ok, n.steps))
	case failed:
		return m.style.failed.Render("failed: " + n.err)
	}
	if n.current == nil {
		return m.style.dim.Render(steps + " steps")
	}
	step := fmt.Sprintf("%d/%d %s", n.finished+1, n.steps, stepName(n.current.Kind, n.current.Target))
	pct, known := percent(n.progress, n.current.Total)
	if !known || room < 40 {
		return ansi.Truncate(step, room, "…")
	}
	bar := m.bar
	bar.Width = 10
	if m.width >= 100 {
		bar.Width = 20
	}
	right := fmt.Sprintf("%s %3.0f%% %s", bar.ViewAs(pct), pct*100, transferred(n.progress, n.current.Total))
	stepRoom := room - ansi.StringWidth(right) - 2
	if stepRoom < 12 {
		return ansi.Truncate(step, room, "…")
	}
	stepRoom = min(stepRoom, max(36, ansi.StringWidth(step)))
	return fmt.Sprintf("%-*s  %s", stepRoom, ansi.Truncate(step, stepRoom, "…"), right)
}

// transferred is "27 MiB/61 MiB" or "530/1204 files".
func transferred(done, total plan.Progress) string {
	if total.Bytes > 0 {
		return humanBytes(done.Bytes) + "/" + humanBytes(total.Bytes)
	}
	return fmt.Sprintf("%d/%d files", done.Files, total.Files)
}

// finishedLine is what is printed above the live area when a step ends.
func (m *model) finishedLine(node string, c *plan.Change, err error, elapsed time.Duration, moved plan.Progress) string {
	step := stepName(c.Kind, c.Target)
	switch {
	case err == nil:
		line := m.style.ok.Render("✓") + " " + node + ": " + step
		if a := amount(moved); a != "" {
			line += m.style.dim.Render(" · " + a)
		}
		return line + m.style.dim.Render(" · "+humanDuration(elapsed))
	case errors.Is(err, plan.ErrSkipped):
		return m.style.warn.Render("–") + " " + node + ": " + step + m.style.dim.Render(" · skipped")
	}
	return m.style.failed.Render("✗") + " " + node + ": " + step + " · " + m.style.failed.Render("failed: "+oneLine(err.Error()))
}

func (m *model) logView() string {
	n := m.nodes[m.selected]
	return m.lines(
		m.title(n.name+" log"),
		m.log.View(),
		m.help.View(m.keys.logHelp()),
	)
}

// finalView is left on the screen when the program ends: one line per
// node and the run's summary.
func (m *model) finalView() string {
	out := []string{m.title(plural(len(m.nodes), "node", "nodes") + m.style.dim.Render(" · ") + clock(m.elapsed()))}
	for i := range m.nodes {
		out = append(out, "  "+m.mark(m.nodes[i])+" "+fmt.Sprintf("%-*s", m.nameWidth(), m.nodes[i].name)+"  "+m.rowDetail(m.nodes[i], m.width))
	}
	out = append(out, m.style.bold.Render(summaryLine(m.summary)))
	return m.lines(out...) + "\n"
}

func joinComma(s []string) string { return strings.Join(s, ", ") }
func joinLines(s []string) string { return strings.Join(s, "\n") }
