package hcl

import (
	"fmt"

	hashicl "github.com/hashicorp/hcl/v2"
)

// nameSet remembers where each name of one kind was declared, to report
// duplicates with both places.
type nameSet struct {
	kind  string
	first map[string]hashicl.Range
}

func newNameSet(kind string) *nameSet {
	return &nameSet{kind: kind, first: map[string]hashicl.Range{}}
}

// add records name, or reports a duplicate and returns false.
func (s *nameSet) add(name string, at hashicl.Range, diags *hashicl.Diagnostics) bool {
	if prev, ok := s.first[name]; ok {
		*diags = append(*diags, errorAt(at.Ptr(), fmt.Sprintf("Duplicate %s", s.kind),
			"A %s named %q is already declared at %s.", s.kind, name, prev))
		return false
	}
	s.first[name] = at
	return true
}

func (s *nameSet) has(name string) bool {
	_, ok := s.first[name]
	return ok
}

// validName: names end up in file names and remote paths (lock files,
// /etc/cron.d/shoal-<site>-<name>), so they are kept to a safe alphabet.
func validName(name string) bool {
	if name == "" || name[0] == '-' || name[0] == '.' {
		return false
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

// checkName reports a name outside the safe alphabet.
func checkName(kind, name string, at hashicl.Range, diags *hashicl.Diagnostics) bool {
	if validName(name) {
		return true
	}
	*diags = append(*diags, errorAt(at.Ptr(), fmt.Sprintf("Invalid %s name", kind),
		"%q: a %s name holds letters, digits, '-', '_' and '.', and starts with a letter or digit.", name, kind))
	return false
}

// didYouMean returns ` Did you mean "x"?` for the candidate closest to
// given, if one is within two edits, else "".
func didYouMean(given string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(given, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
