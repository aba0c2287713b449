package steps

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// line: `line "listen" { path = "/etc/memcached.conf", match = "^-l\\s",
// line = "-l ${node.address}" }` keeps one setting of a file that exists:
// the one line matching match (a Go regular expression, RE2) is replaced
// by line, or line is added when none matches — at the end, or right
// after the first line matching insert_after, or right before the first
// line matching insert_before (after is every step's meta-argument, hence
// insert_). The rest of the file is left byte for byte; the write is
// atomic and the previous version kept (fileWrite). A relative path lies
// under the site root.
//
// The rule that lets several line blocks edit one file in one apply: the
// plan decides replace or add, and records what that rests on — the
// sha256 of the line it replaces, or that no line matched. Apply reads
// the file again, computes the edit from what is there now, and goes
// ahead when that decision is still the plan's (the line it replaces is
// the one the plan saw, or still none matches); the other edits of the
// file, run before it in declaration order (Writer), are then kept. A
// decision that changed is refused, and a write is refused when the file
// changed between apply's read and its write.
var _ = register(&Kind{
	Type:      "line",
	LabelKind: block.LabelName,
	Arguments: []Argument{
		{Name: "path", Type: cty.String, Required: true},
		{Name: "match", Type: cty.String, Required: true},
		{Name: "line", Type: cty.String, Required: true},
		{Name: "insert_after", Type: cty.String},
		{Name: "insert_before", Type: cty.String},
	},
	IsStep:    true,
	DefaultOn: "all",
	Validate:  validateLine,
	ClaimsOf:  editedClaim,
	Compile: func(u *Unit) ([]Entry, hashicl.Diagnostics) {
		entries, diags := u.Each(func(node string, d *block.Decl) (Step, hashicl.Diagnostics) {
			return newLine(u, node, d)
		})
		for i := range entries {
			if entries[i].Step.(*Line).Root != "" {
				// The primary's copy is what replicate reads: not while it
				// is being rewritten (its temporary file would travel too).
				entries[i].After = append(entries[i].After, Ref{Site: u.Site.Name, Kind: "replicate"})
			}
		}
		return entries, diags
	},
})

// editedClaim: a file under the site root that a line block edits on
// each node is each node's own (its lines may differ per node: the
// address a node serves, a setting only replicas have). Replicate gives a
// replica the primary's copy once, when it has none, and leaves it alone
// after that. A block that runs on the primary alone (on = "primary")
// edits the copy replicate carries to the replicas, and claims nothing.
func editedClaim(d *block.Decl) []block.Claim {
	if !d.Known("path") || onlyOnPrimary(d) {
		return nil
	}
	p, problem := filePath(d.String("path"))
	if problem != "" || path.IsAbs(p) {
		return nil
	}
	return []block.Claim{{Space: block.InRoot, Path: p, Use: block.Edited, Decl: d}}
}

// onlyOnPrimary reports whether a block's on is the constant "primary".
func onlyOnPrimary(d *block.Decl) bool {
	if d.On == nil {
		return false
	}
	v, diags := d.On.Value(nil)
	if diags.HasErrors() || !v.IsWhollyKnown() || v.IsNull() {
		return false
	}
	if v.Type() == cty.String {
		return v.AsString() == "primary"
	}
	if !v.CanIterateElements() || v.LengthInt() == 0 {
		return false
	}
	for it := v.ElementIterator(); it.Next(); {
		_, w := it.Element()
		if w.Type() != cty.String || w.AsString() != "primary" {
			return false
		}
	}
	return true
}

// lineRegexps are the arguments that hold regular expressions.
var lineRegexps = []string{"match", "insert_after", "insert_before"}

