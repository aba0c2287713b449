package facts

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shoal-sh/shoal/shell"
)

// Batcher is a Fact whose kind can answer many facts with one command:
// forking find or stat once per fact costs milliseconds each, and a node
// asks hundreds of facts of the same few kinds.
type Batcher interface {
	Fact
	// BatchKind names the facts one BatchCommand can answer together;
	// "" means this fact must run its own Command.
	BatchKind() string
	// BatchCommand answers fs, all of this BatchKind with distinct keys.
	// It prints every fact's begin and end markers itself (see section),
	// and each fact's output and status exactly as its Command would.
	BatchCommand(fs []Fact) string
}

// maxBatch bounds the facts one BatchCommand answers: their paths become
// find's arguments and awk's environment, which share the node's ARG_MAX.
const maxBatch = 500

// Script joins facts into one script that prints each fact's output
// between markers, so one session answers them all. Facts that are
// Batchers are answered with one command per BatchKind.
func Script(fs []Fact) string {
	var b strings.Builder
	b.WriteString("export LC_ALL=C\n")
	seen := map[string]bool{}
	var kinds []string
	batches := map[string][]Fact{}
	for _, f := range fs {
		if seen[f.Key()] {
			continue
		}
		seen[f.Key()] = true
		if bf, ok := f.(Batcher); ok && bf.BatchKind() != "" {
			k := bf.BatchKind()
			if batches[k] == nil {
				kinds = append(kinds, k)
			}
			batches[k] = append(batches[k], f)
			continue
		}
		writeSingle(&b, f)
	}
	for _, k := range kinds {
		for batch := range slices.Chunk(batches[k], maxBatch) {
			if len(batch) == 1 {
				writeSingle(&b, batch[0])
				continue
			}
			b.WriteString(batch[0].(Batcher).BatchCommand(batch))
			b.WriteString("\n")
		}
	}
	return b.String()
}

func writeSingle(b *strings.Builder, f Fact) {
	fmt.Fprintf(b, "%s\n(\n%s\n)\n%s\n", marker.BeginLine(shell.Quote(f.Key())), f.Command(), marker.EndLine())
}

// sameOutput is the shell that prints out (one line, no newline of its
// own) as the output of every fact in fs, with status 0, without forking.
func sameOutput(fs []Fact, out string) string {
	keys := make([]string, len(fs))
	for i, f := range fs {
		keys[i] = f.Key()
	}
	return fmt.Sprintf("printf '\\n%s begin %%s\\n%s\\n\\n%s end 0\\n' %s", marker, out, marker, shell.Join(keys...))
}

// awkSections is awk source for a function section(key, out) printing one
// fact's markers around out (which ends in its own newline), status 0.
const awkSections = `function section(key, out) { printf "\n` + string(marker) + ` begin %s\n%s\n` + string(marker) + ` end 0\n", key, out }
`

// lines joins batch arguments for awk's ENVIRON, one a line; Batchers
// refuse arguments with newlines, which no marker line could carry anyway.
func lines(ss []string) string { return shell.Quote(strings.Join(ss, "\n")) }
