package hcl

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/recipes"
)

// LoadOptions says which files to read and how to set variables.
type LoadOptions struct {
	Dir      string            // read every *.hcl in Dir, unless Files is set
	Files    []string          // explicit files, read in this order
	Vars     map[string]string // --var name=value; wins over VarFiles
	VarFiles []string          // --var-file: files of name = value attributes
}

// Loader reads configuration files and keeps their bytes, so diagnostics
// can quote the source they point at.
type Loader struct {
	parser *hclparse.Parser
	kinds  []block.Kind
}

// NewLoader returns a Loader with no files read yet, for bodies holding
// blocks of the given kinds (see steps.Kinds).
func NewLoader(kinds []block.Kind) *Loader {
	return &Loader{parser: hclparse.NewParser(), kinds: kinds}
}

// builtinPrefix names embedded recipe files in diagnostics.
const builtinPrefix = "recipes/"

// Load reads the built-in recipes and the user's files, then decodes and
// checks them. The Config is nil when any diagnostic is an error.
func (l *Loader) Load(o LoadOptions) (*Config, hashicl.Diagnostics) {
	files, err := configFiles(o)
	if err != nil {
		return nil, hashicl.Diagnostics{{
			Severity: hashicl.DiagError,
			Summary:  "No configuration",
			Detail:   err.Error(),
		}}
	}

	var diags hashicl.Diagnostics
	if len(files) == 0 {
		// Not an error: `shoal recipes` is useful before any config exists.
		diags = append(diags, &hashicl.Diagnostic{
			Severity: hashicl.DiagWarning,
			Summary:  "No configuration files",
			Detail:   fmt.Sprintf("There are no *.hcl files in %s, so only the built-in recipes are loaded.", displayDir(o.Dir)),
		})
	}
	builtin, ds := l.parseBuiltins()
	diags = append(diags, ds...)
	var user []*hashicl.File
	for _, name := range files {
		f, ds := l.parser.ParseHCLFile(name)
		diags = append(diags, ds...)
		if f != nil {
			user = append(user, f)
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}

	d := newDecoder(l.kinds)
	for _, f := range builtin {
		d.collect(f.Body, true)
	}
	for _, f := range user {
		d.collect(f.Body, false)
	}
	values, ds := l.variableValues(o)
	diags = append(diags, ds...)

	// d.diags already holds collect's diagnostics; decoding goes on past
	// them so one run reports every problem it can.
	cfg, ds := d.decode(values)
	diags = append(diags, ds...)
	if diags.HasErrors() {
		return nil, diags
	}
	cfg.Files = files
	cfg.Digest = l.digest(files, cfg.Variables)
	cfg.kinds = l.kinds
	cfg.sources = map[string][]byte{}
	for name, f := range l.parser.Files() {
		cfg.sources[name] = f.Bytes
	}
	return cfg, diags
}

// WriteDiagnostics prints diags the way hcl does: severity, summary,
// file:line:col, the source lines with the subject marked, and detail.
// Each diagnostic with a source range starts with a "file:line:col:" line,
// which editors and CI logs link to, then hcl's text with the snippet.
func (l *Loader) WriteDiagnostics(w io.Writer, diags hashicl.Diagnostics, color bool) error {
	wr := hashicl.NewDiagnosticTextWriter(w, l.parser.Files(), 78, color)
	for _, d := range diags {
		if d.Subject != nil {
			if _, err := fmt.Fprintf(w, "%s:%d:%d: %s\n", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary); err != nil {
				return err
			}
		}
		if err := wr.WriteDiagnostic(d); err != nil {
			return err
		}
	}
	return nil
}

// configFiles lists the user's files: o.Files as given, else every *.hcl
// in o.Dir (or the current directory) in name order.
func configFiles(o LoadOptions) ([]string, error) {
	if len(o.Files) > 0 {
		return o.Files, nil
	}
	dir := o.Dir
	if dir == "" {
		dir = "."
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.hcl"))
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	if len(names) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("reading config dir: %w", err)
		}
	}
	sort.Strings(names)
	return names, nil
}

func displayDir(dir string) string {
	if dir == "" {
		return "the current directory"
	}
	return dir
}

// parseBuiltins parses every embedded recipe file under the name
// recipes/<file>, so diagnostics and `recipes show` can point at it.
func (l *Loader) parseBuiltins() ([]*hashicl.File, hashicl.Diagnostics) {
	names, err := fs.Glob(recipes.FS, "*.hcl")
	if err != nil {
		return nil, hashicl.Diagnostics{{Severity: hashicl.DiagError, Summary: "Cannot list built-in recipes", Detail: err.Error()}}
	}
	var files []*hashicl.File
	var diags hashicl.Diagnostics
	for _, name := range names {
		src, err := recipes.FS.ReadFile(name)
		if err != nil {
			diags = append(diags, &hashicl.Diagnostic{Severity: hashicl.DiagError, Summary: "Cannot read built-in recipe", Detail: err.Error()})
			continue
		}
		f, ds := l.parser.ParseHCL(src, builtinPrefix+name)
		diags = append(diags, ds...)
		if f != nil {
			files = append(files, f)
		}
	}
	return files, diags
}

// digest fingerprints the user's files and the variables' values, so a
// saved plan can tell it was made from the same configuration.
func (l *Loader) digest(files []string, vars map[string]*Variable) string {
	h := sha256.New()
	parsed := l.parser.Files()
	for _, name := range files {
		fmt.Fprintf(h, "file %q %d\n", name, len(parsed[name].Bytes))
		h.Write(parsed[name].Bytes)
	}
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(h, "var %q %q\n", n, vars[n].Value)
	}
	return hex.EncodeToString(h.Sum(nil))
}
