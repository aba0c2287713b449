package steps

import (
	"context"
	"encoding/json"
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

// Params keys of a replicate change.
const (
	paramPrimary  = "primary"
	paramRoot     = "root"   // the replica's root, where it extracts and deletes
	paramDeletion = "delete" // JSON list of paths relative to the replica's root, deepest first
	paramSend     = "send"   // JSON list of the paths to stream; absent: the whole tree
)

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
	return []NodeFact{
		{Node: r.Primary, Fact: r.digest(r.primaryRoot())},
		{Node: r.NodeName, Fact: r.digest(r.Root)},
	}
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
	if replica.Exists && replica.Digest == primary.Digest {
		c.Action, c.Reason = plan.NoOp, fmt.Sprintf("tree equals %s's (%s files)", r.Primary, groupThousands(primary.Files))
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
	deletions, err := json.Marshal(delta.Deletions)
	if err != nil {
		return nil, err
	}
	c.Action = plan.Update
	if !replica.Exists {
		c.Action = plan.Create
	}
	c.Summary = delta.summary()
	c.Details = deletionDetails(delta.Deletions)
	c.Params = map[string]string{paramPrimary: r.Primary, paramRoot: r.Root, paramDeletion: string(deletions)}
	c.Total = plan.Progress{Bytes: tarSize(from.Entries), Files: primary.Files}
	// A replica that holds most of the tree gets only what differs.
	if replica.Exists && len(delta.Send) <= len(from.Entries)/2 {
		send := make([]string, len(delta.Send))
		for i, e := range delta.Send {
			send[i] = e.Path
		}
		list, err := json.Marshal(send)
		if err != nil {
			return nil, err
		}
		c.Params[paramSend] = string(list)
		c.Total = plan.Progress{Bytes: tarSize(delta.Send), Files: delta.Copy.Files}
	}
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
