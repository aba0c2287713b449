package plan

import (
	"encoding/json"
	"testing"
)

func TestActionsSaveAsSymbols(t *testing.T) {
	p := &Plan{Version: PlanVersion, Changes: []*Change{{ID: "a", Action: Create}, {ID: "b", Action: Conflict}}}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back Plan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Changes[0].Action != Create || back.Changes[1].Action != Conflict {
		t.Errorf("round trip gave %v %v from %s", back.Changes[0].Action, back.Changes[1].Action, b)
	}
	if err := json.Unmarshal([]byte(`{"changes":[{"action":"?"}]}`), &back); err == nil {
		t.Error("an unknown action must be refused")
	}
}
