package facts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shoal-sh/shoal/transport"
)

func localSet() *Set {
	return NewSet(map[string]transport.Host{"n": &transport.Local{NodeName: "n"}})
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	full := filepath.Join(dir, "full dir")
	empty := filepath.Join(dir, "empty")
	for _, d := range []string{full, empty} {
		if err := os.Mkdir(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	write("full dir/x", "", 0o600)
	uid, gid := os.Getuid(), os.Getgid()
	tests := []struct {
		name string
		path string
		want FileContent
	}{
		{"lines", write("fstab", "a b\n# c\n", 0o644), FileContent{Exists: true, Content: "a b\n# c\n", Mode: "0644", UID: uid, GID: gid}},
		{"no final newline", write("it's -x", "one\n\ntwo", 0o600), FileContent{Exists: true, Content: "one\n\ntwo", Mode: "0600", UID: uid, GID: gid}},
		{"empty file", write("e", "", 0o640), FileContent{Exists: true, Mode: "0640", UID: uid, GID: gid}},
		{"absent", filepath.Join(dir, "nope"), FileContent{}},
		{"full dir", full, FileContent{Exists: true, IsDir: true, Mode: "0750", UID: uid, GID: gid}},
		{"empty dir", empty, FileContent{Exists: true, IsDir: true, DirEmpty: true, Mode: "0750", UID: uid, GID: gid}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadFile(context.Background(), localSet(), "n", tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestReadFileRefusesLargeFiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(p, make([]byte, MaxFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(context.Background(), localSet(), "n", p)
	if err == nil || !strings.Contains(err.Error(), "1048577 bytes") || !strings.Contains(err.Error(), " on n") {
		t.Errorf("want a size error naming the node, got %v", err)
	}
}