func validateLine(d *block.Decl) hashicl.Diagnostics {
	var diags hashicl.Diagnostics
	for _, a := range append([]string{"path"}, lineRegexps...) {
		if d.Sensitive(a) {
			diags = append(diags, d.Error(a, "Sensitive value in a line block",
				"%s: %s: %s holds a sensitive value, and it is shown in every plan; only line may.", d.Owner, d.Describe(), a))
		}
	}
	if diags.HasErrors() {
		return diags
	}
	if d.Known("path") {
		if _, problem := filePath(d.String("path")); problem != "" {
			diags = append(diags, d.Error("path", "Invalid path", "%s: %s path %q %s.", d.Owner, d.Describe(), d.String("path"), problem))
		}
	}
	compiled := map[string]*regexp.Regexp{}
	for _, a := range lineRegexps {
		if !d.Known(a) {
			continue
		}
		re, err := regexp.Compile(d.String(a))
		if err != nil {
			diags = append(diags, d.Error(a, "Invalid regular expression",
				"%s: %s: %s %q is not a regular expression (Go's RE2 syntax): %s.", d.Owner, d.Describe(), a, d.String(a), err))
			continue
		}
		compiled[a] = re
	}
	if d.Has("insert_after") && d.Has("insert_before") {
		diags = append(diags, d.Error("insert_before", "Both insert_after and insert_before",
			"%s: %s: a line goes either after a line or before one; keep insert_after or insert_before.", d.Owner, d.Describe()))
	}
	if d.Known("line") {
		l := d.String("line")
		switch {
		case lineHasControl(l):
			diags = append(diags, d.Error("line", "Invalid line",
				"%s: %s: line is one line: it may not hold a newline or another control character but a tab.", d.Owner, d.Describe()))
		case compiled["match"] != nil && !compiled["match"].MatchString(l):
			// the value itself is left out: it may be a secret
			diags = append(diags, d.Error("line", "Line does not match",
				"%s: %s: line does not match match (%q): once added, the next plan would find no matching line and add it again.", d.Owner, d.Describe(), d.String("match")))
		}
	}
	return diags
}

// lineHasControl reports a control character other than a tab.
func lineHasControl(s string) bool {
	return block.HasControl(strings.ReplaceAll(s, "\t", " "))
}

func newLine(u *Unit, node string, d *block.Decl) (Step, hashicl.Diagnostics) {
	p, problem := filePath(d.String("path"))
	if problem != "" {
		return nil, hashicl.Diagnostics{d.Error("path", "Invalid path", "%s: %s path %q %s.", d.Owner, d.Describe(), d.String("path"), problem)}
	}
	l := &Line{
		NodeName: node, Site: u.Site.Name, Name: d.Label, Path: p,
		Match: d.String("match"), Line: d.String("line"), InsertAfter: d.String("insert_after"), InsertBefore: d.String("insert_before"),
		Secrets: u.Site.Secrets, Hidden: d.Sensitive("line"),
		Stamp: changedStamp(stateDir, u.Site.Name, d.Address()),
	}
	switch {
	case !path.IsAbs(p):
		l.Root, l.Path = u.Site.Root, path.Join(u.Site.Root, p)
		if node != u.Site.Primary {
			l.Primary = u.Site.Primary
		}
	case block.Within(p, u.Site.Root):
		return nil, hashicl.Diagnostics{d.Error("path", "Invalid path",
			"%s: %s edits %s, inside the site root: write it relative to the root (%q).",
			d.Owner, d.Describe(), p, strings.TrimPrefix(p, u.Site.Root+"/"))}
	}
	if l.Hidden && u.Shown != nil {
		if shown, diags := u.Shown(node); !diags.HasErrors() && shown.Known("line") {
			l.Shown, l.ShownKnown = shown.String("line"), true
		}
	}
	return l, nil
}

// Line keeps one line of an existing file.
type Line struct {
	NodeName string
	Site     string
	Name     string // the block's label
	Path     string // absolute
	// Root is the site root Path lies under, or "": then no symlink is
	// read or written through.
	Root string
	// Primary is set for a file under the root on a replica: when the
	// replica lacks the file, the plan reads the primary's, which
	// replicate brings before the edit runs.
	Primary string
	// Match, InsertAfter and InsertBefore are RE2 expressions (the last
	// two "" for none); Validate compiled them.
	Match, InsertAfter, InsertBefore string
	Line                             string
	// Hidden says the line holds sensitive values: the plan shows Shown
	// (the line with them hidden) when known, and never the line it
	// replaces.
	Hidden     bool
	Shown      string
	ShownKnown bool
	Secrets    []string
	// Stamp is where the edit records what it wrote, so a service that
	// reloads on_change of this block still owes the reload when it did
	// not happen (see fileWrite.Stamp).
	Stamp string
}

var (
	_ Applier = (*Line)(nil)
	_ Writer  = (*Line)(nil)
)

func (l *Line) ID() string       { return changeID(l.NodeName, "line", l.Path) + "#" + l.Name }
func (l *Line) Kind() string     { return "line" }
func (l *Line) Node() string     { return l.NodeName }
func (l *Line) Writes() []string { return []string{l.Path} }

