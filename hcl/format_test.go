package hcl

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFormatFile(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"aligns equals", "node \"a\" {\nhost=\"x\"\n  port = 22\n}\n", "node \"a\" {\n  host = \"x\"\n  port = 22\n}\n"},
		{"already canonical", "node \"a\" {\n  host = \"x\"\n}\n", "node \"a\" {\n  host = \"x\"\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, string(FormatFile([]byte(tt.in)))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormatCheckAndWrite(t *testing.T) {
	dir := t.TempDir()
	messy := filepath.Join(dir, "a.hcl")
	tidy := filepath.Join(dir, "b.hcl")
	if err := os.WriteFile(messy, []byte("node \"a\" {\nhost=\"x\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tidy, []byte("node \"b\" {\n  host = \"y\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	changed, err := Format(dir, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{messy}, changed); diff != "" {
		t.Errorf("check: changed (-want +got):\n%s", diff)
	}
	if src, _ := os.ReadFile(messy); string(src) != "node \"a\" {\nhost=\"x\"\n}\n" {
		t.Errorf("--check rewrote the file: %q", src)
	}

	if _, err := Format(dir, nil, false); err != nil {
		t.Fatal(err)
	}
	src, _ := os.ReadFile(messy)
	if string(src) != "node \"a\" {\n  host = \"x\"\n}\n" {
		t.Errorf("formatted file = %q", src)
	}
	if st, _ := os.Stat(messy); st.Mode().Perm() != 0o600 {
		t.Errorf("mode after format = %v, want 0600 kept", st.Mode().Perm())
	}
	if changed, _ := Format(dir, nil, true); len(changed) != 0 {
		t.Errorf("second check still reports %v", changed)
	}
}

func TestFormatRefusesSyntaxErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.hcl")
	src := []byte("node \"a\" {\nhost = \"x\n}\n")
	if err := os.WriteFile(bad, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Format(dir, nil, false); err == nil {
		t.Fatal("formatting a file with a syntax error succeeded")
	}
	if got, _ := os.ReadFile(bad); string(got) != string(src) {
		t.Errorf("a file with syntax errors was rewritten: %q", got)
	}
}
