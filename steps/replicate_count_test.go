package steps

import (
	"archive/tar"
	"bytes"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestTarCounterAnyChunking(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	long := strings.Repeat("deep/", 40) + "file.php"
	entries := []tar.Header{
		{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "./a.php", Typeflag: tar.TypeReg, Size: 1000, Mode: 0o644},
		{Name: "./" + long, Typeflag: tar.TypeReg, Size: 513, Mode: 0o644, Format: tar.FormatGNU},
		{Name: "./link", Typeflag: tar.TypeSymlink, Linkname: "a.php"},
		{Name: "./hard", Typeflag: tar.TypeLink, Linkname: "./a.php"},
		{Name: "./empty", Typeflag: tar.TypeReg, Size: 0, Mode: 0o644},
	}
	for _, h := range entries {
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			// data that looks like headers must not be counted
			tw.Write(bytes.Repeat([]byte{'0'}, int(h.Size)))
		}
	}
	tw.Close()
	stream := buf.Bytes()
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 50; round++ {
		var c tarCounter
		var got int64
		for p := stream; len(p) > 0; {
			n := min(len(p), 1+rng.Intn(700))
			got = c.feed(p[:n])
			p = p[n:]
		}
		if got != 4 {
			t.Fatalf("round %d: counted %d files, want 4", round, got)
		}
	}
}

func TestTarCounterReadsGNUTar(t *testing.T) {
	dir := t.TempDir()
	makeFiles(t, dir, map[string]string{
		"a":                              "x",
		strings.Repeat("n", 150):         "long name",
		"sub/" + strings.Repeat("m", 99): strings.Repeat("y", 70000),
		"sub/l":                          "->../a",
	})
	out, err := exec.Command("tar", "-c", "-f", "-", "-C", dir, "--format=gnu", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	var c tarCounter
	if got := c.feed(out); got != 3 {
		t.Errorf("counted %d files in GNU tar output, want 3", got)
	}
}

// makeFiles writes files (path → content) under root; content "->x"
// makes a symlink to x.
func makeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
