package steps

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/aymanbagabas/go-udiff"
	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// file: `file "wp_config" { path = "wp-config.php", content = templatefile(...) }`
// writes a whole file with exact content on each node it runs on; mode,
// owner and group when set. A relative path lies under the site root
// (replicate then leaves it to each node); an absolute one may be
// anywhere but inside the root.
var _ = register(&Kind{
	Type:      "file",
	LabelKind: block.LabelName,
	Arguments: []Argument{
		{Name: "path", Type: cty.String, Required: true},
		{Name: "content", Type: cty.String, Required: true},
		{Name: "mode", Type: cty.String},
		{Name: "owner", Type: cty.String},
		{Name: "group", Type: cty.String},
	},
	IsStep:    true,
	DefaultOn: "all",
	Validate:  validateFile,
	ClaimsOf:  writtenClaim,
	Compile: func(u *Unit) ([]Entry, hashicl.Diagnostics) {
		entries, diags := u.Each(func(node string, d *block.Decl) (Step, hashicl.Diagnostics) {
			return newFile(u, node, d, "file")
		})
		for i := range entries {
			if entries[i].Step.(*File).Root != "" {
				// The write's temporary file sits beside the file while it
				// is written: on the primary, replicate would read it and
				// copy it to the replicas; on a replica, replicate would
				// delete it. So a file in the root waits for replicate.
				entries[i].After = append(entries[i].After, Ref{Site: u.Site.Name, Kind: "replicate"})
			}
		}
		return entries, diags
	},
})

// validateFile checks a file block's path and ownership, as far as known.
func validateFile(d *block.Decl) hashicl.Diagnostics {
	var diags hashicl.Diagnostics
	if d.Known("path") {
		if _, problem := filePath(d.String("path")); problem != "" {
			diags = append(diags, d.Error("path", "Invalid path", "%s: %s path %q %s.", d.Owner, d.Describe(), d.String("path"), problem))
		}
	}
	if d.Known("mode") && !modePattern.MatchString(d.String("mode")) {
		diags = append(diags, d.Error("mode", "Invalid mode", "%s: %s: mode %q is not an octal mode like \"0640\".", d.Owner, d.Describe(), d.String("mode")))
	}
	for _, a := range []string{"owner", "group"} {
		if d.Known(a) && !accountName.MatchString(d.String(a)) {
			diags = append(diags, d.Error(a, "Invalid "+a, "%s: %s: %q is not a user or group name.", d.Owner, d.Describe(), d.String(a)))
		}
	}
	return diags
}

// filePath cleans a file's path: relative ones stay relative (under the
// site root), absolute ones absolute; it says what is wrong, if anything.
func filePath(p string) (clean, problem string) {
	if strings.HasPrefix(p, "/") {
		if block.HasControl(p) {
			return "", block.ControlProblem
		}
		clean = path.Clean(p)
		if clean == "/" || strings.HasSuffix(p, "/") {
			return "", "names a folder, not a file"
		}
		return clean, ""
	}
	return block.RelPath(p, block.RootBase)
}

// writtenClaim: a file under the site root is written on each node and
// never replicated.
func writtenClaim(d *block.Decl) []block.Claim {
	if !d.Known("path") {
		return nil
	}
	p, problem := filePath(d.String("path"))
	if problem != "" || path.IsAbs(p) {
		return nil
	}
	return []block.Claim{{Space: block.InRoot, Path: p, Use: block.Written, Decl: d}}
}