func (l *Line) text() textFile { return textFile{Path: l.Path, Root: l.Root} }

func (l *Line) Facts() []NodeFact {
	fs := []NodeFact{{l.NodeName, l.text()}}
	if l.Primary != "" {
		fs = append(fs, NodeFact{l.Primary, l.text()})
	}
	return fs
}

// linePayload is what a line change carries to apply: the sha256 of the
// line the plan replaces, "" when it adds one.
type linePayload struct {
	Replaces string `json:"replaces,omitempty"`
	// Later: the file did not exist at plan time; the steps before this
	// one (a package) were to make it, and apply edits what it finds.
	Later bool `json:"later,omitempty"`
}

func (l *Line) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	c := &plan.Change{ID: l.ID(), Node: l.NodeName, Site: l.Site, Kind: l.Kind(), Target: l.Path + " (" + l.Name + ")"}
	now, err := readText(ctx, src, l.NodeName, l.text())
	if err != nil {
		return nil, err
	}
	from := ""
	if now.state == textAbsent && l.Primary != "" {
		onPrimary, err := readText(ctx, src, l.Primary, l.text())
		if err != nil {
			return nil, err
		}
		if onPrimary.state == textRegular {
			now, from = onPrimary, " (the copy replicate brings from "+l.Primary+")"
		}
	}
	if now.state == textAbsent {
		// A step before it (a package) may make it: the planner refuses
		// this unless such a step has something to do.
		c.Action = plan.Create
		c.Summary = fmt.Sprintf("set a line of %s once the steps before it have made the file", l.Path)
		c.Details = []string{"+" + l.shownNew()}
		c.Pending = l.Path + " does not exist yet"
		plan.SetPayload(c, linePayload{Later: true})
		return c, nil
	}
	if now.state != textRegular {
		c.Action, c.Reason = plan.Conflict, now.problem(l.Path)
		return c, nil
	}
	e, err := l.edit(now.content)
	if err != nil {
		return nil, err
	}
	switch e.action {
	case plan.NoOp:
		c.Action, c.Reason = plan.NoOp, fmt.Sprintf("line %d of %s is as declared", e.number, l.Path)
		return c, nil
	case plan.Conflict:
		c.Action, c.Reason = plan.Conflict, e.reason
		return c, nil
	}
	c.Action = plan.Update
	p := linePayload{}
	if e.replaced {
		c.Summary = fmt.Sprintf("replace line %d of %s%s", e.number, l.Path, from)
		c.Details = append(c.Details, "-"+l.shownOld(e.old))
		p.Replaces = sha256Hex(e.old)
	} else {
		c.Summary = fmt.Sprintf("add a line to %s%s, %s", l.Path, from, e.where)
	}
	c.Details = append(c.Details, "+"+l.shownNew())
	plan.SetPayload(c, p)
	return c, nil
}

// shownOld is the line being replaced as a plan shows it: the secrets the
// configuration knows hidden, and nothing of it when the new line is
// sensitive (the old one likely holds an old secret).
func (l *Line) shownOld(old string) string {
	if l.Hidden {
		return "(the current line is not shown: the setting is sensitive)"
	}
	for _, s := range l.Secrets {
		if len(s) >= 3 {
			old = strings.ReplaceAll(old, s, block.Hidden)
		}
	}
	return old
}

// shownNew is the declared line as a plan shows it.
func (l *Line) shownNew() string {
	switch {
	case !l.Hidden:
		return l.Line
	case l.ShownKnown:
		return l.Shown
	}
	return "(hidden: the line is computed from sensitive values)"
}

// lineEdit is what a line block does to one content.
type lineEdit struct {
	action   plan.Action // NoOp, Update or Conflict
	reason   string      // Conflict: why
	replaced bool        // Update: a line is replaced (else one is added)
	number   int         // the line kept or replaced, from 1
	old      string      // the line replaced, without its line end
	where    string      // an added line's place, for the summary
	content  string      // Update: the new content
}

