package steps

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
)

// DefaultStallTimeout is how long a replica may refuse data before it is
// dropped from a replicate batch.
const DefaultStallTimeout = 30 * time.Second

// Replicate gives one replica node the primary's tree: everything under
// Root except the Skip paths (dynamic folders, which live on the storage)
// and the contents of the Empty folders (caches, node-local logs) but
// what they keep (top-level dot-files and Keep names: guard files). All
// replicas of a site form one batch: the primary's tree is read once and
// streamed to all of them at once.
//
// A root that is a symlink, on either side, is neither read nor written
// unless FollowRootLink; a replica's tree is changed only in the physical
// folder the plan read (a root link changed since the plan is refused).
type Replicate struct {
	Site        string
	Primary     string // node holding the installed copy
	NodeName    string // the replica
	Root        string // the tree on the replica
	PrimaryRoot string // the tree on the primary when not Root (tests: Local hosts share one disk)
	Skip        []string
	Empty       []facts.EmptyDir
	// Seed lists files among Skip that each node edits in place: a
	// replica without one gets the primary's copy, once (see seed).
	Seed []string
	// FollowRootLink works in the folder a root symlink points to.
	FollowRootLink bool
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

// replicatePayload is what a replicate change carries to apply. Path
// lists are encodePaths strings, byte-exact: a name that is not UTF-8
// survives the plan.
type replicatePayload struct {
	// Root is the replica's root, where it deletes and extracts: never
	// the change's Target, a display field a secret in the path may
	// have redacted.
	Root string `json:"root"`
	// RealRoot is Root's physical path when the plan read it; apply
	// refuses a root that leads elsewhere by then.
	RealRoot string `json:"real_root,omitempty"`
	Delete   string `json:"delete,omitempty"` // paths relative to Root, deepest first
	Send     string `json:"send,omitempty"`   // the paths to stream, when not Whole
	Whole    bool   `json:"whole,omitempty"`  // stream the whole tree
	// Seed lists the Seed files the replica lacks, copied once.
	Seed []string `json:"seed,omitempty"`
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
	return facts.TreeDigest{Root: root, Skip: r.Skip, Empty: r.Empty, FollowLink: r.FollowRootLink}
}

func (r *Replicate) manifest(root string) facts.TreeManifest {
	return facts.TreeManifest{Root: root, Skip: r.Skip, Empty: r.Empty, FollowLink: r.FollowRootLink}
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
	if primary.Symlink {
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("the root %s on the primary %s is a symlink: not read through", r.primaryRoot(), r.Primary)
		return c, nil
	}
	if !primary.Exists {
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("%s has no %s to replicate", r.Primary, r.primaryRoot())
		return c, nil
	}
	replica, err := facts.ReadTreeDigest(ctx, src, r.NodeName, r.digest(r.Root))
	if err != nil {
		return nil, err
	}
	if replica.Symlink {
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("the root %s on %s is a symlink: not written through", r.Root, r.NodeName)
		return c, nil
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
		none, err := encodePaths(nil)
		if err != nil {
			return nil, err
		}
		c.Action, c.Summary = plan.Update, r.seedSummary(seeds)
		plan.SetPayload(c, replicatePayload{Root: r.Root, RealRoot: replica.Real, Delete: none, Send: none, Seed: seeds})
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
	deletions, err := encodePaths(delta.Deletions)
	if err != nil {
		return nil, err
	}
	c.Action = plan.Update
	if !replica.Exists {
		c.Action = plan.Create
	}
	c.Summary = delta.summary()
	if len(seeds) > 0 {
		c.Summary += ", " + r.seedSummary(seeds)
	}
	c.Details = deletionDetails(delta.Deletions)
	payload := replicatePayload{Root: r.Root, Delete: deletions, Whole: true, Seed: seeds}
	if replica.Exists {
		payload.RealRoot = replica.Real
	}
	c.Total = plan.Progress{Bytes: tarSize(from.Entries), Files: primary.Files}
	// A replica that holds most of the tree gets only what differs.
	if replica.Exists && len(delta.Send) <= len(from.Entries)/2 {
		list, err := encodePaths(withFolders(delta.Send))
		if err != nil {
			return nil, err
		}
		payload.Whole, payload.Send = false, list
		c.Total = plan.Progress{Bytes: tarSize(delta.Send), Files: delta.Copy.Files}
	}
	plan.SetPayload(c, payload)
	return c, nil
}

// withFolders lists the paths of entries with every folder they lie in:
// tar then makes each folder before what goes in it, replacing a symlink
// planted in its place on the replica instead of extracting through it.
func withFolders(entries []facts.Entry) []string {
	seen := map[string]bool{}
	var paths []string
	for _, e := range entries {
		for dir := path.Dir(e.Path); dir != "." && !seen[dir]; dir = path.Dir(dir) {
			seen[dir] = true
			paths = append(paths, dir)
		}
		if !seen[e.Path] {
			seen[e.Path] = true
			paths = append(paths, e.Path)
		}
	}
	return paths
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

// printablePath quotes a path that holds control characters or bytes
// that are not UTF-8.
func printablePath(p string) string {
	if !utf8.ValidString(p) || strings.IndexFunc(p, func(r rune) bool { return r < ' ' || r == 0x7f }) >= 0 {
		return fmt.Sprintf("%q", p)
	}
	return p
}
