package plan

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// secretPlan has the secret in every field: a path that contains it, as
// when a sensitive database user is also the name of the site's folder.
func secretPlan() *Plan {
	return &Plan{
		Nodes: []*NodeState{{Name: "web1", Error: "mount failed: password=hunter22"}},
		Changes: []*Change{{
			ID: "web2/replicate/var/www/hunter22", Node: "web2", Kind: "replicate", Target: "/var/www/hunter22",
			Summary: "copy 1 file to /var/www/hunter22", Details: []string{"delete /var/www/hunter22/old"},
			Reason: "", After: []string{"web1/relocate/var/www/hunter22/media"}, Batch: "replicate/hunter22",
			Payload: json.RawMessage(`{"delete":["old"]}`),
		}},
	}
}

func TestRedactorShowsACopyAndNeverTouchesWhatRuns(t *testing.T) {
	x := NewRedactor([]string{"hunter22", "", "ab"})
	p := secretPlan()
	original, _ := json.Marshal(p)

	shown, _ := json.Marshal(x.Plan(p))
	if strings.Contains(string(shown), "hunter22") {
		t.Errorf("the shown plan holds the secret:\n%s", shown)
	}
	if !strings.Contains(string(shown), "/var/www/(sensitive)") {
		t.Errorf("the shown plan should say where a value was hidden:\n%s", shown)
	}

	saved := x.Saved(p).Changes[0]
	for field, v := range map[string]string{"target": saved.Target, "summary": saved.Summary, "details": saved.Details[0], "node error": x.Saved(p).Nodes[0].Error} {
		if strings.Contains(v, "hunter22") {
			t.Errorf("the saved plan shows the secret in its %s: %q", field, v)
		}
	}
	// what apply matches and executes stays as planned
	if saved.ID != p.Changes[0].ID || saved.After[0] != p.Changes[0].After[0] || saved.Batch != p.Changes[0].Batch || string(saved.Payload) != `{"delete":["old"]}` {
		t.Errorf("the saved plan changed what apply executes: %+v", saved)
	}
	if after, _ := json.Marshal(p); string(after) != string(original) {
		t.Errorf("redacting changed the plan that runs:\n%s\nwas\n%s", after, original)
	}
	if x.String("ab cd") != "ab cd" {
		t.Error("values shorter than 3 are not hidden")
	}
}

func TestRedactingHookShowsEachChangeAsOneHiddenCopy(t *testing.T) {
	x := NewRedactor([]string{"hunter22"})
	c := secretPlan().Changes[0]
	rec := newRecorder()
	var lines []string
	var seen []*Change
	h := x.Hook(&lineHook{recorder: rec, lines: &lines, seen: &seen})
	h.StepStart(c)
	h.StepOutput(c, "extracting into /var/www/hunter22")
	h.StepDone(c, errors.New("exit 2: cannot write /var/www/hunter22/x"), 0)
	h.StepDone(&Change{ID: "x"}, ErrSkipped, 0)
	h.Summary(Summary{Failures: []Failure{{Node: "web2", ID: c.ID, Error: "in /var/www/hunter22"}}})

	if strings.Contains(strings.Join(lines, "\n")+strings.Join(rec.started, " "), "hunter22") {
		t.Errorf("the view saw the secret: %q %q", lines, rec.started)
	}
	if seen[0] != seen[1] || seen[1] != seen[2] || seen[0] == c {
		t.Error("a view must see one hidden copy of a change from start to done, never the change itself")
	}
	if c.Target != "/var/www/hunter22" {
		t.Errorf("the hook changed the change being executed: %q", c.Target)
	}
	if rec.done["x"] != "skipped" {
		t.Error("a redacting hook must keep ErrSkipped recognisable")
	}
	if f := rec.summary.Failures[0]; strings.Contains(f.ID+f.Error, "hunter22") {
		t.Errorf("the summary shows the secret: %+v", f)
	}
}

// lineHook records output lines, errors and the changes it was shown.
type lineHook struct {
	*recorder
	lines *[]string
	seen  *[]*Change
}

func (l *lineHook) StepStart(c *Change) {
	*l.seen = append(*l.seen, c)
	l.recorder.StepStart(c)
}
func (l *lineHook) StepOutput(c *Change, line string) {
	*l.seen = append(*l.seen, c)
	*l.lines = append(*l.lines, line)
}
func (l *lineHook) StepDone(c *Change, err error, d time.Duration) {
	*l.seen = append(*l.seen, c)
	if err != nil {
		*l.lines = append(*l.lines, err.Error())
	}
	l.recorder.StepDone(c, err, d)
}
