package hcl

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// FormatFile returns src in hclwrite's canonical layout.
func FormatFile(src []byte) []byte {
	return hclwrite.Format(src)
}

// Format formats files (or every *.hcl in dir) in place and returns the
// ones that changed. With check it writes nothing and only reports. A file
// with syntax errors is an error: formatting it could make matters worse.
func Format(dir string, files []string, check bool) ([]string, error) {
	names, err := configFiles(LoadOptions{Dir: dir, Files: files})
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			return changed, fmt.Errorf("formatting: %w", err)
		}
		if _, diags := hclsyntax.ParseConfig(src, name, hashicl.InitialPos); diags.HasErrors() {
			return changed, fmt.Errorf("formatting %s: %w", name, diags)
		}
		out := FormatFile(src)
		if bytes.Equal(src, out) {
			continue
		}
		changed = append(changed, name)
		if check {
			continue
		}
		if err := replaceFile(name, out); err != nil {
			return changed, fmt.Errorf("formatting %s: %w", name, err)
		}
	}
	return changed, nil
}

// replaceFile writes data next to name and renames it over name, keeping
// name's mode, so an interrupted fmt never leaves half a file.
func replaceFile(name string, data []byte) error {
	st, err := os.Stat(name)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(st.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
