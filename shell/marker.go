package shell

import (
	"fmt"
	"strconv"
	"strings"
)

// Marker splits one script's output into sections: a section starts with
// the line "<marker> begin <key>" and ends with "<marker> end <status>".
// Facts and a node's combined step scripts both use it, each with a marker
// of its own; ReadLine is the one parser of those lines.
type Marker string

// MarkKind says what a line of output is.
type MarkKind int

const (
	Output MarkKind = iota // anything but a marker line
	Begin                  // "<marker> begin <key>": a section starts
	End                    // "<marker> end <status>": the open section ends
)

// Mark is one line read by ReadLine.
type Mark struct {
	Kind   MarkKind
	Key    string // Begin: the rest of the line, spaces included
	Status int    // End: the section's exit status
}

// BeginLine is sh that prints the begin line for key (a shell word,
// already quoted), after a newline.
func (m Marker) BeginLine(quotedKey string) string {
	return fmt.Sprintf("printf '\\n%s begin %%s\\n' %s", m, quotedKey)
}

// EndLine is sh that prints the end line with the exit status of the
// command just before it, after a newline, so output without a final
// newline of its own still ends before the marker.
func (m Marker) EndLine() string {
	return fmt.Sprintf("printf '\\n%s end %%s\\n' $?", m)
}

// ReadLine reads one line of output. A line that starts with the marker
// but is not a whole begin or end line (the bare marker, a begin without
// a key, an end without a number) is an error: callers decide whether that
// breaks their output or is just text.
func (m Marker) ReadLine(line string) (Mark, error) {
	rest, ok := strings.CutPrefix(line, string(m))
	if !ok {
		return Mark{Kind: Output}, nil
	}
	if key, ok := strings.CutPrefix(rest, " begin "); ok && key != "" {
		return Mark{Kind: Begin, Key: key}, nil
	}
	if status, ok := strings.CutPrefix(rest, " end "); ok {
		if n, err := strconv.Atoi(status); err == nil {
			return Mark{Kind: End, Status: n}, nil
		}
	}
	if rest != "" && rest[0] != ' ' {
		return Mark{Kind: Output}, nil // a longer word that merely starts like the marker
	}
	return Mark{Kind: Output}, fmt.Errorf("malformed %s line %q", m, line)
}
