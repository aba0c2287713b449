package steps

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// BatchErrors is how ApplyBatch reports a partial failure: the error of
// each failed change by Change.ID. Changes not in it succeeded.
type BatchErrors map[string]error

func (b BatchErrors) Error() string {
	ids := make([]string, 0, len(b))
	for id := range b {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	msgs := make([]string, len(ids))
	for i, id := range ids {
		msgs[i] = b[id].Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap lets errors.Is and errors.As see every change's error.
func (b BatchErrors) Unwrap() []error {
	var errs []error
	for _, err := range b {
		errs = append(errs, err)
	}
	return errs
}

// ApplyBatch replicates the primary's tree onto the replicas of cs: each
// replica first deletes what the plan listed, then one tar session on the
// primary streams the tree to a tar session on every replica at once. A
// replica that fails or stalls is dropped without holding back the
// others. A non-nil error is a BatchErrors naming the failed changes.
func (r *Replicate) ApplyBatch(ctx context.Context, hosts map[string]transport.Host, cs []*plan.Change, report func(*plan.Change) Reporter) error {
	failed := BatchErrors{}
	primary, ok := hosts[r.Primary]
	if !ok {
		for _, c := range cs {
			failed[c.ID] = fmt.Errorf("replicating to %s: no connection to the primary %s", c.Node, r.Primary)
		}
		return failed
	}
	prepared := make([]error, len(cs))
	reporters := make([]Reporter, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		reporters[i] = report(c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			prepared[i] = r.prepare(ctx, hosts[c.Node], c, reporters[i])
		}()
	}
	wg.Wait()
	var (
		ready []*plan.Change
		feeds []*feed
	)
	for i, c := range cs {
		if prepared[i] != nil {
			failed[c.ID] = prepared[i]
			continue
		}
		ready = append(ready, c)
		feeds = append(feeds, newFeed(reporters[i]))
	}
	// a change that only deletes or seeds streams nothing
	var streamed []*plan.Change
	var streamFeeds []*feed
	for i, c := range ready {
		if needsStream(c) {
			streamed, streamFeeds = append(streamed, c), append(streamFeeds, feeds[i])
		}
	}
	if len(streamed) > 0 {
		send, err := sendList(streamed)
		if err != nil {
			for _, c := range streamed {
				failed[c.ID] = err
			}
			return failed
		}
		errs := r.stream(ctx, primary, hosts, streamed, streamFeeds, send)
		for i, err := range errs {
			if err != nil {
				failed[streamed[i].ID] = fmt.Errorf("replicating %s from %s to %s: %w", rootOf(streamed[i]), r.Primary, streamed[i].Node, err)
			}
		}
	}
	if len(r.Seed) > 0 {
		var seeded []*plan.Change
		var reps []Reporter
		for i, c := range cs {
			if prepared[i] == nil && failed[c.ID] == nil {
				seeded, reps = append(seeded, c), append(reps, reporters[i])
			}
		}
		for i, err := range r.seed(ctx, primary, hosts, seeded, reps) {
			if err != nil {
				failed[seeded[i].ID] = err
			}
		}
	}
	if len(failed) > 0 {
		return failed
	}
	return nil
}

// stream runs the primary's tar once, its output fanned out to a tar on
// every replica; it returns each replica's error.
func (r *Replicate) stream(ctx context.Context, primary transport.Host, hosts map[string]transport.Host, cs []*plan.Change, feeds []*feed, send []string) []error {
	out := &fanOut{feeds: feeds}
	stopWatch := make(chan struct{})
	defer close(stopWatch)
	go watchStalls(feeds, r.stallTimeout(), stopWatch)
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	primaryDone := make(chan struct{})
	go func() {
		defer close(primaryDone)
		cmd := transport.Command{Script: createScript(r.primaryRoot(), r.FollowRootLink, r.Skip, r.Empty), Stdout: out}
		if send != nil {
			cmd.Script, cmd.Stdin = createListScript(r.primaryRoot(), r.FollowRootLink), strings.NewReader(nulList(send))
		}
		err := primary.Run(pctx, cmd)
		if err != nil {
			err = fmt.Errorf("reading %s on %s: %w", r.primaryRoot(), r.Primary, err)
		}
		out.finish(err)
	}()
	errs := runFeeds(ctx, feeds, func(fctx context.Context, i int) error {
		return hosts[cs[i].Node].Run(fctx, transport.Command{Script: r.extractScript(cs[i]), Stdin: feeds[i]})
	})
	// every replica has returned: nobody is left to read the primary
	cancel()
	<-primaryDone
	return errs
}

func (r *Replicate) stallTimeout() time.Duration {
	if r.StallTimeout == 0 {
		return DefaultStallTimeout
	}
	return r.StallTimeout
}

// prepare deletes on the replica what the plan listed as no longer on
// the primary, deepest first, refusing anything that is not a plain path
// inside the root, lies under a Skip path or in an Empty folder (but what
// it keeps), or is reached through a symlink.
func (r *Replicate) prepare(ctx context.Context, h transport.Host, c *plan.Change, rep Reporter) error {
	if h == nil {
		return fmt.Errorf("replicating to %s: no connection", c.Node)
	}
	p, err := plan.DecodePayload[replicatePayload](c)
	if err != nil {
		return fmt.Errorf("replicating to %s: %w", c.Node, err)
	}
	if p.Root == "" {
		return fmt.Errorf("replicating to %s: the plan names no root (a plan from an older shoal? plan again)", c.Node)
	}
	deletions, err := decodePaths(p.Delete)
	if err != nil {
		return fmt.Errorf("replicating to %s: reading the planned deletions: %w", c.Node, err)
	}
	var list strings.Builder
	for _, p := range deletions {
		if !r.deletable(p) {
			return fmt.Errorf("replicating to %s: refusing to delete %s: not a plain path of the replicated tree", c.Node, printablePath(p))
		}
		list.WriteString(p)
		list.WriteByte(0)
	}
	if err := h.Run(ctx, transport.Command{Script: r.deleteScript(c), Stdin: strings.NewReader(list.String())}); err != nil {
		return fmt.Errorf("replicating to %s: deleting what %s no longer has: %w", c.Node, r.Primary, err)
	}
	if len(deletions) > 0 {
		rep.Output(fmt.Sprintf("deleted %s entries %s no longer has", groupThousands(int64(len(deletions))), r.Primary))
	}
	return nil
}

// deletable reports whether p is a clean relative path outside every
// Skip path and every Empty folder, or kept in one (a guard file).
func (r *Replicate) deletable(p string) bool {
	if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../") {
		return false
	}
	for _, s := range r.Skip {
		if block.WithinMatch(p, path.Clean(strings.TrimPrefix(s, "/"))) {
			return false
		}
	}
	for _, e := range r.Empty {
		dir := path.Clean(strings.TrimPrefix(e.Path, "/"))
		if block.Match(dir, p) || !block.WithinMatch(p, dir) {
			continue
		}
		// p lies in a match of dir: what it is relative to that folder
		rel := strings.Join(strings.Split(p, "/")[strings.Count(dir, "/")+1:], "/")
		if !kept(rel, e.Keep) {
			return false
		}
	}
	return true
}

// kept reports whether rel, relative to an Empty folder, is or lies in
// one of its top-level dot-files or Keep names.
func kept(rel string, keep []string) bool {
	top, _, _ := strings.Cut(rel, "/")
	return strings.HasPrefix(top, ".") || slices.Contains(keep, top)
}

// createScript streams the tree under root as tar on stdout: exactly the
// entries facts.TreeDigest hashes, symlinks as symlinks, numeric owners.
// Files that change or vanish while being read only warn: the next plan
// sees them.
func createScript(root string, follow bool, skip []string, empty []facts.EmptyDir) string {
	args := facts.FindTreeArgs(skip, empty)
	return shell.Script(enterTreeBody+createBody, shell.Bind("root", root), shell.Bind("follow", fmt.Sprint(follow)),
		shell.BindLines("find_args", args), shell.Bind("find_argc", strconv.Itoa(len(args))))
}

// createListScript streams only the paths listed, NUL-separated, on stdin
// (what the replicas lack), as createScript streams the whole tree.
func createListScript(root string, follow bool) string {
	return shell.Script(enterTreeBody+tarCreateBody, shell.Bind("root", root), shell.Bind("follow", fmt.Sprint(follow)))
}

// enterTreeBody cds into the physical folder of the site root $root,
// refusing one that is a symlink unless $follow is true.
const enterTreeBody = `if [ "$follow" != true ] && [ -L "$root" ]; then echo "site root $root is a symlink: refusing to work through it" >&2; exit 1; fi
cd -P -- "$root" || exit 1
`

// createBody lists the tree with find, its arguments (facts.FindTreeArgs)
// one a line in $find_args, and streams what it lists. A line count other
// than $find_argc means an argument held a newline: the tree is not read
// with arguments split apart.
const createBody = `set --
while IFS= read -r arg; do set -- "$@" "$arg"; done <<FIND
$find_args
FIND
[ "$#" -eq "$find_argc" ] || { echo "a path left out of the tree holds a newline: not reading it" >&2; exit 1; }
find . "$@" -print0 | ` + tarCreateBody

// tarCreateBody streams the NUL-separated paths on stdin as tar; a file
// that changed or vanished while read (tar's status 1) is no failure.
const tarCreateBody = `tar -c -f - --null --no-recursion -T - --numeric-owner --format=gnu --ignore-failed-read
s=$?
[ "$s" -eq 1 ] && s=0
exit "$s"`

// sendList is what one stream must carry for every replica of a batch:
// the union of their lists, or nil (the whole tree) when any of them
// needs the whole tree.
func sendList(cs []*plan.Change) ([]string, error) {
	union := map[string]bool{}
	for _, c := range cs {
		p, err := plan.DecodePayload[replicatePayload](c)
		if err != nil {
			return nil, fmt.Errorf("replicating to %s: %w", c.Node, err)
		}
		if p.Whole {
			return nil, nil
		}
		paths, err := decodePaths(p.Send)
		if err != nil {
			return nil, fmt.Errorf("replicating to %s: reading the planned paths: %w", c.Node, err)
		}
		for _, path := range paths {
			union[path] = true
		}
	}
	// sorted, so a folder is created before what goes in it
	return slices.Sorted(maps.Keys(union)), nil
}

// nulList writes relative paths as tar -T reads them with --null.
func nulList(paths []string) string {
	var b strings.Builder
	for _, p := range paths {
		b.WriteString("./" + p + "\x00")
	}
	return b.String()
}

// replicaScript is body run in the replica's root, which replicaRootBody
// makes if it is missing and enters, refusing a root that is a symlink
// (unless FollowRootLink) and one that no longer leads where the plan
// read the tree. The root comes from the payload, never from the
// change's Target (shown, and perhaps redacted).
func (r *Replicate) replicaScript(c *plan.Change, body string, vars ...shell.Var) string {
	p, _ := plan.DecodePayload[replicatePayload](c)
	return shell.Script(replicaRootBody+body, append([]shell.Var{shell.Bind("root", p.Root), shell.Bind("real", p.RealRoot),
		shell.Bind("node", c.Node), shell.Bind("follow", fmt.Sprint(r.FollowRootLink))}, vars...)...)
}

// replicaRootBody enters the replica's root for replicaScript's body.
const replicaRootBody = `set -e
if [ "$follow" != true ] && [ -L "$root" ]; then
	echo "site root $root on $node is a symlink: refusing to work through it" >&2
	exit 1
fi
mkdir -p -- "$root"
cd -P -- "$root"
if [ -n "$real" ] && [ "$PWD" != "$real" ]; then
	echo "site root $root now leads to $PWD, not to $real as planned: plan again" >&2
	exit 1
fi
`

// extractScript unpacks a tar stream from stdin into the replica's root,
// keeping modes, numeric owners and mtimes.
func (r *Replicate) extractScript(c *plan.Change) string {
	return r.replicaScript(c, "tar -x -f - --numeric-owner --same-owner --same-permissions")
}

// deleteScript removes the NUL-separated relative paths on stdin under
// the replica's root: files and symlinks with rm, folders with rmdir (so
// a folder that gained files since the plan is never emptied), never
// through a symlink (each path's folder must be where it is in the
// physical tree).
func (r *Replicate) deleteScript(c *plan.Change) string {
	return r.replicaScript(c, deleteBody)
}

const deleteBody = `xargs -0 -r sh -c '
top=$PWD
for p do
  case $p in */*) d=${p%/*} ;; *) d=. ;; esac
  [ -d "$d" ] || continue
  cd -P -- "$d" || exit 3
  if [ "$d" = . ]; then want=$top; else want=$top/$d; fi
  if [ "$PWD" != "$want" ]; then
    echo "refusing to delete $p: reached through a symlink" >&2; exit 3
  fi
  cd -- "$top"
  if [ -d "$p" ] && [ ! -L "$p" ]; then rmdir -- "$p"
  elif [ -e "$p" ] || [ -L "$p" ]; then rm -f -- "$p"
  fi
done' shoal-delete`

// rootOf is where a replica's tree is, as its change's payload says.
func rootOf(c *plan.Change) string {
	p, _ := plan.DecodePayload[replicatePayload](c)
	return p.Root
}
