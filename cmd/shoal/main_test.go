package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run runs the command in-process with files in a temp config dir.
func run(t *testing.T, files map[string]string, args ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	var out, errb bytes.Buffer
	code := execute(context.Background(), append([]string{"-C", dir, "--no-color"}, args...), devnull, &out, &errb)
	return code, out.String(), errb.String()
}

const goodConfig = `
node "web1" { host = "127.0.0.1" }
node "web2" { host = "127.0.0.1" }
storage "nas" {
  type   = "mounted"
  mount  = "/mnt/nas"
}
site "s" {
  recipe  = "dolphin"
  root    = "/var/www/s"
  primary = "web1"
  nodes   = ["web1", "web2"]
  storage = "nas"
}
`

func TestCommandsWithoutNetwork(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		args     []string
		code     int
		stdout   string // substring
		stderr   string // substring
		noStdout bool
	}{
		{name: "valid", files: map[string]string{"c.hcl": goodConfig}, args: []string{"validate"},
			stdout: "The configuration is valid: 2 nodes, 1 storage, 1 site."},
		{name: "syntax error names file and line", files: map[string]string{"c.hcl": "node \"web1\" {\n  host = \n}\n"},
			args: []string{"validate"}, code: 1, stderr: "c.hcl:2"},
		{name: "escaping dynamic dir", files: map[string]string{"c.hcl": strings.Replace(goodConfig, `storage = "nas"`,
			"storage = \"nas\"\n  dynamic_dir \"../etc\" {}", 1)}, args: []string{"validate"}, code: 1, stderr: "c.hcl:"},
		{name: "unknown node in a site", files: map[string]string{"c.hcl": strings.Replace(goodConfig, `"web1", "web2"]`, `"web1", "web3"]`, 1)},
			args: []string{"plan"}, code: 1, stderr: "web3"},
		{name: "fmt check lists unformatted files", files: map[string]string{"c.hcl": "node \"web1\" {\nhost=\"a\"\n}\n"},
			args: []string{"fmt", "--check"}, code: 1, stdout: "c.hcl"},
		{name: "recipes lists dolphin", args: []string{"recipes"}, stdout: "dolphin"},
		{name: "recipes show", files: map[string]string{"c.hcl": goodConfig}, args: []string{"recipes", "show", "dolphin"},
			stdout: `dynamic_dir "media"`},
		{name: "unknown target", files: map[string]string{"c.hcl": goodConfig}, args: []string{"plan", "--target", "web9"},
			code: 1, stderr: "--target web9"},
		{name: "bad --var", files: map[string]string{"c.hcl": goodConfig}, args: []string{"validate", "--var", "novalue"},
			code: 1, stderr: "want name=value"},
		{name: "version", args: []string{"version"}, stdout: "shoal "},
		{name: "apply --json cannot ask", files: map[string]string{"c.hcl": goodConfig}, args: []string{"apply", "--json"},
			code: 1, stderr: "--json leaves no terminal to ask on: pass --yes, or apply a saved plan", noStdout: true},
		{name: "apply without a terminal cannot ask", files: map[string]string{"c.hcl": goodConfig}, args: []string{"apply"},
			code: 1, stderr: "stdin is not a terminal: pass --yes", noStdout: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(t, tt.files, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errs)
			}
			if !strings.Contains(out, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, out)
			}
			if tt.noStdout && out != "" {
				t.Errorf("stdout should stay empty:\n%s", out)
			}
			if !strings.Contains(errs, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, errs)
			}
			if strings.Contains(errs, "panic") || strings.Contains(errs, "goroutine ") {
				t.Errorf("a Go panic reached the user:\n%s", errs)
			}
		})
	}
}

// A block's checks run at load and again per node at compile: a warning
// they give is printed once.
func TestAWarningIsPrintedOnce(t *testing.T) {
	cfg := strings.Replace(goodConfig, `storage = "nas"`, `storage = "nas"

  ssh_trust "files" {
    on   = "web2"
    to   = "web1"
    sftp = true
  }`, 1)
	code, _, errs := run(t, map[string]string{"c.hcl": cfg}, "validate")
	if code != 0 || strings.Count(errs, "Warning: SFTP as root") != 1 {
		t.Errorf("exit %d, want 0 and the warning once:\n%s", code, errs)
	}
}
