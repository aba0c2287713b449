package steps

import (
	"context"
	"fmt"
	"net"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// snapshot: `snapshot "nightly" { of = "primary", dir = "/srv/snapshots",
// keep = 7, schedule = "17 3 * * *", sources = { site = { path =
// site.root, key = "/root/.ssh/shoal-blog-snap_site" } } }` keeps
// hard-link snapshots of folders of one node (of) on the nodes its `on`
// names (default: role "backup"), ClonePanel's backups: each run pulls
// every source over SSH with its key, which an ssh_trust restricts to
// `rrsync -ro <path>` on that node, into <dir>/<node>/<UTC time>/<source
// name>, with rsync --link-dest against the newest complete snapshot, so
// a file that did not change is a hard link to its previous copy and
// costs no space. A run writes into <time>.partial and renames it when
// every source came complete; an interrupted run's folder is taken up by
// the next. After a complete run the oldest complete snapshots beyond
// keep are deleted; the newest complete one never is.
//
// A block compiles, per backup node, to the run's script and its cron
// file (two whole files shoal writes), a step that keeps at most keep
// snapshots (the plan lists what it deletes), and, when the site says
// snapshot_before_apply = true, a step that takes one before apply
// changes anything on the node (Entry.Ahead): left out when nothing
// there changes.
var _ = register(&Kind{
	Type:      "snapshot",
	LabelKind: block.LabelName,
	Arguments: []Argument{
		{Name: "of", Type: cty.String},
		{Name: "dir", Type: cty.String, Required: true},
		{Name: "keep", Type: cty.Number, Required: true},
		{Name: "schedule", Type: cty.String, Required: true},
		{Name: "sources", Type: cty.DynamicPseudoType, Required: true},
		{Name: "user", Type: cty.String},
		{Name: "address", Type: cty.String},
	},
	IsStep:    true,
	DefaultOn: "backup",
	Validate:  validateSnapshot,
	DefaultsOf: func(*block.Decl) map[string]cty.Value {
		return map[string]cty.Value{"of": cty.StringVal("primary"), "user": cty.StringVal("root")}
	},
	Compile: compileSnapshot,
})

var (
	// snapshotPath: paths the run's script names, in commands and in the
	// `ssh -e` string rsync splits at blanks.
	snapshotPath = regexp.MustCompile(`^/[A-Za-z0-9._/-]+$`)
	// snapshotSource names a source: the folder it gets in a snapshot.
	snapshotSource = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)
	// snapshotHost is a host name the backup node connects to.
	snapshotHost = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$`)
	// snapshotName is a snapshot's folder, its UTC time: 20250301T031700Z.
	snapshotName = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z$`)
	// snapshotWord is what of holds: primary, a role or a node name.
	snapshotWord = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
)

// maxKeep bounds keep: each snapshot is a tree of hard links.
const maxKeep = 1000

// snapshotSourceSpec is one source of a snapshot block.
type snapshotSourceSpec struct {
	Name    string   // its folder in each snapshot
	Path    string   // the folder on the node its key's rrsync -ro serves
	Key     string   // the key on the backup node
	Exclude []string // rsync patterns, relative to Path
}

func validateSnapshot(d *block.Decl) hashicl.Diagnostics {
	var diags hashicl.Diagnostics
	bad := func(arg, summary, format string, args ...any) {
		diags = append(diags, d.Error(arg, summary, "%s: %s: "+format, append([]any{d.Owner, d.Describe()}, args...)...))
	}
	for _, a := range []string{"of", "dir", "keep", "schedule", "sources", "user", "address"} {
		if d.Sensitive(a) {
			bad(a, "Sensitive value in a snapshot", "%s holds a sensitive value; a snapshot block holds none (its arguments are shown in plans and written into a script and a cron file).", a)
		}
	}
	if diags.HasErrors() {
		return diags
	}
	if d.Known("of") && !snapshotWord.MatchString(d.String("of")) {
		bad("of", "Invalid of", "of is \"primary\", a role or a node name: the one node whose folders are snapshotted.")
	}
	if d.Known("dir") && !cleanSnapshotPath(d.String("dir")) {
		bad("dir", "Invalid dir", "dir %q must be an absolute path of letters, digits, '.', '_', '-' and '/' (\"/srv/snapshots\"), not /.", d.String("dir"))
	}
	if d.Known("keep") {
		// a variable is a string: "3" is 3
		v, _ := d.Values["keep"].UnmarkDeep()
		if n, err := convert.Convert(v, cty.Number); err == nil {
			if f := n.AsBigFloat(); !f.IsInt() || d.Int("keep") < 1 || d.Int("keep") > maxKeep {
				bad("keep", "Invalid keep", "keep is how many complete snapshots of a node are kept, a whole number from 1 to %d, not %s: the newest complete snapshot is never deleted.", maxKeep, f.Text('g', 10))
			}
		}
	}
	if d.Known("schedule") && !validSchedule(d.String("schedule")) {
		diags = append(diags, scheduleError(d))
	}
	if d.Known("sources") {
		if _, problem := snapshotSources(d.Values["sources"]); problem != "" {
			bad("sources", "Invalid sources", "%s.", problem)
		}
	}
	if d.Known("user") && !accountName.MatchString(d.String("user")) {
		bad("user", "Invalid user", "%q is not a user name.", d.String("user"))
	}
	if d.Known("address") && !snapshotAddress(d.String("address")) {
		bad("address", "Invalid address", "address %q must be an IP address or a host name: what the backup node connects to.", d.String("address"))
	}
	return diags
}

