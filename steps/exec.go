package steps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// exec: `exec "migrate" { command = "php bin/console migrate", unless =
// "php bin/console migrate --check" }` runs a command with `sh -c` on each
// node it runs on, only when a guard says so: creates (a path: not run
// once it exists), unless (a shell test: not run when it exits 0) or
// on_change (run only when one of those blocks changes). An exec with no
// guard is refused: it would run on every apply.
//
// The plan reads the guards with the node's other facts — unless runs
// then too, so it must only look — and shows "run <command>"; apply
// checks creates and unless again on the node first, and when either is
// now satisfied does not run the command. The command runs as user
// (runuser), in cwd (default: the site root; relative: under it, never
// left through a symlink), with env exported, and its output goes to the
// node's log as it comes. It may run timeout long (default 30m); then
// its session is closed, which kills what it started.
//
// Secrets reach a command on its standard input (stdin), which travels
// inside the script on the SSH session's stdin and is piped to the
// command by the shell's printf: never in an argv, an environment or the
// plan. command, unless, creates, cwd and env may not hold a secret: a
// command line shows in ps to every user, a process's environment in
// /proc/<pid>/environ to its user and everything it starts.
var _ = register(&Kind{
	Type:      "exec",
	LabelKind: block.LabelName,
	Arguments: []Argument{
		{Name: "command", Type: cty.String, Required: true},
		{Name: "creates", Type: cty.String},
		{Name: "unless", Type: cty.String},
		{Name: "stdin", Type: cty.String},
		{Name: "user", Type: cty.String},
		{Name: "cwd", Type: cty.String},
		{Name: "env", Type: cty.Map(cty.String)},
		{Name: "timeout", Type: cty.String},
	},
	IsStep:    true,
	DefaultOn: "all",
	Validate:  validateExec,
	DefaultsOf: func(d *block.Decl) map[string]cty.Value {
		if d.Has("timeout") {
			return nil
		}
		return map[string]cty.Value{"timeout": cty.StringVal("30m")}
	},
	Compile: func(u *Unit) ([]Entry, hashicl.Diagnostics) {
		return u.Each(func(node string, d *block.Decl) (Step, hashicl.Diagnostics) {
			return newExec(u, node, d), nil
		})
	},
})

// defaultExecTimeout is how long a command may run when its block says
// nothing; guardTimeout is how long an unless test may (in seconds: the
// scripts' timeout(1) reads it).
const (
	defaultExecTimeout = 30 * time.Minute
	guardTimeout       = 60
)

func validateExec(d *block.Decl) hashicl.Diagnostics {
	var diags hashicl.Diagnostics
	if !d.Has("creates") && !d.Has("unless") && len(d.OnChange) == 0 {
		diags = append(diags, d.Error("", "Exec without a guard",
			"%s: %s: an exec with no guard runs on every apply. Give it creates = \"/path\" (not run once the path exists), unless = \"<test>\" (not run when the test exits 0) or on_change = [<kind>.<name>] (run when that block changes).",
			d.Owner, d.Describe()))
	}
	for _, a := range []string{"command", "unless", "creates", "cwd", "user", "env", "timeout"} {
		if d.Sensitive(a) {
			diags = append(diags, d.Error(a, "Sensitive value in an exec",
				"%s: %s: %s holds a sensitive value; a command line shows in ps to every user and in the plan, an environment in /proc/<pid>/environ. Give the secret on the command's standard input (stdin = var.<name>), or write it to a file only its user reads (a file block with mode = \"0600\") and have the command read it.",
				d.Owner, d.Describe(), a))
		}
	}
	if diags.HasErrors() {
		return diags
	}
	for _, a := range []string{"command", "unless"} {
		if d.Known(a) && (strings.TrimSpace(d.String(a)) == "" || block.HasControl(strings.NewReplacer("\n", " ", "\t", " ").Replace(d.String(a)))) {
			diags = append(diags, d.Error(a, "Invalid "+a,
				"%s: %s: %s is shell for sh -c: not empty, and no control character but newlines and tabs.", d.Owner, d.Describe(), a))
		}
	}
	for _, a := range []string{"creates", "cwd"} {
		if d.Known(a) {
			if _, problem := execPath(d.String(a)); problem != "" {
				diags = append(diags, d.Error(a, "Invalid path", "%s: %s: %s %q %s.", d.Owner, d.Describe(), a, d.String(a), problem))
			}
		}
	}
	if d.Known("user") && !accountName.MatchString(d.String("user")) {
		diags = append(diags, d.Error("user", "Invalid user", "%s: %s: %q is not a user name.", d.Owner, d.Describe(), d.String("user")))
	}
	for name, v := range d.StringMap("env") {
		if !envName.MatchString(name) || block.HasControl(v) || strings.HasPrefix(name, "shoal_") {
			diags = append(diags, d.Error("env", "Invalid env",
				"%s: %s: env %q must be a variable name (not starting with shoal_, which the script uses) with a one-line value.", d.Owner, d.Describe(), name))
		}
	}
	if d.Known("timeout") {
		if t, err := time.ParseDuration(d.String("timeout")); err != nil || t < time.Second {
			diags = append(diags, d.Error("timeout", "Invalid timeout",
				"%s: %s: timeout %q is a duration of a second or more, like \"90s\", \"10m\" or \"1h30m\".", d.Owner, d.Describe(), d.String("timeout")))
		}
	}
	return diags
}

