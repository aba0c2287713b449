package transport

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLineWriterSplitsAcrossWrites(t *testing.T) {
	var got []string
	w := &LineWriter{Line: func(l string) { got = append(got, l) }}
	for _, chunk := range []string{"one\ntw", "o\n", "\nthr", "ee"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	w.Flush()
	w.Flush()
	if d := cmp.Diff([]string{"one", "two", "", "three"}, got); d != "" {
		t.Error(d)
	}
}