func cleanSnapshotPath(p string) bool {
	return snapshotPath.MatchString(p) && path.Clean(p) == p && p != "/" && !slices.Contains(strings.Split(p, "/"), "..")
}

func snapshotAddress(a string) bool {
	return net.ParseIP(a) != nil || snapshotHost.MatchString(a)
}

// snapshotSources reads sources: an object of names to objects with
// path, key and optionally exclude. It says what is wrong, if anything.
func snapshotSources(v cty.Value) ([]snapshotSourceSpec, string) {
	v, _ = v.UnmarkDeep()
	const shape = `sources is an object of names to { path = "<folder on the node>", key = "<key on the backup node>" }, like { site = { path = site.root, key = "/root/.ssh/shoal-blog-snapshot" } }`
	if v.IsNull() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		return nil, shape
	}
	var out []snapshotSourceSpec
	for it := v.ElementIterator(); it.Next(); {
		k, src := it.Element()
		s := snapshotSourceSpec{Name: k.AsString()}
		if !snapshotSource.MatchString(s.Name) {
			return nil, fmt.Sprintf("source %q: a name is lower-case letters, digits, '_' and '-', starting with a letter (it names a folder in each snapshot)", s.Name)
		}
		if src.IsNull() || !(src.Type().IsObjectType() || src.Type().IsMapType()) {
			return nil, fmt.Sprintf("source %q: %s", s.Name, shape)
		}
		for at := src.ElementIterator(); at.Next(); {
			ak, av := at.Element()
			name := ak.AsString()
			switch name {
			case "path", "key":
				if av.IsNull() || av.Type() != cty.String {
					return nil, fmt.Sprintf("source %q: %s is a string", s.Name, name)
				}
				if !cleanSnapshotPath(av.AsString()) {
					return nil, fmt.Sprintf("source %q: %s %q must be an absolute path of letters, digits, '.', '_', '-' and '/'", s.Name, name, av.AsString())
				}
				if name == "path" {
					s.Path = av.AsString()
				} else {
					s.Key = av.AsString()
				}
			case "exclude":
				if av.IsNull() || !av.CanIterateElements() || av.Type().IsObjectType() || av.Type().IsMapType() {
					return nil, fmt.Sprintf("source %q: exclude is a list of rsync patterns, like [\"wp-content/cache/\"]", s.Name)
				}
				for xt := av.ElementIterator(); xt.Next(); {
					_, x := xt.Element()
					if x.IsNull() || x.Type() != cty.String || strings.TrimSpace(x.AsString()) == "" || block.HasControl(x.AsString()) {
						return nil, fmt.Sprintf("source %q: exclude holds rsync patterns, one line each", s.Name)
					}
					s.Exclude = append(s.Exclude, x.AsString())
				}
			default:
				return nil, fmt.Sprintf("source %q: %q is not an argument of a source (path, key, exclude)", s.Name, name)
			}
		}
		if s.Path == "" || s.Key == "" {
			return nil, fmt.Sprintf("source %q needs a path and a key", s.Name)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, "sources names nothing to snapshot"
	}
	return out, ""
}