// execPath cleans creates and cwd: absolute, or relative to the site root.
func execPath(p string) (clean, problem string) {
	if strings.HasPrefix(p, "/") {
		if block.HasControl(p) {
			return "", block.ControlProblem
		}
		return path.Clean(p), ""
	}
	return block.RelPath(p, block.RootBase)
}

func newExec(u *Unit, node string, d *block.Decl) *Exec {
	e := &Exec{
		NodeName: node, Site: u.Site.Name, Name: d.Label,
		Command: d.String("command"), Unless: d.String("unless"), User: d.String("user"),
		Env: d.StringMap("env"), Timeout: defaultExecTimeout,
	}
	underRoot := func(p string) string {
		clean, _ := execPath(p)
		if path.IsAbs(clean) {
			return clean
		}
		return path.Join(u.Site.Root, clean)
	}
	if d.Has("creates") {
		e.Creates = underRoot(d.String("creates"))
	}
	e.Cwd = u.Site.Root
	if d.Has("cwd") {
		e.Cwd = underRoot(d.String("cwd"))
	}
	if block.Within(e.Cwd, u.Site.Root) {
		e.Root = u.Site.Root
	}
	if d.Has("stdin") {
		e.Stdin, e.HasStdin, e.StdinHidden = d.String("stdin"), true, d.Sensitive("stdin")
	}
	if t, err := time.ParseDuration(d.String("timeout")); err == nil && d.Has("timeout") {
		e.Timeout = t
	}
	for _, r := range d.OnChange {
		e.OnChange = append(e.OnChange, r.String())
	}
	return e
}

// Exec runs a guarded command.
type Exec struct {
	NodeName string
	Site     string
	Name     string // the block's label
	Command  string
	Creates  string // absolute; "" for none
	Unless   string
	// Stdin is given to the command on its standard input when HasStdin;
	// StdinHidden says it holds a secret (the plan then says only so).
	Stdin       string
	HasStdin    bool
	StdinHidden bool
	User        string // "" runs it as the connection's user (root)
	Cwd         string // absolute
	// Root is the site root when Cwd lies in it: the command then never
	// runs in a folder a symlink leads it to out of the root.
	Root     string
	Env      map[string]string
	Timeout  time.Duration
	OnChange []string // addresses of the blocks it follows, for the plan
}

var _ Applier = (*Exec)(nil)

func (e *Exec) ID() string   { return changeID(e.NodeName, "exec", e.Site+"/"+e.Name) }
func (e *Exec) Kind() string { return "exec" }
func (e *Exec) Node() string { return e.NodeName }

func (e *Exec) Facts() []NodeFact {
	fs := []NodeFact{{e.NodeName, e.context()}}
	if e.Creates != "" {
		fs = append(fs, NodeFact{e.NodeName, facts.Path{Path: e.Creates, Shallow: true}})
	}
	return fs
}

// execPayload is what an exec change carries to apply: the plan decided
// to run the command. Apply checks creates and unless again first.
type execPayload struct {
	Run bool `json:"run"`
}

