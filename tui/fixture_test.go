package tui

import (
	"errors"
	"strings"
	"time"

	"github.com/shoal-sh/shoal/plan"
)

// dolphinPlan is a realistic plan for the Dolphin seed: storage exported by
// "files", mounted and relocated on web1, replicated to web2 and web3.
func dolphinPlan() *plan.Plan {
	return &plan.Plan{
		Version: plan.PlanVersion,
		Nodes: []*plan.NodeState{
			{Name: "files"}, {Name: "web1"}, {Name: "web2"}, {Name: "web3"},
		},
		Changes: []*plan.Change{
			{ID: "files/export//srv/nas", Node: "files", Kind: "export", Target: "/srv/nas", Action: plan.Create,
				Summary: "export /srv/nas to web1, web2, web3", Details: []string{"/srv/nas 10.0.0.0/24(rw,sync,no_subtree_check)"}},
			{ID: "web1/fstab//etc/fstab", Node: "web1", Kind: "fstab", Target: "/etc/fstab", Action: plan.Update,
				Summary: "add files:/srv/nas on /mnt/nas (nfs)", After: []string{"files/export//srv/nas"}},
			{ID: "web1/mount//mnt/nas", Node: "web1", Kind: "mount", Target: "/mnt/nas", Action: plan.Create,
				Summary: "mount files:/srv/nas"},
			{ID: "web1/relocate//var/www/dolphin/storage", Node: "web1", Kind: "relocate", Target: "/var/www/dolphin/storage",
				Action: plan.Create, Summary: "move 1,204 files (61 MiB) to /mnt/nas/dolphin/storage and link",
				Total: plan.Progress{Bytes: 61 << 20, Files: 1204}},
			{ID: "web1/perms//var/www/dolphin/cache", Node: "web1", Kind: "perms", Target: "/var/www/dolphin/cache",
				Action: plan.NoOp, Reason: "already owned by www-data"},
			{ID: "web2/replicate//var/www/dolphin", Node: "web2", Kind: "replicate", Target: "/var/www/dolphin",
				Action: plan.Create, Summary: "copy 8,311 files (212 MiB) from web1", Batch: "replicate",
				Total: plan.Progress{Bytes: 212 << 20, Files: 8311}},
			{ID: "web2/purge//var/www/dolphin/cache", Node: "web2", Kind: "purge", Target: "/var/www/dolphin/cache",
				Action: plan.Delete, Summary: "remove 312 cached files (4.1 MiB)"},
			{ID: "web3/replicate//var/www/dolphin", Node: "web3", Kind: "replicate", Target: "/var/www/dolphin",
				Action: plan.Create, Summary: "copy 8,311 files (212 MiB) from web1", Batch: "replicate",
				Total: plan.Progress{Bytes: 212 << 20, Files: 8311}},
			{ID: "web3/relocate//var/www/dolphin/modules", Node: "web3", Kind: "relocate", Target: "/var/www/dolphin/modules",
				Action: plan.Conflict, Summary: "both /var/www/dolphin/modules and /mnt/nas/dolphin/modules hold data",
				Reason: `set on_conflict = "merge" to copy what is missing`},
		},
	}
}

// unreachablePlan adds a node whose facts could not be gathered.
func unreachablePlan() *plan.Plan {
	p := dolphinPlan()
	p.Nodes = append(p.Nodes, &plan.NodeState{Name: "web4",
		Error: "connecting to web4 (10.0.0.14:22): dial tcp 10.0.0.14:22: connect: connection refused"})
	return p
}

// joinedErrorPlan has a node whose facts failed in many places at once.
func joinedErrorPlan() *plan.Plan {
	p := noChangePlan()
	var errs []string
	for _, dir := range []string{"backup", "cache", "cache_public", "langs", "tmp", "inc", "media"} {
		errs = append(errs, "permissions of /var/www/dolphin/"+dir+" on web2: owner and group are required")
	}
	p.Nodes = append(p.Nodes, &plan.NodeState{Name: "web2", Error: strings.Join(errs, "\n")})
	return p
}