// edit computes the block's edit of content. Lines end in "\n" or
// "\r\n"; matching sees a line without its end, and a replaced line keeps
// its own end. A file with no line matching gets line with the line end
// of its first line, and a newline first when its last line lacks one.
func (l *Line) edit(content string) (lineEdit, error) {
	match, err := regexp.Compile(l.Match)
	if err != nil {
		return lineEdit{}, fmt.Errorf("line %s: match: %w", l.Name, err)
	}
	lines := splitLines(content)
	var found []int
	for i, ln := range lines {
		if match.MatchString(ln.text) {
			found = append(found, i)
		}
	}
	switch {
	case len(found) > 1:
		return lineEdit{action: plan.Conflict, reason: fmt.Sprintf(
			"lines %s of %s match %q, and a line block sets one line: make match narrower, or remove the extra lines by hand",
			lineNumbers(found), l.Path, l.Match)}, nil
	case len(found) == 1:
		i := found[0]
		if lines[i].text == l.Line {
			return lineEdit{action: plan.NoOp, number: i + 1}, nil
		}
		old := lines[i].text
		lines[i].text = l.Line
		return lineEdit{action: plan.Update, replaced: true, number: i + 1, old: old, content: joinLines(lines)}, nil
	}

	at, where := len(lines), "at the end"
	for _, anchor := range []struct {
		expr   string
		offset int
		word   string
	}{{l.InsertAfter, 1, "insert_after"}, {l.InsertBefore, 0, "insert_before"}} {
		if anchor.expr == "" {
			continue
		}
		re, err := regexp.Compile(anchor.expr)
		if err != nil {
			return lineEdit{}, fmt.Errorf("line %s: %s: %w", l.Name, anchor.word, err)
		}
		at = -1
		for i, ln := range lines {
			if re.MatchString(ln.text) {
				at, where = i+anchor.offset, fmt.Sprintf("%s line %d", strings.TrimPrefix(anchor.word, "insert_"), i+1)
				break
			}
		}
		if at < 0 {
			return lineEdit{action: plan.Conflict, reason: fmt.Sprintf(
				"no line of %s matches %s = %q, so where the line belongs is unknown", l.Path, anchor.word, anchor.expr)}, nil
		}
	}
	end := "\n"
	if len(lines) > 0 && lines[0].end == "\r\n" {
		end = "\r\n"
	}
	if n := len(lines); at == n && n > 0 && lines[n-1].end == "" {
		lines[n-1].end = end
	}
	lines = append(lines[:at], append([]fileLine{{l.Line, end}}, lines[at:]...)...)
	return lineEdit{action: plan.Update, number: at + 1, where: where, content: joinLines(lines)}, nil
}

// fileLine is one line of a file: its text and its end ("\n", "\r\n",
// or "" for a last line without one).
type fileLine struct{ text, end string }

func splitLines(content string) []fileLine {
	var out []fileLine
	for content != "" {
		text, rest, found := strings.Cut(content, "\n")
		ln := fileLine{text: text}
		if found {
			ln.end = "\n"
			if strings.HasSuffix(text, "\r") {
				ln.text, ln.end = strings.TrimSuffix(text, "\r"), "\r\n"
			}
		}
		out = append(out, ln)
		content = rest
	}
	return out
}

func joinLines(lines []fileLine) string {
	var b strings.Builder
	for _, ln := range lines {
		b.WriteString(ln.text)
		b.WriteString(ln.end)
	}
	return b.String()
}

// lineNumbers names lines for a message: "3 and 9", "3, 9 and 12".
func lineNumbers(indices []int) string {
	words := make([]string, len(indices))
	for i, x := range indices {
		words[i] = strconv.Itoa(x + 1)
	}
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// Apply reads the file again, computes the edit from what is there now
// and writes it when the plan's decision still holds (see the kind's
// comment): atomically, the previous version kept, refused when the file
// changes between this read and the write.
func (l *Line) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	p, err := plan.DecodePayload[linePayload](c)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := h.Run(ctx, transport.Command{Script: l.text().Command(), Stdout: &out}); err != nil {
		return fmt.Errorf("reading %s on %s: %w", l.Path, l.NodeName, err)
	}
	now, err := parseText(out.String())
	if err != nil {
		return fmt.Errorf("reading %s on %s: %w", l.Path, l.NodeName, err)
	}
	if now.state != textRegular {
		return fmt.Errorf("%s on %s: %s", l.Path, l.NodeName, now.problem(l.Path))
	}
	e, err := l.edit(now.content)
	if err != nil {
		return err
	}
	switch {
	case e.action == plan.NoOp:
		r.Output(fmt.Sprintf("line %d of %s is already as declared", e.number, l.Path))
		return nil
	case e.action == plan.Conflict:
		return fmt.Errorf("%s on %s changed since the plan was made: %s; run shoal plan again", l.Path, l.NodeName, e.reason)
	case p.Later:
		// planned before the file existed: what the steps before made is edited
	case e.replaced && sha256Hex(e.old) != p.Replaces,
		!e.replaced && p.Replaces != "":
		return fmt.Errorf("%s on %s changed since the plan was made: the line matching %q is not the one the plan saw; run shoal plan again", l.Path, l.NodeName, l.Match)
	}
	w := fileWrite{Path: l.Path, Content: e.content, Was: sha256Hex(now.content), Root: l.Root, Stamp: l.Stamp}
	if err := h.Run(ctx, transport.Command{Script: w.script()}); err != nil {
		return fmt.Errorf("writing %s on %s: %w", l.Path, l.NodeName, err)
	}
	if e.replaced {
		r.Output(fmt.Sprintf("replaced line %d of %s", e.number, l.Path))
	} else {
		r.Output(fmt.Sprintf("added line %d to %s", e.number, l.Path))
	}
	return nil
}

