package steps

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// Seeding: files that a step edits in place on each node (block.Edited:
// a line of wp-config.php that differs per node) are each node's own.
// Replicate leaves them out of the trees it compares and streams (they
// are among Skip), and gives a replica the primary's copy only when the
// replica has nothing at that path: once, before the replica's own edits
// run. It never compares, overwrites or deletes a replica's copy.

// maxSeedBytes bounds the tar stream of seeded files, which is held in
// memory: they are config files a line block edits (1 MiB at most each).
const maxSeedBytes = 64 << 20

// seedFacts are what seeding reads: each seeded path on both sides,
// without following it.
func (r *Replicate) seedFacts() []NodeFact {
	var out []NodeFact
	for _, p := range r.Seed {
		out = append(out,
			NodeFact{r.Primary, facts.Path{Path: path.Join(r.primaryRoot(), p), Shallow: true}},
			NodeFact{r.NodeName, facts.Path{Path: path.Join(r.Root, p), Shallow: true}})
	}
	return out
}

// missingSeeds lists the seeded paths the primary holds as a regular file
// and the replica lacks altogether. Whatever the replica has at such a
// path (a file, or anything else) is its own.
func (r *Replicate) missingSeeds(ctx context.Context, src facts.Source) ([]string, error) {
	var out []string
	for _, p := range r.Seed {
		on, err := facts.ReadPathFact(ctx, src, r.Primary, facts.Path{Path: path.Join(r.primaryRoot(), p), Shallow: true})
		if err != nil {
			return nil, err
		}
		if on.Kind != facts.PathFile {
			continue
		}
		has, err := facts.ReadPathFact(ctx, src, r.NodeName, facts.Path{Path: path.Join(r.Root, p), Shallow: true})
		if err != nil {
			return nil, err
		}
		if has.Kind == facts.PathAbsent {
			out = append(out, p)
		}
	}
	return out, nil
}

// seedSummary says what seeding does, for a plan.
func (r *Replicate) seedSummary(paths []string) string {
	return fmt.Sprintf("copy %s from %s once (the replica's own from then on)", strings.Join(paths, ", "), r.Primary)
}

// needsStream reports whether a change's tree must be streamed: a
// change that only deletes, or only seeds, sends nothing.
func needsStream(c *plan.Change) bool {
	p, err := plan.DecodePayload[replicatePayload](c)
	if err != nil || p.Whole {
		return true
	}
	send, err := decodePaths(p.Send)
	return err != nil || len(send) > 0
}

// seed gives each replica of cs the seeded files it lacked at plan time
// and still lacks: the primary's copies of their union are read once
// (tar), and every replica extracts them with --skip-old-files, so a copy
// that appeared since the plan is kept. It returns each change's error.
func (r *Replicate) seed(ctx context.Context, primary transport.Host, hosts map[string]transport.Host, cs []*plan.Change, reps []Reporter) []error {
	errs := make([]error, len(cs))
	union := map[string]bool{}
	lists := make([][]string, len(cs))
	for i, c := range cs {
		p, err := plan.DecodePayload[replicatePayload](c)
		if err != nil {
			errs[i] = err
			continue
		}
		for _, s := range p.Seed {
			if !slices.Contains(r.Seed, s) {
				errs[i] = fmt.Errorf("replicating to %s: %s is not a file the site edits per node: not seeding it", c.Node, printablePath(s))
				break
			}
		}
		if errs[i] == nil {
			lists[i] = p.Seed
			for _, s := range p.Seed {
				union[s] = true
			}
		}
	}
	if len(union) == 0 {
		return errs
	}
	var stream bytes.Buffer
	out := &cappedWriter{w: &stream, left: maxSeedBytes}
	err := primary.Run(ctx, transport.Command{Script: createListScript(r.primaryRoot(), r.FollowRootLink), Stdin: strings.NewReader(nulList(slices.Sorted(maps.Keys(union)))), Stdout: out})
	if err == nil && out.over {
		err = fmt.Errorf("the files exceed %d MiB", maxSeedBytes>>20)
	}
	for i, c := range cs {
		if errs[i] != nil || len(lists[i]) == 0 {
			continue
		}
		if err != nil {
			errs[i] = fmt.Errorf("replicating to %s: reading %s on %s: %w", c.Node, strings.Join(lists[i], ", "), r.Primary, err)
			continue
		}
		if err := hosts[c.Node].Run(ctx, transport.Command{Script: r.seedScript(c, lists[i]), Stdin: bytes.NewReader(stream.Bytes())}); err != nil {
			errs[i] = fmt.Errorf("replicating to %s: copying %s: %w", c.Node, strings.Join(lists[i], ", "), err)
			continue
		}
		reps[i].Output(fmt.Sprintf("copied %s from %s (the replica's own from now on)", strings.Join(lists[i], ", "), r.Primary))
	}
	return errs
}

// seedScript extracts the seeded paths from the tar stream on stdin in
// the replica's root.
func (r *Replicate) seedScript(c *plan.Change, paths []string) string {
	return r.replicaScript(c, seedExtractBody, shell.BindLines("paths", paths))
}

// seedExtractBody, run in the replica's physical root (replicaScript),
// extracts the listed files from the tar stream on stdin once it has
// checked that no folder on the way to each is a symlink, leaving alone
// any file already there.
const seedExtractBody = `top=$PWD
set -f
IFS='
'
set --
for p in $paths; do
	case $p in */*) d=${p%/*} ;; *) d=. ;; esac
	[ -d "$d" ] || { echo "$d does not exist: not copying $p" >&2; exit 3; }
	real=$(cd -P -- "$d" && pwd)
	if [ "$d" = . ]; then want=$top; else want=$top/$d; fi
	[ "$real" = "$want" ] || { echo "$d is reached through a symlink: not copying $p" >&2; exit 3; }
	set -- "$@" "./$p"
done
unset IFS
set +f
tar -x -f - --skip-old-files --numeric-owner --same-owner --same-permissions -- "$@"`

// cappedWriter keeps at most left bytes and says when there was more.
type cappedWriter struct {
	w    *bytes.Buffer
	left int
	over bool
}

func (c *cappedWriter) Write(p []byte) (int, error) {
	if len(p) > c.left {
		c.over = true
		return 0, fmt.Errorf("more than %d bytes", maxSeedBytes)
	}
	c.left -= len(p)
	return c.w.Write(p)
}
