package plan

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRedactorHidesSecretsInPlansOutputAndErrors(t *testing.T) {
	x := NewRedactor([]string{"hunter22", "", "ab"})
	p := &Plan{
		Nodes: []*NodeState{{Name: "web1", Error: "mount failed: password=hunter22"}},
		Changes: []*Change{{ID: "web1/fstab/mnt/nas", Summary: "add a line", Target: "/mnt/nas",
			Details: []string{"+//files/nas /mnt/nas cifs password=hunter22 0 0"}, Payload: []byte(`{"line":"password=hunter22"}`)}},
	}
	r := x.Plan(p)
	if got := r.Changes[0].Details[0]; strings.Contains(got, "hunter22") || !strings.Contains(got, "password=(sensitive)") {
		t.Errorf("details: %q", got)
	}
	if strings.Contains(r.Nodes[0].Error, "hunter22") {
		t.Errorf("node error: %q", r.Nodes[0].Error)
	}
	if string(r.Changes[0].Payload) != `{"line":"password=hunter22"}` {
		t.Error("apply still needs the payload as it was")
	}
	if !strings.Contains(p.Changes[0].Details[0], "hunter22") {
		t.Error("the original plan must not be modified")
	}
	if x.String("ab cd") != "ab cd" {
		t.Error("values shorter than 3 are not hidden")
	}

	rec := newRecorder()
	var lines []string
	h := x.Hook(&lineHook{recorder: rec, lines: &lines})
	h.StepOutput(r.Changes[0], "mounting with password=hunter22")
	h.StepDone(r.Changes[0], errors.New("exit 32: password=hunter22 refused"), 0)
	h.StepDone(&Change{ID: "x"}, ErrSkipped, 0)
	if strings.Contains(strings.Join(lines, "\n"), "hunter22") {
		t.Errorf("output reached the view unredacted: %q", lines)
	}
	if rec.done["x"] != "skipped" {
		t.Error("a redacting hook must keep ErrSkipped recognisable")
	}
}

// lineHook records output lines and errors as text.
type lineHook struct {
	*recorder
	lines *[]string
}

func (l *lineHook) StepOutput(_ *Change, line string) { *l.lines = append(*l.lines, line) }
func (l *lineHook) StepDone(c *Change, err error, d time.Duration) {
	if err != nil {
		*l.lines = append(*l.lines, err.Error())
	}
	l.recorder.StepDone(c, err, d)
}