func compileSnapshot(u *Unit) ([]Entry, hashicl.Diagnostics) {
	var out []Entry
	var diags hashicl.Diagnostics
	for _, backup := range u.Nodes {
		d, ds := u.Eval(backup)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		fail := func(arg, summary, format string, args ...any) {
			diags = append(diags, d.Error(arg, summary, "%s: %s: "+format, append([]any{d.Owner, d.Describe()}, args...)...))
		}
		of := d.String("of")
		if of == "" {
			of = "primary"
		}
		nodes := u.Select(of)
		switch {
		case len(nodes) == 0:
			fail("of", "No node to snapshot", "of = %q names no node.", of)
			continue
		case len(nodes) > 1:
			fail("of", "Several nodes", "of = %q names %d nodes (%s); a snapshot block reads one node: declare one block per node.", of, len(nodes), strings.Join(nodes, ", "))
			continue
		case nodes[0] == backup:
			fail("of", "A node snapshotting itself", "%s would keep its snapshots on itself (of = %q); keep them on another node.", backup, of)
			continue
		}
		sources, _ := snapshotSources(d.Values["sources"])
		s := &Snapshot{
			Site: u.Site.Name, Block: d.Address(), NodeName: backup, Of: nodes[0],
			Dir: d.String("dir"), Keep: d.Int("keep"), Schedule: d.String("schedule"),
			Sources: sources, User: d.String("user"), Address: d.String("address"),
		}
		if s.User == "" {
			s.User = "root"
		}
		if s.Address == "" && u.Address != nil {
			s.Address = u.Address(s.Of)
		}
		if !snapshotAddress(s.Address) {
			fail("of", "Address unusable", "%s address %q is not an IP address or host name to connect to; set the node's address, or this block's address.", possessiveName(s.Of), s.Address)
			continue
		}
		script := &File{
			NodeName: backup, Site: u.Site.Name, KindName: "snapshot",
			Path: s.ScriptPath(), Content: "#!/bin/sh\n" + s.script(), Mode: "0700", Owner: "root", Group: "root",
			Stamp: changedStamp(stateDir, u.Site.Name, d.Address()),
		}
		cron := &File{
			NodeName: backup, Site: u.Site.Name, KindName: "snapshot",
			Path: CronPath(u.Site.Name, "snapshot-"+d.Label+"-"+s.Of), Content: s.cronFile(), Mode: "0644", Owner: "root", Group: "root",
		}
		out = append(out,
			Entry{Step: script, Site: u.Site.Name},
			Entry{Step: cron, Site: u.Site.Name},
			Entry{Step: s, Site: u.Site.Name, Unconditional: true})
		if u.Site.SnapshotBeforeApply {
			out = append(out, Entry{Step: &SnapshotNow{Snapshot: s}, Site: u.Site.Name, Ahead: []Ref{{Node: s.Of}}})
		}
	}
	return out, diags
}

// possessiveName: "web1's".
func possessiveName(n string) string { return n + "'s" }

// Snapshot keeps at most Keep complete snapshots of one node on a backup
// node, and is what the run's script and cron file are made from.
type Snapshot struct {
	Site, Block string // the declaring site and block ("snapshot.nightly")
	NodeName    string // the backup node
	Of          string // the node snapshotted
	Dir         string // snapshots of Of are in Dir/Of
	Keep        int
	Schedule    string
	Sources     []snapshotSourceSpec
	User        string // who the backup node logs in as on Of
	Address     string // how it reaches Of
}

var (
	_ Scripter = (*Snapshot)(nil)
	_ Scripter = (*SnapshotNow)(nil)
)

func (s *Snapshot) folder() string { return path.Join(s.Dir, s.Of) }
func (s *Snapshot) ID() string     { return changeID(s.NodeName, "snapshot", s.folder()) }
func (s *Snapshot) Kind() string   { return "snapshot" }
func (s *Snapshot) Node() string   { return s.NodeName }

// ScriptPath is where the run's script is installed on the backup node.
func (s *Snapshot) ScriptPath() string {
	label := strings.TrimPrefix(s.Block, "snapshot.")
	return stateDir + "/snapshot/" + s.Site + "/" + label + "-" + s.Of + ".sh"
}

func (s *Snapshot) Facts() []NodeFact {
	return []NodeFact{{s.NodeName, snapshotList{Top: s.Dir, Dir: s.folder()}}}
}

// snapshotList reads the snapshots in Dir: a state word (absent, link,
// notdir, dir), then for a folder the name of each folder in it.
type snapshotList struct{ Top, Dir string }

func (x snapshotList) Key() string { return "snapshots:" + x.Dir }
func (x snapshotList) Command() string {
	return shell.Script(snapshotListBody, shell.Bind("top", x.Top), shell.Bind("d", x.Dir))
}

