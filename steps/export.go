package steps

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// Defaults for Export.
const (
	DefaultExports       = "/etc/exports"
	DefaultExportOptions = "rw,sync,no_subtree_check"
	DefaultExportReload  = "exportfs -ra"
)

// Export makes a storage server serve a folder: the folder exists for
// every storage type, and for nfs /etc/exports holds exactly one line for
// it, after which the export table is reloaded.
type Export struct {
	NodeName string   // the storage server
	Path     string   // DefaultExports when empty
	Dir      string   // the exported folder, "/srv/nas"
	Allow    []string // nfs clients, "10.0.0.0/24"
	Options  string   // DefaultExportOptions when empty
	Type     string   // nfs, sshfs, cifs
	Reload   string   // DefaultExportReload when empty; tests substitute a recorder
}

var (
	_ Step    = (*Export)(nil)
	_ Applier = (*Export)(nil)
)

// ExportsLine builds the /etc/exports line sharing dir with every client
// in allow: "/srv/nas 10.0.0.0/24(rw,sync,no_subtree_check)".
func ExportsLine(dir string, allow []string, options string) string {
	if options == "" {
		options = DefaultExportOptions
	}
	words := []string{dir}
	if strings.ContainsAny(dir, " \t") {
		words[0] = `"` + dir + `"`
	}
	for _, client := range allow {
		words = append(words, client+"("+options+")")
	}
	return strings.Join(words, " ")
}

func (e *Export) file() string {
	if e.Path == "" {
		return DefaultExports
	}
	return e.Path
}

func (e *Export) reload() string {
	if e.Reload == "" {
		return DefaultExportReload
	}
	return e.Reload
}

func (e *Export) usesExports() bool { return e.Type == "nfs" }

func (e *Export) line() string { return ExportsLine(e.Dir, e.Allow, e.Options) }

func (e *Export) ID() string   { return changeID(e.NodeName, e.Kind(), e.Dir) }
func (e *Export) Kind() string { return "export" }
func (e *Export) Node() string { return e.NodeName }

func (e *Export) Facts() []NodeFact {
	fs := []NodeFact{{Node: e.NodeName, Fact: facts.File{Path: e.Dir}}}
	if e.usesExports() {
		fs = append(fs, NodeFact{Node: e.NodeName, Fact: facts.File{Path: e.file()}})
	}
	return fs
}

// owns reports whether an exports line shares e.Dir.
func (e *Export) owns(line string) bool {
	dir := exportedDir(line)
	return dir != "" && path.Clean(dir) == path.Clean(e.Dir)
}

// exportedDir is the folder an exports line shares, unquoted.
func exportedDir(line string) string {
	trimmed := strings.TrimSpace(line)
	if rest, ok := strings.CutPrefix(trimmed, `"`); ok {
		dir, _, _ := strings.Cut(rest, `"`)
		return dir
	}
	return lineField(trimmed, 0)
}

func (e *Export) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	c := &plan.Change{ID: e.ID(), Node: e.NodeName, Kind: e.Kind(), Target: e.Dir}
	dir, err := facts.ReadFile(ctx, src, e.NodeName, e.Dir)
	if err != nil {
		return nil, err
	}
	if dir.Exists && !dir.IsDir {
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("%s is a file, not a folder to export", e.Dir)
		return c, nil
	}
	var todo []string
	if !dir.Exists {
		c.Action = plan.Create
		todo = append(todo, "create the folder")
		c.Details = append(c.Details, "+folder "+e.Dir)
	}
	if e.usesExports() {
		exports, err := facts.ReadFile(ctx, src, e.NodeName, e.file())
		if err != nil {
			return nil, err
		}
		result, replaced := setLine(exports.Content, e.owns, e.line())
		switch {
		case result == exports.Content:
		case len(replaced) == 0:
			c.Action = plan.Create
			todo = append(todo, "add it to "+e.file(), e.reload())
		default:
			if c.Action != plan.Create {
				c.Action = plan.Update
			}
			todo = append(todo, "rewrite its line in "+e.file(), e.reload())
		}
		c.Details = append(c.Details, lineDetails(replaced, e.line())...)
	}
	if len(todo) == 0 {
		c.Action, c.Reason, c.Details = plan.NoOp, e.Dir+" is exported", nil
		if e.usesExports() {
			c.Reason = fmt.Sprintf("%s is exported to %s", e.Dir, strings.Join(e.Allow, ", "))
		}
		return c, nil
	}
	c.Summary = fmt.Sprintf("export %s: %s", e.Dir, strings.Join(todo, ", "))
	return c, nil
}

const exportDirBody = `mkdir -p -- "$d"
`

// exportReloadBody runs the reload command (exportfs -ra; tests give a
// recorder) as words: the program must be there.
const exportReloadBody = `command -v "$program" >/dev/null 2>&1 || { echo "$program not found: install the NFS server" >&2; exit 127; }
# shellcheck disable=SC2086 # the reload command is words: program and arguments
$reload
`

// dirScript makes the exported folder.
func (e *Export) dirScript() string { return shell.Script(exportDirBody, shell.Bind("d", e.Dir)) }

// reloadScript reloads the export table.
func (e *Export) reloadScript() string {
	reload := e.reload()
	program, _, _ := strings.Cut(reload, " ")
	return shell.Script(exportReloadBody, shell.Bind("program", program), shell.Bind("reload", reload))
}

// Apply creates the folder and, for nfs, writes the exports line and
// reloads the export table.
func (e *Export) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	if err := h.Run(ctx, transport.Command{Script: e.dirScript()}); err != nil {
		return fmt.Errorf("creating %s on %s: %w", e.Dir, h.Name(), err)
	}
	if !e.usesExports() {
		return nil
	}
	if err := writeOwnedLine(ctx, h, e.file(), e.owns, e.line(), r); err != nil {
		return err
	}
	reload := e.reload()
	if err := h.Run(ctx, transport.Command{Script: e.reloadScript()}); err != nil {
		return fmt.Errorf("reloading exports on %s with %s: %w", h.Name(), reload, err)
	}
	r.Output("reloaded exports: " + reload)
	return nil
}
