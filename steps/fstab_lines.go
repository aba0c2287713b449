package steps

import "strings"

// setLine returns content with exactly one line for which owns is true,
// equal to want: the first such line is replaced, the others removed, or
// want is appended. Every other line, comments included, is kept. The
// result ends with a newline; replaced lists the owned lines found.
func setLine(content string, owns func(line string) bool, want string) (result string, replaced []string) {
	var out []string
	placed := false
	lines := strings.Split(strings.TrimSuffix(content, "\n"), "\n")
	if content == "" {
		lines = nil
	}
	for _, l := range lines {
		if !owns(l) {
			out = append(out, l)
			continue
		}
		replaced = append(replaced, l)
		if !placed {
			out = append(out, want)
			placed = true
		}
	}
	if !placed {
		out = append(out, want)
	}
	return strings.Join(out, "\n") + "\n", replaced
}

// lineField returns the i-th whitespace-separated field of a
// configuration line, or "" for comments, blank lines and short lines.
func lineField(line string, i int) string {
	f := strings.Fields(line)
	if len(f) <= i || strings.HasPrefix(f[0], "#") {
		return ""
	}
	return f[i]
}

// lineDetails shows a line edit as -old/+new lines.
func lineDetails(replaced []string, want string) []string {
	var d []string
	for i, l := range replaced {
		if i > 0 || l != want {
			d = append(d, "-"+l)
		}
	}
	if len(replaced) == 0 || replaced[0] != want {
		d = append(d, "+"+want)
	}
	return d
}
