package cluster

import "github.com/shoal-sh/shoal/steps"

// Phase orders steps across nodes: every change waits for the changes of
// earlier phases that it depends on (see dependencies).
type Phase int

const (
	PhaseUsers     Phase = iota // the site owner's UID/GID equal everywhere
	PhaseExport                 // the file server exports the storage
	PhaseFstab                  // clients' /etc/fstab line
	PhaseMount                  // clients mount it
	PhasePrimary                // dynamic folders move to the storage on the primary
	PhaseReplicate              // the primary's tree streams to replicas
	PhaseReplica                // dynamic folders link to the storage on replicas
	PhasePurge                  // caches emptied
	PhasePerms                  // writable folders owned by the site owner
)

// Entry is a step with its place in the run.
type Entry struct {
	Step  steps.Step
	Phase Phase
	Site  string // "" for steps that serve several sites (exports, mounts)
	// Follows names a step whose change this one only makes sense after:
	// when that step has nothing to do, neither has this one (a replica's
	// caches are purged when its tree changed, not on every run, or a live
	// site would never plan clean).
	Follows string
	// Guards name steps that check this one's ground (the site root on
	// its node, and on the primary for what reads it): while one of them
	// refuses, this one is left alone.
	Guards []string
}
