package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLongSingleDash(t *testing.T) {
	for _, c := range []struct {
		name       string
		args, want []string
	}{
		{"terraform spelling", []string{"plan", "-out", "f.plan"}, []string{"plan", "--out", "f.plan"}},
		{"with equals", []string{"plan", "-out=f.plan"}, []string{"plan", "--out=f.plan"}},
		{"already long", []string{"plan", "--out", "f"}, []string{"plan", "--out", "f"}},
		{"shorthand", []string{"plan", "-o", "f"}, []string{"plan", "-o", "f"}},
		{"after the terminator", []string{"fmt", "--", "-out"}, []string{"fmt", "--", "-out"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, longSingleDash(c.args)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