const snapshotListBody = `if [ -L "$top" ] || [ -L "$d" ]; then echo link; exit 0; fi
if [ ! -e "$d" ]; then echo absent; exit 0; fi
if [ ! -d "$d" ]; then echo notdir; exit 0; fi
echo dir
cd -- "$d" || exit 1
for n in *; do
	if [ -d "$n" ] && [ ! -L "$n" ]; then printf '%s\n' "$n"; fi
done`

// snapshotState is what the backup node holds of one node's snapshots.
type snapshotState struct {
	Complete []string // oldest first
	Partial  []string // runs that did not finish, oldest first
}

func readSnapshots(ctx context.Context, src facts.Source, node string, x snapshotList) (snapshotState, string, error) {
	sec, err := src.Get(ctx, node, x)
	if err != nil {
		return snapshotState{}, "", err
	}
	if sec.Status != 0 {
		return snapshotState{}, "", fmt.Errorf("listing %s on %s: exit status %d", x.Dir, node, sec.Status)
	}
	lines := strings.Split(strings.TrimSuffix(sec.Output, "\n"), "\n")
	switch lines[0] {
	case "absent":
		return snapshotState{}, "", nil
	case "link":
		return snapshotState{}, fmt.Sprintf("%s or %s is a symlink: shoal keeps no snapshots through a link", x.Top, x.Dir), nil
	case "notdir":
		return snapshotState{}, x.Dir + " is not a folder", nil
	case "dir":
	default:
		return snapshotState{}, "", fmt.Errorf("listing %s on %s: unexpected %q", x.Dir, node, lines[0])
	}
	var st snapshotState
	for _, n := range lines[1:] {
		switch {
		case snapshotName.MatchString(n):
			st.Complete = append(st.Complete, n)
		case strings.HasSuffix(n, ".partial") && snapshotName.MatchString(strings.TrimSuffix(n, ".partial")):
			st.Partial = append(st.Partial, n)
		}
	}
	slices.Sort(st.Complete)
	slices.Sort(st.Partial)
	return st, "", nil
}

// prune lists what keeping keep complete snapshots deletes: the oldest
// complete ones beyond keep, and partial runs older than the newest
// complete one (a newer partial is a run under way, or one the next run
// takes up). The newest complete snapshot is never among them.
func (st snapshotState) prune(keep int) []string {
	var drop []string
	if n := len(st.Complete); n > keep && keep >= 1 {
		drop = append(drop, st.Complete[:n-keep]...)
	}
	if n := len(st.Complete); n > 0 {
		newest := st.Complete[n-1]
		for _, p := range st.Partial {
			if strings.TrimSuffix(p, ".partial") < newest {
				drop = append(drop, p)
			}
		}
	}
	return drop
}

// snapshotPayload is what a snapshot's pruning carries to apply: the
// folders to delete, and the newest complete snapshot the plan saw.
type snapshotPayload struct {
	Delete []string `json:"delete"`
	Newest string   `json:"newest"`
}

func (s *Snapshot) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	c := &plan.Change{ID: s.ID(), Node: s.NodeName, Site: s.Site, Kind: "snapshot", Target: s.folder()}
	st, problem, err := readSnapshots(ctx, src, s.NodeName, snapshotList{Top: s.Dir, Dir: s.folder()})
	if err != nil {
		return nil, err
	}
	if problem != "" {
		c.Action, c.Reason = plan.Conflict, problem
		return c, nil
	}
	drop := st.prune(s.Keep)
	if len(drop) == 0 {
		c.Action = plan.NoOp
		if len(st.Complete) == 0 {
			c.Reason = fmt.Sprintf("no snapshot of %s yet; runs at %s", s.Of, s.Schedule)
		} else {
			c.Reason = fmt.Sprintf("%s of %s, the newest %s; keep = %d", plural(len(st.Complete), "snapshot"), s.Of, st.Complete[len(st.Complete)-1], s.Keep)
		}
		return c, nil
	}
	c.Action = plan.Delete
	var old, partial int
	for _, n := range drop {
		if strings.HasSuffix(n, ".partial") {
			partial++
			c.Details = append(c.Details, "delete "+n+" (a run that did not finish)")
		} else {
			old++
			c.Details = append(c.Details, "delete "+n)
		}
	}
	var parts []string
	if old > 0 {
		parts = append(parts, fmt.Sprintf("delete the %s of %s beyond keep = %d", plural(old, "oldest snapshot"), s.Of, s.Keep))
	}
	if partial > 0 {
		parts = append(parts, fmt.Sprintf("delete %s older than the newest", plural(partial, "unfinished run")))
	}
	c.Summary = strings.Join(parts, ", ") + fmt.Sprintf("; the newest, %s, is kept", st.Complete[len(st.Complete)-1])
	plan.SetPayload(c, snapshotPayload{Delete: drop, Newest: st.Complete[len(st.Complete)-1]})
	return c, nil
}