// newFile makes the File step of a block evaluated for a node.
func newFile(u *Unit, node string, d *block.Decl, kind string) (Step, hashicl.Diagnostics) {
	p, problem := filePath(d.String("path"))
	if problem != "" {
		return nil, hashicl.Diagnostics{d.Error("path", "Invalid path", "%s: %s path %q %s.", d.Owner, d.Describe(), d.String("path"), problem)}
	}
	f := &File{
		NodeName: node, Site: u.Site.Name, KindName: kind,
		Path: p, Content: d.String("content"),
		Mode: d.String("mode"), Owner: d.String("owner"), Group: d.String("group"),
		Secrets: u.Site.Secrets, Hidden: d.Sensitive("content"),
		Stamp: changedStamp(stateDir, u.Site.Name, d.Address()),
	}
	switch {
	case !path.IsAbs(p):
		f.Root, f.Path = u.Site.Root, path.Join(u.Site.Root, p)
	case block.Within(p, u.Site.Root):
		return nil, hashicl.Diagnostics{d.Error("path", "Invalid path",
			"%s: %s writes %s, inside the site root: write it relative to the root (%q), so replicate leaves it to each node.",
			d.Owner, d.Describe(), p, strings.TrimPrefix(p, u.Site.Root+"/"))}
	}
	if f.Hidden && u.Shown != nil {
		if shown, diags := u.Shown(node); !diags.HasErrors() && shown.Known("content") {
			f.Shown, f.ShownKnown = shown.String("content"), true
		}
	}
	return f, nil
}

// File keeps a file's whole content, and its mode and owner when set.
type File struct {
	NodeName string
	Site     string
	KindName string // "file", or the kind that writes through it ("cron")
	Path     string // absolute
	Root     string // the site root Path lies under, or ""
	Content  string
	Mode     string // "" leaves it (new files: 0644)
	Owner    string // "" leaves it (new files: root)
	Group    string
	// Hidden says the content holds sensitive values: the plan then shows
	// Shown (rendered with them hidden), or no content when that is not
	// known. Secrets are hidden in the file's current content too.
	Hidden     bool
	Shown      string
	ShownKnown bool
	Secrets    []string
	// Stamp is where a write records what it wrote, for the steps that
	// follow the block (see fileWrite.Stamp); "" for none.
	Stamp string
}

var (
	_ Step     = (*File)(nil)
	_ Scripter = (*File)(nil)
	_ Writer   = (*File)(nil)
)

func (f *File) ID() string         { return changeID(f.NodeName, f.Kind(), f.Path) }
func (f *File) Kind() string       { return f.KindName }
func (f *File) Node() string       { return f.NodeName }
func (f *File) Writes() []string   { return []string{f.Path} }
func (f *File) ownerFact() fileIDs { return fileIDs{Path: f.Path} }

func (f *File) Facts() []NodeFact {
	return []NodeFact{{f.NodeName, facts.File{Path: f.Path}}, {f.NodeName, f.ownerFact()}}
}

// filePayload is what a file change carries to apply: the sha256 of what
// the plan saw ("" for nothing), which the write checks first.
type filePayload struct {
	Was string `json:"was"`
}

func (f *File) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	c := &plan.Change{ID: f.ID(), Node: f.NodeName, Site: f.Site, Kind: f.Kind(), Target: f.Path}
	now, err := facts.ReadFile(ctx, src, f.NodeName, f.Path)
	if err != nil {
		return nil, err
	}
	if now.IsDir {
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("%s is a folder, not a file", f.Path)
		return c, nil
	}
	ids, err := readFileIDs(ctx, src, f.NodeName, f.ownerFact())
	if err != nil {
		return nil, err
	}
	var todo []string
	switch {
	case !now.Exists:
		c.Action = plan.Create
		todo = append(todo, fmt.Sprintf("create %s (%s)", f.Path, lines(f.Content)))
	case now.Content != f.Content:
		c.Action = plan.Update
		todo = append(todo, "rewrite "+f.Path)
	}
	if now.Exists && f.Mode != "" && normalMode(now.Mode) != normalMode(f.Mode) {
		todo = append(todo, fmt.Sprintf("mode %s → %s", normalMode(now.Mode), normalMode(f.Mode)))
	}
	if now.Exists && (f.Owner != "" && f.Owner != ids.user || f.Group != "" && f.Group != ids.group) {
		todo = append(todo, fmt.Sprintf("owner %s:%s → %s", ids.user, ids.group, strings.TrimSuffix(f.Owner+":"+f.Group, ":")))
	}
	if len(todo) == 0 {
		c.Action, c.Reason = plan.NoOp, f.Path+" is as declared"
		return c, nil
	}
	if c.Action == 0 {
		c.Action = plan.Update // mode or owner only
	}
	c.Summary = strings.Join(todo, ", ")
	if now.Content != f.Content || !now.Exists {
		c.Details = f.contentDiff(now.Content)
	}
	was := ""
	if now.Exists {
		was = sha256Hex(now.Content)
	}
	plan.SetPayload(c, filePayload{Was: was})
	return c, nil
}

