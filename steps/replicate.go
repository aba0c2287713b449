package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
)

// DefaultStallTimeout is how long a replica may refuse data before it is
// dropped from a replicate batch.
const DefaultStallTimeout = 30 * time.Second

// Replicate gives one replica node the primary's tree: everything under
// Root except the Skip paths (dynamic folders, which live on the storage)
// and the contents of the Empty folders (caches). All replicas of a site
// form one batch: the primary's tree is read once and streamed to all of
// them at once.
type Replicate struct {
	Site        string
	Primary     string // node holding the installed copy
	NodeName    string // the replica
	Root        string // the tree on the replica
	PrimaryRoot string // the tree on the primary when not Root (tests: Local hosts share one disk)
	Skip        []string
	Empty       []string
	// Seed lists files among Skip that each node edits in place: a
	// replica without one gets the primary's copy, once (see seed).
	Seed []string
	// StallTimeout drops a replica that accepts no data for this long;
	// DefaultStallTimeout when zero.
	StallTimeout time.Duration
}

var (
	_ Step         = (*Replicate)(nil)
	_ BatchApplier = (*Replicate)(nil)
)

// maxListedDeletions is how many deletions a plan shows line by line.
const maxListedDeletions = 20

// replicatePayload is what a replicate change carries to apply.
type replicatePayload struct {
	// Root is the replica's root, where it deletes and extracts: never
	// the change's Target, a display field a secret in the path may
	// have redacted.
	Root   string   `json:"root"`
	Delete []string `json:"delete,omitempty"` // paths relative to Root, deepest first
	Send   []string `json:"send,omitempty"`   // the paths to stream; absent: the whole tree
	Whole  bool     `json:"whole,omitempty"`  // stream the whole tree
	Seed   []string `json:"seed,omitempty"`   // Seed files the replica lacks, copied once
}

func (r *Replicate) ID() string   { return changeID(r.NodeName, r.Kind(), r.Root) }
func (r *Replicate) Kind() string { return "replicate" }
func (r *Replicate) Node() string { return r.NodeName }

func (r *Replicate) primaryRoot() string {
	if r.PrimaryRoot == "" {
		return r.Root
	}
	return r.PrimaryRoot
}

func (r *Replicate) digest(root string) facts.TreeDigest {
	return facts.TreeDigest{Root: root, Skip: r.Skip, Empty: r.Empty}
}

func (r *Replicate) manifest(root string) facts.TreeManifest {
	return facts.TreeManifest{Root: root, Skip: r.Skip, Empty: r.Empty}
}

func (r *Replicate) Facts() []NodeFact {
	return append([]NodeFact{
		{Node: r.Primary, Fact: r.digest(r.primaryRoot())},
		{Node: r.NodeName, Fact: r.digest(r.Root)},
	}, r.seedFacts()...)
}

// Diff compares the trees' digests; only when they differ does it fetch
// both manifests to say what will be copied and deleted.
func (r *Replicate) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	c := &plan.Change{ID: r.ID(), Node: r.NodeName, Site: r.Site, Kind: r.Kind(), Target: r.Root, Batch: "replicate/" + r.Site}
	primary, err := facts.ReadTreeDigest(ctx, src, r.Primary, r.digest(r.primaryRoot()))
	if err != nil {
		return nil, err
	}
	if !primary.Exists {
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("%s has no %s to replicate", r.Primary, r.primaryRoot())
		return c, nil
	}
	replica, err := facts.ReadTreeDigest(ctx, src, r.NodeName, r.digest(r.Root))
	if err != nil {
		return nil, err
	}
	seeds, err := r.missingSeeds(ctx, src)
	if err != nil {
		return nil, err
	}
	if replica.Exists && replica.Digest == primary.Digest {
		if len(seeds) == 0 {
			c.Action, c.Reason = plan.NoOp, fmt.Sprintf("tree equals %s's (%s files)", r.Primary, groupThousands(primary.Files))
			return c, nil
		}
		c.Action, c.Summary = plan.Update, r.seedSummary(seeds)
		plan.SetPayload(c, replicatePayload{Root: r.Root, Seed: seeds})
		return c, nil
	}
	from, err := facts.ReadTreeManifest(ctx, src, r.Primary, r.manifest(r.primaryRoot()))
	if err != nil {
		return nil, err
	}
	to, err := facts.ReadTreeManifest(ctx, src, r.NodeName, r.manifest(r.Root))
	if err != nil {
		return nil, err
	}
	delta := compareTrees(from.Entries, to.Entries)
	c.Action = plan.Update
	if !replica.Exists {
		c.Action = plan.Create
	}
	c.Summary = delta.summary()
	if len(seeds) > 0 {
		c.Summary += ", " + r.seedSummary(seeds)
	}
	c.Details = deletionDetails(delta.Deletions)
	payload := replicatePayload{Root: r.Root, Delete: delta.Deletions, Whole: true, Seed: seeds}
	c.Total = plan.Progress{Bytes: tarSize(from.Entries), Files: primary.Files}
	// A replica that holds most of the tree gets only what differs.
	if replica.Exists && len(delta.Send) <= len(from.Entries)/2 {
		payload.Whole = false
		payload.Send = make([]string, len(delta.Send))
		for i, e := range delta.Send {
			payload.Send[i] = e.Path
		}
		c.Total = plan.Progress{Bytes: tarSize(delta.Send), Files: delta.Copy.Files}
	}
	plan.SetPayload(c, payload)
	return c, nil
}

// deletionDetails lists the deletions a plan shows, sorted and capped.
func deletionDetails(deletions []string) []string {
	paths := slices.Sorted(slices.Values(deletions))
	var d []string
	for i, p := range paths {
		if i == maxListedDeletions {
			d = append(d, fmt.Sprintf("… and %s more", groupThousands(int64(len(paths)-i))))
			break
		}
		d = append(d, "delete "+printablePath(p))
	}
	return d
}

// printablePath quotes a path that holds control characters.
func printablePath(p string) string {
	if strings.IndexFunc(p, func(r rune) bool { return r < ' ' || r == 0x7f }) >= 0 {
		return fmt.Sprintf("%q", p)
	}
	return p
}