// ApplyScript deletes what the plan listed, under the lock the runs
// take, never the newest complete snapshot there is then.
func (s *Snapshot) ApplyScript(c *plan.Change) string {
	p, err := plan.DecodePayload[snapshotPayload](c)
	if err != nil {
		return ""
	}
	for _, n := range p.Delete {
		if !snapshotName.MatchString(strings.TrimSuffix(n, ".partial")) {
			return "" // Apply says why
		}
	}
	return shell.Script(snapshotCommon+snapshotPruneBody,
		shell.Bind("dir", s.Dir), shell.Bind("node", s.Of), shell.BindLines("drop", p.Delete))
}

func (s *Snapshot) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	script := s.ApplyScript(c)
	if script == "" {
		if _, err := plan.DecodePayload[snapshotPayload](c); err != nil {
			return err
		}
		return fmt.Errorf("snapshots of %s on %s: the plan names a folder that is not a snapshot; run shoal plan again", s.Of, s.NodeName)
	}
	return runReporting(ctx, h, script, r, fmt.Sprintf("deleting old snapshots of %s on %s", s.Of, s.NodeName))
}

// snapshotCommon is shared by the run and the pruning: both work in
// <dir>/<node>, never through a symlink, under its lock.
const snapshotCommon = `set -eu
export LC_ALL=C
pat='[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z'
nd=$dir/$node
for p in "$dir" "$nd"; do
	if [ -L "$p" ]; then
		echo "$p is a symlink: shoal keeps no snapshots through a link" >&2
		exit 3
	fi
done
# done_snapshots: the complete snapshots of the node, oldest first
done_snapshots() {
	for s in "$nd"/$pat; do
		if [ -d "$s" ] && [ ! -L "$s" ]; then printf '%s\n' "${s##*/}"; fi
	done
}
`

const snapshotPruneBody = `[ -d "$nd" ] || exit 0
exec 9>>"$nd/.lock"
if ! flock -w 600 9; then
	echo "a snapshot of $node is running (it holds $nd/.lock): run shoal apply again once it is done" >&2
	exit 1
fi
newest=$(done_snapshots | tail -n 1)
printf '%s\n' "$drop" | while IFS= read -r old; do
	[ -n "$old" ] || continue
	if [ "$old" = "$newest" ]; then
		echo "kept $old: it is the newest complete snapshot of $node"
		continue
	fi
	if [ -d "$nd/$old" ] && [ ! -L "$nd/$old" ]; then
		rm -rf -- "${nd:?}/$old"
		echo "deleted $old"
	fi
done
`

// script is the run: what cron starts on schedule and SnapshotNow runs
// before apply changes the node.
func (s *Snapshot) script() string {
	var sources, excludes []string
	for _, src := range s.Sources {
		sources = append(sources, src.Name+"\t"+src.Key+"\t"+src.Path)
		for _, x := range src.Exclude {
			excludes = append(excludes, src.Name+"\t"+x)
		}
	}
	host := s.Address
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return shell.Script(snapshotCommon+snapshotRunBody,
		shell.Bind("site", s.Site), shell.Bind("block", s.Block),
		shell.Bind("dir", s.Dir), shell.Bind("node", s.Of), shell.Bind("host", host), shell.Bind("user", s.User),
		shell.Bind("keep", strconv.Itoa(s.Keep)),
		shell.BindLines("sources", sources), shell.BindLines("excludes", excludes))
}

