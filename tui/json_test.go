package tui

import (
	"bufio"
	"bytes"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/google/go-cmp/cmp"
)

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	v := NewJSON(&b)
	v.now = newFakeClock(300 * time.Millisecond).now
	p := applyablePlan()
	v.Plan(p)
	v.Diagnostic("warning", "site has no cache dirs", "recipe dolphin declares none", "cluster.hcl:12,3-20")
	replayApply(v, p, true)
	golden.RequireEqual(t, b.Bytes())
}

func TestJSONEventsAreVersionedAndTyped(t *testing.T) {
	var b bytes.Buffer
	v := NewJSON(&b)
	p := applyablePlan()
	v.Plan(p)
	replayApply(v, p, true)

	types := map[string]int{}
	sc := bufio.NewScanner(&b)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e struct {
			V    int    `json:"v"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		if e.V != 1 {
			t.Errorf("line %q: v = %d, want 1", sc.Text(), e.V)
		}
		types[e.Type]++
	}
	want := map[string]int{"plan": 1, "step_start": 5, "step_done": 7, "node_done": 4, "summary": 1}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("event types (-want +got):\n%s", diff)
	}
}

func TestJSONIsSafeForConcurrentUse(t *testing.T) {
	var b bytes.Buffer
	v := NewJSON(&b)
	p := applyablePlan()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replayApply(v, p, false)
		}()
	}
	wg.Wait()
	sc := bufio.NewScanner(&b)
	lines := 0
	for sc.Scan() {
		if !json.Valid(sc.Bytes()) {
			t.Fatalf("interleaved write: %q", sc.Text())
		}
		lines++
	}
	if lines == 0 {
		t.Fatal("no events written")
	}
}
