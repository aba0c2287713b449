package facts

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/shoal-sh/shoal/transport"
)

type echoFact struct{ key, cmd string }

func (e echoFact) Key() string     { return e.key }
func (e echoFact) Command() string { return e.cmd }

func TestScriptRoundTripsThroughSh(t *testing.T) {
	set := NewSet(map[string]transport.Host{"n": &transport.Local{NodeName: "n"}})
	fs := []Fact{
		echoFact{"a", "printf 'one\\ntwo\\n'"},
		echoFact{"b", "printf 'no newline'"},
		echoFact{"c", "exit 3"},
		echoFact{"d", "echo; echo"},
	}
	if err := set.Gather(context.Background(), "n", fs); err != nil {
		t.Fatal(err)
	}
	want := map[string]Section{
		"a": {Output: "one\ntwo\n", Status: 0},
		"b": {Output: "no newline", Status: 0},
		"c": {Output: "", Status: 3},
		"d": {Output: "\n\n", Status: 0},
	}
	for k, w := range want {
		got, err := set.Get(context.Background(), "n", echoFact{key: k})
		if err != nil {
			t.Fatal(err)
		}
		if got != w {
			t.Errorf("%s: got %+v, want %+v", k, got, w)
		}
	}
}

// countingHost counts the scripts it runs.
type countingHost struct {
	transport.Local
	mu   sync.Mutex
	runs int
}

func (c *countingHost) Run(ctx context.Context, cmd transport.Command) error {
	c.mu.Lock()
	c.runs++
	c.mu.Unlock()
	return c.Local.Run(ctx, cmd)
}

func TestConcurrentGetsShareOneRoundTrip(t *testing.T) {
	h := &countingHost{Local: transport.Local{NodeName: "web1"}}
	set := NewSet(map[string]transport.Host{"web1": h})
	slow := echoFact{"slow", "sleep 0.2; echo manifest"}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if sec, err := set.Get(context.Background(), "web1", slow); err != nil || sec.Output != "manifest\n" {
				t.Errorf("got %+v, %v", sec, err)
			}
		}()
	}
	wg.Wait()
	if h.runs != 1 {
		t.Errorf("20 concurrent Gets of one fact ran %d scripts, want 1", h.runs)
	}
}

// A line that is only the marker is refused with the fact it broke, not
// read as data and never a crash.
func TestParseRefusesABareMarker(t *testing.T) {
	out := "\n" + string(marker) + " begin a\nsome output\n" + string(marker) + "\n"
	if _, err := Parse([]byte(out)); err == nil || !strings.Contains(err.Error(), "fact a") {
		t.Errorf("Parse of a bare marker line: %v, want an error naming fact a", err)
	}
}