// snapshotRunBody: one run. Each source is pulled through its key into
// the run's folder, hard-linking what the newest complete snapshot
// already holds unchanged; a source that fails leaves the folder
// .partial for the next run to take up. Quiet under cron (--cron) but
// for failures.
const snapshotRunBody = `umask 077
quiet=
if [ "${1:-}" = --cron ]; then quiet=yes; fi
mkdir -p -- "$nd"
exec 9>>"$nd/.lock"
if ! flock -w 3600 9; then
	echo "another snapshot of $node has held $nd/.lock for an hour; giving up" >&2
	exit 1
fi
newest=$(done_snapshots | tail -n 1)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
while [ -e "$nd/$stamp" ] || [ -e "$nd/$stamp.partial" ]; do
	sleep 1
	stamp=$(date -u +%Y%m%dT%H%M%SZ)
done
work=$nd/$stamp.partial
# an interrupted run's folder is taken up: rsync then sends what it lacks
last=
for s in "$nd"/$pat.partial; do
	if [ -d "$s" ] && [ ! -L "$s" ]; then last=$s; fi
done
if [ -n "$last" ]; then mv -- "$last" "$work"; fi
for s in "$nd"/$pat.partial; do
	if [ "$s" != "$work" ] && [ -d "$s" ] && [ ! -L "$s" ]; then rm -rf -- "$s"; fi
done
mkdir -p -- "$work"
tab=$(printf '\t')
while IFS="$tab" read -r name key from; do
	[ -n "$name" ] || continue
	set --
	while IFS="$tab" read -r xname pattern; do
		if [ "$xname" = "$name" ]; then set -- "$@" "--exclude=$pattern"; fi
	done <<EOF
$excludes
EOF
	if [ -n "$newest" ] && [ -d "$nd/$newest/$name" ]; then
		set -- "$@" "--link-dest=$nd/$newest/$name"
	fi
	s=0
	rsync -a --numeric-ids --delete --delete-excluded "$@" \
		-e "ssh -i $key -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=30 -o ServerAliveInterval=30" \
		"$user@$host:./" "$work/$name/" </dev/null || s=$?
	case $s in
	0 | 24) ;; # 24: files that vanished while being read, as on any live site
	*)
		echo "snapshot of $node: pulling $name ($from) from $host failed (rsync exit $s); $work is kept for the next run" >&2
		exit 1
		;;
	esac
done <<EOF
$sources
EOF
{
	printf 'site=%s\nblock=%s\nnode=%s\nhost=%s\nfinished=%s\n' "$site" "$block" "$node" "$host" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	while IFS="$tab" read -r name key from; do
		printf 'source=%s %s\n' "$name" "$from"
	done <<EOF
$sources
EOF
} > "$work/.shoal-snapshot"
sync -f -- "$work"
mv -- "$work" "$nd/$stamp"
drop=$(( $(done_snapshots | wc -l) - keep ))
if [ "$drop" -gt 0 ]; then
	done_snapshots | head -n "$drop" | while IFS= read -r old; do
		if [ "$old" != "$stamp" ]; then rm -rf -- "${nd:?}/$old"; fi
	done
fi
if [ -z "$quiet" ]; then
	files=$(find "$nd/$stamp" -mindepth 2 -type f | wc -l)
	fresh=$(find "$nd/$stamp" -mindepth 2 -type f -links 1 | wc -l)
	if [ -n "$newest" ]; then
		echo "snapshot $stamp of $node: $files files, $fresh new or changed, the others hard links into $newest"
	else
		echo "snapshot $stamp of $node: $files files (the first)"
	fi
fi
`

// cronFile runs the script on schedule, quietly but for failures.
func (s *Snapshot) cronFile() string {
	return fmt.Sprintf("# Managed by shoal (site %s, %s); changes here are overwritten.\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n%s root /bin/sh %s --cron\n",
		s.Site, s.Block, s.Schedule, s.ScriptPath())
}

// SnapshotNow takes a snapshot before apply changes the node it reads:
// it goes ahead of every change there (Entry.Ahead), and the planner
// leaves it out when there is none.
type SnapshotNow struct {
	*Snapshot
}

func (s *SnapshotNow) ID() string        { return s.Snapshot.ID() + "#before-apply" }
func (s *SnapshotNow) Facts() []NodeFact { return nil }

func (s *SnapshotNow) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	return &plan.Change{
		ID: s.ID(), Node: s.NodeName, Site: s.Site, Kind: "snapshot", Target: s.folder(), Action: plan.Update,
		Summary: fmt.Sprintf("take a snapshot of %s (%s) before apply changes it", s.Of, strings.Join(s.sourceNames(), ", ")),
	}, nil
}

func (s *Snapshot) sourceNames() []string {
	var out []string
	for _, src := range s.Sources {
		out = append(out, src.Name)
	}
	return out
}

func (s *SnapshotNow) ApplyScript(*plan.Change) string { return s.script() }

func (s *SnapshotNow) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	return runReporting(ctx, h, s.script(), r, fmt.Sprintf("snapshot of %s on %s", s.Of, s.NodeName))
}