// maxDiffLines is how much of a content diff a plan shows.
const maxDiffLines = 60

// contentDiff is the unified diff from the file's content to the
// declared one, as a plan shows it: sensitive values hidden.
func (f *File) contentDiff(old string) []string {
	want := f.Content
	if f.Hidden {
		if !f.ShownKnown {
			return []string{"(content hidden: it is computed from sensitive values)"}
		}
		want = f.Shown
		for _, s := range f.Secrets {
			if len(s) >= 3 {
				old = strings.ReplaceAll(old, s, block.Hidden)
			}
		}
	}
	return unifiedDiff(old, want)
}

// unifiedDiff is a diff's lines without the file headers, capped.
func unifiedDiff(old, want string) []string {
	text := udiff.Unified("a", "b", old, want)
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if strings.HasPrefix(l, "--- ") || strings.HasPrefix(l, "+++ ") || l == "" {
			continue
		}
		if len(out) == maxDiffLines {
			out = append(out, "… (diff cut)")
			break
		}
		out = append(out, l)
	}
	return out
}

func (f *File) write(c *plan.Change) (fileWrite, error) {
	p, err := plan.DecodePayload[filePayload](c)
	if err != nil {
		return fileWrite{}, err
	}
	return fileWrite{Path: f.Path, Content: f.Content, Was: p.Was, Mode: f.Mode, Owner: f.Owner, Group: f.Group, Root: f.Root, Stamp: f.Stamp}, nil
}

// ApplyScript writes the file in one self-checking script: refused if it
// changed since the plan.
func (f *File) ApplyScript(c *plan.Change) string {
	w, err := f.write(c)
	if err != nil {
		return ""
	}
	return w.script()
}

func (f *File) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	w, err := f.write(c)
	if err != nil {
		return err
	}
	if err := h.Run(ctx, transport.Command{Script: w.script()}); err != nil {
		return fmt.Errorf("writing %s on %s: %w", f.Path, f.NodeName, err)
	}
	r.Output("wrote " + f.Path)
	return nil
}

// fileIDs reads who owns a file, by name.
type fileIDs struct{ Path string }

func (x fileIDs) Key() string { return "file-ids:" + x.Path }
func (x fileIDs) Command() string {
	return shell.Script(`stat -L -c '%U %G' -- "$p" 2>/dev/null || echo "- -"`, shell.Bind("p", x.Path))
}

type ownerNames struct{ user, group string }

func readFileIDs(ctx context.Context, src facts.Source, node string, x fileIDs) (ownerNames, error) {
	sec, err := src.Get(ctx, node, x)
	if err != nil {
		return ownerNames{}, err
	}
	f := strings.Fields(sec.Output)
	if len(f) != 2 {
		return ownerNames{}, fmt.Errorf("reading the owner of %s on %s: unexpected %q", x.Path, node, sec.Output)
	}
	return ownerNames{f[0], f[1]}, nil
}

// normalMode writes an octal mode with four digits: "644" → "0644".
func normalMode(m string) string {
	n, err := strconv.ParseUint(m, 8, 32)
	if err != nil {
		return m
	}
	return fmt.Sprintf("%04o", n)
}

// lines counts a content's lines for a summary.
func lines(content string) string {
	n := strings.Count(content, "\n")
	if content != "" && !strings.HasSuffix(content, "\n") {
		n++
	}
	if n == 1 {
		return "1 line"
	}
	return fmt.Sprintf("%d lines", n)
}