func (e *Exec) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	c := &plan.Change{ID: e.ID(), Node: e.NodeName, Site: e.Site, Kind: e.Kind(), Target: e.Name}
	var why []string
	if e.Creates != "" {
		info, err := facts.ReadPathFact(ctx, src, e.NodeName, facts.Path{Path: e.Creates, Shallow: true})
		if err != nil {
			return nil, err
		}
		if info.Kind != facts.PathAbsent {
			c.Action, c.Reason = plan.NoOp, e.Creates+" exists"
			return c, nil
		}
		why = append(why, "creates "+e.Creates+", which does not exist")
	}
	sec, err := src.Get(ctx, e.NodeName, e.context())
	if err != nil {
		return nil, err
	}
	switch out := strings.TrimSpace(sec.Output); {
	case sec.Status != 0:
		return nil, fmt.Errorf("checking exec %s on %s: exit status %d", e.Name, e.NodeName, sec.Status)
	case out == "escapes":
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("%s leads out of %s through a symlink: not running a command there", e.Cwd, e.Root)
		return c, nil
	case out == "nocwd":
		why = append(why, fmt.Sprintf("%s does not exist yet: checked again when it runs", e.Cwd))
	case out == "status 0":
		c.Action, c.Reason = plan.NoOp, "unless test succeeds"
		return c, nil
	case out == "status 124":
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("the unless test did not finish within %d seconds", guardTimeout)
		return c, nil
	case strings.HasPrefix(out, "status "):
		why = append(why, "unless test exits "+strings.TrimPrefix(out, "status "))
	}
	if len(e.OnChange) > 0 {
		why = append(why, "on change of "+strings.Join(e.OnChange, ", "))
	}
	c.Action = plan.Update
	c.Summary, c.Details = e.shown(why)
	plan.SetPayload(c, execPayload{Run: true})
	return c, nil
}

// shown is how a plan shows the run: the command (in full below the
// summary when it spans lines), why it runs, and how.
func (e *Exec) shown(why []string) (string, []string) {
	lines := strings.Split(strings.TrimRight(e.Command, "\n"), "\n")
	summary := "run " + lines[0]
	var details []string
	if len(lines) > 1 {
		summary += fmt.Sprintf(" … (%d lines)", len(lines))
		for _, l := range lines {
			details = append(details, "  "+l)
		}
	}
	how := "in " + e.Cwd
	if e.User != "" {
		how = "as " + e.User + " " + how
	}
	details = append(details, how)
	if len(e.Env) > 0 {
		details = append(details, "env "+strings.Join(sortedKeys(e.Env), ", "))
	}
	switch {
	case e.StdinHidden:
		details = append(details, "stdin (sensitive)")
	case e.HasStdin:
		details = append(details, fmt.Sprintf("stdin %d bytes", len(e.Stdin)))
	}
	if e.Unless != "" {
		details = append(details, "unless "+e.Unless)
	}
	details = append(details, why...)
	return summary, details
}

// context checks the exec's folder on the node and runs its unless test.
func (e *Exec) context() execContext {
	return execContext{Cwd: e.Cwd, Root: e.Root, User: e.User, Env: envLines(e.Env), Unless: e.Unless}
}

// execContext is the fact that says whether an exec can run in its
// folder — "nocwd" (absent), "escapes" (out of the root through a link)
// — and, with an unless test, its exit status: "status N". The test runs
// as the command would (user, cwd, env), for at most guardTimeout.
type execContext struct {
	Cwd, Root, User, Env, Unless string
}

func (x execContext) Key() string {
	sum := sha256.Sum256([]byte(strings.Join([]string{x.Cwd, x.Root, x.User, x.Env, x.Unless}, "\x00")))
	return "exec-context:" + hex.EncodeToString(sum[:12])
}

func (x execContext) Command() string {
	return shell.Script(execPrelude+execContextBody, x.binds()...)
}

func (x execContext) binds() []shell.Var {
	return []shell.Var{
		shell.Bind("cwd", x.Cwd), shell.Bind("root", x.Root), shell.Bind("user", x.User),
		shell.Bind("env", x.Env), shell.Bind("unless", x.Unless), shell.Bind("guard_limit", strconv.Itoa(guardTimeout)),
	}
}

