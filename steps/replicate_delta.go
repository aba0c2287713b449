package steps

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
)

// treeDelta is what replicating a primary tree onto a replica changes.
type treeDelta struct {
	Copy      plan.Progress // regular files new or changed on the replica
	Fix       int           // other entries whose type, mode, owner or target changes
	Deletions []string      // replica entries the primary lacks (or of another type), deepest first
	Send      []facts.Entry // primary entries the replica lacks or holds otherwise
}

// compareTrees diffs two manifests' entries (as listed by facts, Skip and
// cache contents already left out).
func compareTrees(primary, replica []facts.Entry) treeDelta {
	have := make(map[string]facts.Entry, len(replica))
	for _, e := range replica {
		have[e.Path] = e
	}
	want := make(map[string]facts.Entry, len(primary))
	var d treeDelta
	for _, e := range primary {
		want[e.Path] = e
		old, ok := have[e.Path]
		if ok && sameEntry(e, old) {
			continue
		}
		d.Send = append(d.Send, e)
		if e.Type == 'f' {
			d.Copy.Files++
			d.Copy.Bytes += e.Size
		} else {
			d.Fix++
		}
	}
	for _, e := range replica {
		if w, ok := want[e.Path]; !ok || w.Type != e.Type {
			d.Deletions = append(d.Deletions, e.Path)
		}
	}
	sort.Slice(d.Deletions, func(i, j int) bool { return deeperFirst(d.Deletions[i], d.Deletions[j]) })
	return d
}

// sameEntry compares what replicate preserves; a folder's size and mtime
// are not compared, as in facts.TreeDigest.
func sameEntry(a, b facts.Entry) bool {
	if a.Type != b.Type || a.Mode != b.Mode || a.UID != b.UID || a.GID != b.GID || a.Link != b.Link {
		return false
	}
	return a.Type == 'd' || (a.Size == b.Size && a.MTime == b.MTime)
}

// deeperFirst orders paths so that everything inside a folder comes
// before the folder.
func deeperFirst(a, b string) bool {
	da, db := strings.Count(a, "/"), strings.Count(b, "/")
	if da != db {
		return da > db
	}
	return a > b
}

func (d treeDelta) summary() string {
	var parts []string
	if d.Copy.Files > 0 || d.Fix == 0 && len(d.Deletions) == 0 {
		parts = append(parts, "copy "+volume(d.Copy))
	}
	if d.Fix > 0 {
		noun := "other entries"
		if d.Fix == 1 {
			noun = "other entry"
		}
		parts = append(parts, fmt.Sprintf("update %s %s", groupThousands(int64(d.Fix)), noun))
	}
	if len(d.Deletions) > 0 {
		parts = append(parts, "delete "+groupThousands(int64(len(d.Deletions))))
	}
	return strings.Join(parts, ", ")
}

// tarSize estimates the bytes of the tar stream holding entries: a header
// per entry (two for long names), file data padded to blocks, the root
// and the end-of-archive blocks.
func tarSize(entries []facts.Entry) int64 {
	const block = 512
	pad := func(n int64) int64 { return (n + block - 1) / block * block }
	total := int64(3 * block)
	for _, e := range entries {
		total += block
		if len(e.Path)+2 > 100 {
			total += block + pad(int64(len(e.Path)+3))
		}
		if e.Type == 'f' {
			total += pad(e.Size)
		}
	}
	return total
}
