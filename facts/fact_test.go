package facts

import (
	"context"
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
