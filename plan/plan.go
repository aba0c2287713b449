package plan

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Action says what a change does, as a symbol.
type Action rune

const (
	NoOp     Action = '=' // converged; Change.Reason says why nothing is done
	Create   Action = '+' // something absent will be made
	Update   Action = '~' // something present will be changed in place
	Delete   Action = '-' // something present will be removed
	Conflict Action = '!' // would lose data or is unsafe: apply refuses (exit 3)
)

func (a Action) String() string { return string(a) }

// Progress is an amount of work: bytes and files.
type Progress struct {
	Bytes int64 `json:"bytes"`
	Files int64 `json:"files"`
}

// Change is one step's difference on one node.
type Change struct {
	ID      string   `json:"id"`   // unique in the plan: "<node>/<kind>/<target>"
	Node    string   `json:"node"` // node the change happens on
	Site    string   `json:"site,omitempty"`
	Kind    string   `json:"kind"`    // step kind: relocate, replicate, purge, fstab, mount, export, perms, ...
	Target  string   `json:"target"`  // what it manages: a path, a file, a mount point
	Action  Action   `json:"action"`  //
	Summary string   `json:"summary"` // one line: "move 1,204 files (61 MiB) to /mnt/nas/community/media and link"
	Details []string `json:"details,omitempty"`
	Reason  string   `json:"reason,omitempty"` // NoOp: why nothing; Conflict: why refused
	After   []string `json:"after,omitempty"`  // IDs that must succeed first
	Batch   string   `json:"batch,omitempty"`  // changes with one Batch run together (replicate fan-out)
	Total   Progress `json:"total"`            // expected volume, for progress bars
	// Pending says the change can be decided only when the changes before
	// it have run ("/etc/memcached.conf does not exist yet": a package
	// before it installs it). The planner turns it into a Conflict with
	// this reason when nothing before it in the plan changes anything.
	Pending string `json:"pending,omitempty"`
	// Payload is what apply executes beyond the step's config, typed per
	// kind (see SetPayload): the decision the plan made and what it
	// rests on. The fields above are for showing and may be redacted;
	// apply reads only the step and this, which never is.
	Payload json.RawMessage `json:"payload,omitempty"`
}

// SetPayload records v, the kind's own payload struct, as c's payload.
func SetPayload(c *Change, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("plan: payload of %s does not encode: %v", c.ID, err)) // a kind's struct, not input
	}
	c.Payload = b
}

// DecodePayload reads c's payload into the kind's payload struct.
func DecodePayload[T any](c *Change) (T, error) {
	var v T
	if len(c.Payload) == 0 {
		return v, fmt.Errorf("%s: the plan carries no payload for it (was it made by another version?)", c.ID)
	}
	if err := json.Unmarshal(c.Payload, &v); err != nil {
		return v, fmt.Errorf("%s: reading its payload: %w", c.ID, err)
	}
	return v, nil
}

// NodeState is what the planner learnt about one node.
type NodeState struct {
	Name        string `json:"name"`
	FactsDigest string `json:"facts_digest,omitempty"`
	Error       string `json:"error,omitempty"` // facts could not be gathered (unreachable, host key, ...)
}

// Plan is everything apply will do, as data; it is what `plan -out` saves.
type Plan struct {
	Version      int          `json:"version"`
	ConfigDigest string       `json:"config_digest"`
	Nodes        []*NodeState `json:"nodes"`
	Changes      []*Change    `json:"changes"` // in execution order; NoOp ones included
}

// PlanVersion is the saved-plan format version.
const PlanVersion = 2

// HasChanges reports whether applying would do anything.
func (p *Plan) HasChanges() bool {
	for _, c := range p.Changes {
		if c.Action != NoOp {
			return true
		}
	}
	return false
}

// Conflicts returns the changes apply refuses.
func (p *Plan) Conflicts() []*Change {
	var out []*Change
	for _, c := range p.Changes {
		if c.Action == Conflict {
			out = append(out, c)
		}
	}
	return out
}

// Failed returns the nodes whose facts could not be gathered.
func (p *Plan) Failed() []*NodeState {
	var out []*NodeState
	for _, n := range p.Nodes {
		if n.Error != "" {
			out = append(out, n)
		}
	}
	return out
}

// MarshalText writes an Action as its symbol, so saved plans and JSON
// events read "+", "~", "-", "!" or "=".
func (a Action) MarshalText() ([]byte, error) { return []byte(string(a)), nil }

// UnmarshalText reads an Action symbol back.
func (a *Action) UnmarshalText(b []byte) error {
	r := []rune(string(b))
	if len(r) != 1 || !strings.ContainsRune("=+~-!", r[0]) {
		return fmt.Errorf("unknown action %q", b)
	}
	*a = Action(r[0])
	return nil
}
