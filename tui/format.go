package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/shoal-sh/shoal/plan"
)

// humanBytes prints a size the way operators read it: "512 B", "61 MiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	suffix := "KMGTPE"[exp : exp+1]
	if v >= 10 {
		return fmt.Sprintf("%.0f %siB", v, suffix)
	}
	return fmt.Sprintf("%.1f %siB", v, suffix)
}

// humanDuration prints a step's or run's duration: "850ms", "1.2s", "2m03s".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	default:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
}

// clock prints elapsed time for the live header: "0:07", "12:40".
func clock(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// plural writes "1 conflict" or "2 conflicts".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// oneLine flattens a multi-line error so it fits a row or a log line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// stepName names a change as its kind and target: "replicate /var/www/dolphin".
func stepName(kind, target string) string {
	if target == "" {
		return kind
	}
	return kind + " " + target
}

// amount prints what a transfer has moved so far: "27 MiB, 530 files".
func amount(p plan.Progress) string {
	var parts []string
	if p.Bytes > 0 {
		parts = append(parts, humanBytes(p.Bytes))
	}
	if p.Files > 0 {
		parts = append(parts, plural(int(p.Files), "file", "files"))
	}
	return strings.Join(parts, ", ")
}
