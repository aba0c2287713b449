package steps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-sh/shoal/transport"
)

func TestFileWriteKeepsModeOwnerAndBackup(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "it's a -file")
	if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 12345, 23456); err != nil {
		t.Fatal(err)
	}
	write(t, path, "new $(touch hacked)\n", sha256Hex("old\n"))
	got, _ := os.ReadFile(path)
	bak, _ := os.ReadFile(path + ".shoal.bak")
	if string(got) != "new $(touch hacked)\n" || string(bak) != "old\n" {
		t.Errorf("content %q, backup %q", got, bak)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fileUID(fi) != 12345 {
		t.Errorf("mode %v uid %d, want 0600 and 12345", fi.Mode().Perm(), fileUID(fi))
	}
	assertOnly(t, dir, "it's a -file", "it's a -file.shoal.bak")
}

func TestFileWriteNewFileAndSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real")
	write(t, target, "one\n", "")
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o644 {
		t.Errorf("new file mode %v, want 0644", fi.Mode().Perm())
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink("real", link); err != nil {
		t.Fatal(err)
	}
	write(t, link, "two\n", sha256Hex("one\n"))
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the symlink was replaced by a file")
	}
	if got, _ := os.ReadFile(target); string(got) != "two\n" {
		t.Errorf("target holds %q", got)
	}
}

// write writes content at path with a fileWrite that expects was there.
func write(t *testing.T, path, content, was string) {
	t.Helper()
	h := &transport.Local{NodeName: "n"}
	w := fileWrite{Path: path, Content: content, Was: was}
	if err := h.Run(context.Background(), transport.Command{Script: w.script()}); err != nil {
		t.Fatal(err)
	}
}

// assertOnly fails unless dir holds exactly names (no temp files left).
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, "|") != strings.Join(names, "|") {
		t.Errorf("dir holds %q, want %q", got, names)
	}
}
