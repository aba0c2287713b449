package facts

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// Fact is one thing to learn about a node.
type Fact interface {
	// Key identifies the fact on a node; equal keys are gathered once.
	// Convention: "kind:argument", e.g. "path:/var/www/dolphin/media".
	Key() string
	// Command is a POSIX sh snippet whose stdout the fact's parser reads.
	// Every path inside is shell.Quote'd. It must not change anything.
	Command() string
}

// Section is what one fact's command printed, and its exit status.
type Section struct {
	Output string
	Status int
}

// Source answers facts about nodes. Set is the real one; planner tests use
// a map-backed fake.
type Source interface {
	Get(ctx context.Context, node string, f Fact) (Section, error)
}

// marker frames each fact's output; see shell.Marker.
const marker = shell.Marker("@@shoal-fact")

// Parse splits the output of Script back into sections keyed by fact key;
// each section's Output is exactly what the command printed.
func Parse(out []byte) (map[string]Section, error) {
	sections := map[string]Section{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	var (
		key  string
		body strings.Builder
		open bool
	)
	for sc.Scan() {
		line := sc.Text()
		m, err := marker.ReadLine(line)
		if err != nil {
			return nil, fmt.Errorf("fact %s: %w", key, err)
		}
		switch {
		case m.Kind == shell.Begin:
			key, open = m.Key, true
			body.Reset()
		case m.Kind == shell.End && open:
			// the end marker's leading newline is not the command's
			sections[key] = Section{Output: strings.TrimSuffix(body.String(), "\n"), Status: m.Status}
			open = false
		case open:
			body.WriteString(line)
			body.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if open {
		return nil, fmt.Errorf("fact %s: output ended before its end marker", key)
	}
	return sections, nil
}
