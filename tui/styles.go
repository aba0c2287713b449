package tui

import (
	"io"
	"os"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/shoal-sh/shoal/plan"
)

// styles are every colour and emphasis the views use, built once for one
// output so that --no-color and NO_COLOR switch all of them off together.
type styles struct {
	color    bool
	action   map[plan.Action]lipgloss.Style
	node     lipgloss.Style
	dim      lipgloss.Style
	bold     lipgloss.Style
	ok       lipgloss.Style
	failed   lipgloss.Style
	warn     lipgloss.Style
	selected lipgloss.Style
}

// colorWanted says whether output may be coloured: not when the operator
// passed --no-color or set NO_COLOR (https://no-color.org).
func colorWanted(noColor bool) bool {
	return !noColor && os.Getenv("NO_COLOR") == ""
}

// newStyles builds the styles for w. With colour on the profile is fixed to
// 16 ANSI colours, which every terminal shows and keeps golden files stable.
func newStyles(w io.Writer, color bool) styles {
	r := lipgloss.NewRenderer(w)
	if color {
		r.SetColorProfile(termenv.ANSI)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	fg := func(c string) lipgloss.Style { return r.NewStyle().Foreground(lipgloss.Color(c)) }
	return styles{
		color: color,
		action: map[plan.Action]lipgloss.Style{
			plan.Create:   fg("2"),
			plan.Update:   fg("3"),
			plan.Delete:   fg("1"),
			plan.Conflict: fg("5").Bold(true),
			plan.NoOp:     fg("8"),
		},
		node:     r.NewStyle().Bold(true),
		dim:      fg("8"),
		bold:     r.NewStyle().Bold(true),
		ok:       fg("2"),
		failed:   fg("1"),
		warn:     fg("3"),
		selected: r.NewStyle().Reverse(true),
	}
}

// symbol is an action's coloured mark.
func (s styles) symbol(a plan.Action) string {
	return s.action[a].Render(a.String())
}
