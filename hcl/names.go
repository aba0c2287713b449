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
