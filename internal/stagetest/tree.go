package stagetest

import (
	"io/fs"
	"path/filepath"
	"testing"
)

// FilesUnder lists the names (not the paths) of the regular files
// anywhere under dir. It fails t, without stopping it, if dir cannot be
// walked, and then lists what it found before the error.
func FilesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			names = append(names, d.Name())
		}
		return err
	})
	if err != nil {
		t.Errorf("listing %s: %v", dir, err)
	}
	return names
}

// HasName reports whether ok accepts any of names.
func HasName(names []string, ok func(string) bool) bool {
	for _, n := range names {
		if ok(n) {
			return true
		}
	}
	return false
}

// TreeSize counts the regular files under root and adds up their sizes.
// It fails t if the tree cannot be walked.
func TreeSize(t *testing.T, root string) (files int, bytes int64) {
	t.Helper()
	err := filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files++
		bytes += info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, bytes
}