// execPrelude defines with_env (run a command with env exported: one
// NAME=value a line, in a subshell, so no name the user gives can change
// the script's own variables), enter (cd to cwd: 1 when it can't, 2 when
// it leads out of root) and guard (the unless test, run as the command
// would be, bounded by timeout(1): 124 when the limit is reached).
const execPrelude = `with_env() (
	set -f
	IFS='
'
	# shellcheck disable=SC2163 # each line is NAME=value: export both
	for shoal_kv in $env; do export "$shoal_kv"; done
	exec "$@"
)
enter() {
	cd -- "$cwd" 2>/dev/null || return 1
	[ -n "$root" ] || return 0
	here=$(pwd -P) && top=$(cd -P -- "$root" && pwd) || return 1
	case "$here/" in
	"$top"/*) return 0 ;;
	esac
	return 2
}
guard() {
	if [ -n "$user" ]; then
		with_env timeout -k 5 "$guard_limit" runuser -u "$user" -- sh -c "$unless"
	else
		with_env timeout -k 5 "$guard_limit" sh -c "$unless"
	fi
}
`

const execContextBody = `enter
case $? in
1) echo nocwd; exit 0 ;;
2) echo escapes; exit 0 ;;
esac
if [ -z "$unless" ]; then echo ready; exit 0; fi
guard </dev/null >/dev/null 2>&1
echo "status $?"`

// script runs the command: the guards checked again, the command's
// output (stderr too) on stdout, its exit status the script's.
func (e *Exec) script() string {
	hasStdin := ""
	if e.HasStdin {
		hasStdin = "1"
	}
	vars := append(e.context().binds(),
		shell.Bind("command", e.Command), shell.Bind("creates", e.Creates),
		shell.Bind("has_stdin", hasStdin), shell.Bind("stdin", e.Stdin))
	return shell.Script(execPrelude+execRunBody, vars...)
}

const execRunBody = `exec 2>&1
enter
case $? in
1) echo "shoal: cannot enter $cwd: not running"; exit 3 ;;
2) echo "shoal: $cwd leads out of $root through a symlink: not running there"; exit 3 ;;
esac
if [ -n "$creates" ] && { [ -e "$creates" ] || [ -L "$creates" ]; }; then
	echo "shoal: $creates exists now: not running"
	exit 0
fi
if [ -n "$unless" ]; then
	guard </dev/null >/dev/null 2>&1
	case $? in
	0) echo "shoal: the unless test succeeds now: not running"; exit 0 ;;
	124) echo "shoal: the unless test did not finish within $guard_limit seconds: not running"; exit 3 ;;
	esac
fi
if [ -n "$user" ]; then
	set -- runuser -u "$user" -- sh -c "$command"
else
	set -- sh -c "$command"
fi
if [ -n "$has_stdin" ]; then
	printf '%s' "$stdin" | with_env "$@"
else
	with_env "$@" </dev/null
fi`

// outputTail is how many of a failed command's last lines its error quotes.
const outputTail = 5

// Apply runs the script, streaming the command's output to r; a command
// still running after Timeout has its session closed.
func (e *Exec) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	if _, err := plan.DecodePayload[execPayload](c); err != nil {
		return err
	}
	runCtx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	var tail []string
	lines := &transport.LineWriter{Line: func(l string) {
		r.Output(l)
		if tail = append(tail, l); len(tail) > outputTail {
			tail = tail[1:]
		}
	}}
	out := &closingWriter{w: lines}
	err := h.Run(runCtx, transport.Command{Script: e.script(), Stdout: out})
	out.close()
	lines.Flush()
	if err == nil {
		return nil
	}
	if ctx.Err() == nil && errors.Is(runCtx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("exec %s on %s: still running after its timeout of %s: stopped", e.Name, e.NodeName, e.Timeout)
	}
	var exit *transport.ExitError
	if errors.As(err, &exit) {
		msg := fmt.Sprintf("exec %s on %s: exit status %d", e.Name, e.NodeName, exit.Status)
		if len(tail) > 0 {
			msg += ": " + strings.Join(tail, "; ")
		}
		return errors.New(msg)
	}
	return fmt.Errorf("exec %s on %s: %w", e.Name, e.NodeName, err)
}

// closingWriter passes writes to w until closed, then drops them: a
// session given up on (timeout, Ctrl-C) may still be writing when Apply
// returns.
type closingWriter struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func (c *closingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return len(p), nil
	}
	return c.w.Write(p)
}

func (c *closingWriter) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
}

// envLines is env as the scripts read it: NAME=value, one a line, sorted.
func envLines(env map[string]string) string {
	var lines []string
	for _, k := range sortedKeys(env) {
		lines = append(lines, k+"="+env[k])
	}
	return strings.Join(lines, "\n")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