// textFile reads a file that a step edits, exactly (a "\r" included);
// under a site root it reads no symlink, nor through a folder that leads
// out of the root. Its output is a state word, then for a file a newline
// and the content.
type textFile struct {
	Path string
	Root string // "" for a file outside any site root
}

func (x textFile) Key() string { return "text:" + x.Path + " in " + x.Root }

func (x textFile) Command() string {
	return shell.Script(textFileBody, shell.Bind("f", x.Path), shell.Bind("root", x.Root), shell.Bind("max", strconv.Itoa(facts.MaxFileSize)))
}

const textFileBody = `if [ -n "$root" ]; then
	if [ -L "$f" ]; then echo link; exit 0; fi
	d=$(dirname -- "$f")
	if [ ! -d "$d" ]; then echo absent; exit 0; fi
	real=$(cd -P -- "$d" && pwd) || exit 1
	top=$(cd -P -- "$root" && pwd) || exit 1
	case "$real/" in
	"$top"/*) ;;
	*) echo escapes; exit 0 ;;
	esac
fi
if [ ! -e "$f" ]; then echo absent; exit 0; fi
if [ ! -f "$f" ]; then echo notfile; exit 0; fi
size=$(stat -L -c %s -- "$f") || exit 1
if [ "$size" -gt "$max" ]; then echo toolarge; exit 0; fi
echo file
cat -- "$f"`

type textState int

const (
	textAbsent textState = iota
	textRegular
	textLink
	textEscapes
	textNotFile
	textTooLarge
)

var textStates = map[string]textState{
	"absent": textAbsent, "file": textRegular, "link": textLink,
	"escapes": textEscapes, "notfile": textNotFile, "toolarge": textTooLarge,
}

type textRead struct {
	state   textState
	content string
}

func readText(ctx context.Context, src facts.Source, node string, x textFile) (textRead, error) {
	sec, err := src.Get(ctx, node, x)
	if err != nil {
		return textRead{}, err
	}
	if sec.Status != 0 {
		return textRead{}, fmt.Errorf("reading %s on %s: exit status %d", x.Path, node, sec.Status)
	}
	t, err := parseText(sec.Output)
	if err != nil {
		return textRead{}, fmt.Errorf("reading %s on %s: %w", x.Path, node, err)
	}
	return t, nil
}

func parseText(out string) (textRead, error) {
	word, content, _ := strings.Cut(out, "\n")
	st, ok := textStates[word]
	if !ok {
		return textRead{}, fmt.Errorf("unexpected output %q", word)
	}
	return textRead{state: st, content: content}, nil
}

// problem says why a file that is not there as a regular file is not
// edited.
func (t textRead) problem(p string) string {
	switch t.state {
	case textAbsent:
		return p + " does not exist: a line block edits an existing file; use a file block to create one"
	case textLink:
		return p + " is a symlink: shoal edits no file under a site root through a link"
	case textEscapes:
		return p + " lies in a folder that leads out of the site root through a symlink: not editing it"
	case textNotFile:
		return p + " is not a regular file"
	case textTooLarge:
		return fmt.Sprintf("%s is larger than %d bytes: not a configuration file a line block edits", p, facts.MaxFileSize)
	}
	return ""
}