// applyablePlan is dolphinPlan without its conflict, as apply would run it.
func applyablePlan() *plan.Plan {
	p := dolphinPlan()
	p.Changes = p.Changes[:len(p.Changes)-1]
	return p
}

// noChangePlan is a converged cluster.
func noChangePlan() *plan.Plan {
	return &plan.Plan{
		Version: plan.PlanVersion,
		Nodes:   []*plan.NodeState{{Name: "web1"}},
		Changes: []*plan.Change{{ID: "web1/perms//var/www/dolphin/cache", Node: "web1", Kind: "perms",
			Target: "/var/www/dolphin/cache", Action: plan.NoOp, Reason: "already owned by www-data"}},
	}
}

// change finds a change of p by ID.
func change(p *plan.Plan, id string) *plan.Change {
	for _, c := range p.Changes {
		if c.ID == id {
			return c
		}
	}
	panic("no change " + id)
}

var errPermission = errors.New(`running fstab on web1: exit status 1: sh: 1: cannot create /etc/fstab.shoal.tmp: Permission denied`)

// fakeClock hands out times that advance by step on every call.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func newFakeClock(step time.Duration) *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), step: step}
}

func (c *fakeClock) now() time.Time {
	t := c.t
	c.t = c.t.Add(c.step)
	return t
}

// replayApply drives h through a scripted apply of applyablePlan: files
// exports, web1's fstab fails (when failWeb1) so its mount and relocate are
// skipped, web2 and web3 receive the replica in one batch.
func replayApply(h plan.Hook, p *plan.Plan, failWeb1 bool) {
	step := func(id string, err error, elapsed time.Duration, progress ...plan.Progress) {
		c := change(p, id)
		h.StepStart(c)
		for _, pr := range progress {
			h.StepProgress(c, pr)
		}
		h.StepDone(c, err, elapsed)
	}
	step("files/export//srv/nas", nil, 300*time.Millisecond)
	h.NodeDone("files", nil)

	fstab := change(p, "web1/fstab//etc/fstab")
	h.StepStart(fstab)
	h.StepOutput(fstab, "backing up /etc/fstab to /etc/fstab.shoal.bak")
	var web1Err error
	if failWeb1 {
		h.StepOutput(fstab, "sh: 1: cannot create /etc/fstab.shoal.tmp: Permission denied")
		web1Err = errPermission
		h.StepDone(fstab, web1Err, 120*time.Millisecond)
		h.StepDone(change(p, "web1/mount//mnt/nas"), plan.ErrSkipped, 0)
		h.StepDone(change(p, "web1/relocate//var/www/dolphin/storage"), plan.ErrSkipped, 0)
	} else {
		h.StepDone(fstab, nil, 120*time.Millisecond)
		step("web1/mount//mnt/nas", nil, 80*time.Millisecond)
		step("web1/relocate//var/www/dolphin/storage", nil, 1200*time.Millisecond,
			plan.Progress{Bytes: 20 << 20, Files: 400}, plan.Progress{Bytes: 61 << 20, Files: 1204})
	}
	h.NodeDone("web1", web1Err)

	total := plan.Progress{Bytes: 212 << 20, Files: 8311}
	half := plan.Progress{Bytes: 106 << 20, Files: 4000}
	step("web2/replicate//var/www/dolphin", nil, 4200*time.Millisecond, half, half, total)
	step("web3/replicate//var/www/dolphin", nil, 4300*time.Millisecond, half, half, total)
	step("web2/purge//var/www/dolphin/cache", nil, 40*time.Millisecond)
	h.NodeDone("web2", nil)
	h.NodeDone("web3", nil)

	s := plan.Summary{Done: 7, Elapsed: 5 * time.Second}
	if failWeb1 {
		s = plan.Summary{Done: 5, Failed: 1, Skipped: 2, Elapsed: 5 * time.Second,
			Failures: []plan.Failure{{Node: "web1", ID: fstab.ID, Error: web1Err.Error()}}}
	}
	h.Summary(s)
}
