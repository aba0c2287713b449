package tui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
)

func TestPlain(t *testing.T) {
	for _, tt := range []struct {
		name string
		fail bool
	}{{"success", false}, {"failure", true}} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			v := NewPlain(&b, RenderOptions{NoColor: true})
			v.now = newFakeClock(time.Second).now
			replayApply(v, applyablePlan(), tt.fail)
			golden.RequireEqual(t, b.Bytes())
		})
	}
}

func TestPlainThrottlesProgress(t *testing.T) {
	var b bytes.Buffer
	v := NewPlain(&b, RenderOptions{NoColor: true})
	v.now = newFakeClock(100 * time.Millisecond).now
	p := applyablePlan()
	c := change(p, "web2/replicate//var/www/dolphin")
	v.StepStart(c)
	for range 100 { // 10 seconds of progress at 10 reports a second
		v.StepProgress(c, c.Total)
	}
	v.StepDone(c, nil, 10*time.Second)
	if got := strings.Count(b.String(), "%)"); got != 5 {
		t.Errorf("got %d progress lines in 10s, want 5 (one per 2s):\n%s", got, b.String())
	}
}
