package facts

import (
	"context"
	"testing"
)

// nowFact prints the time in nanoseconds: a different value every read.
type nowFact struct{ volatile bool }

func (f nowFact) Key() string     { return "now" }
func (f nowFact) Command() string { return "date +%s%N" }
func (f nowFact) Volatile() bool  { return f.volatile }

// A saved plan is stale when a fact it read changed, but not for a value
// that moves on its own, such as free space.
func TestDigestLeavesOutVolatileFacts(t *testing.T) {
	digest := func(f Fact) string {
		s := localSet()
		if err := s.Gather(context.Background(), "n", []Fact{f, File{Path: "/etc/hostname"}}); err != nil {
			t.Fatal(err)
		}
		return s.Digest("n")
	}
	first, second := digest(nowFact{volatile: true}), digest(nowFact{volatile: true})
	if first != second {
		t.Error("a volatile fact changed the digest")
	}
	first, second = digest(nowFact{}), digest(nowFact{})
	if first == second {
		t.Error("a fact that changed left the digest as it was")
	}
}
