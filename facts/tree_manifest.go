package facts

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// TreeManifest lists every entry of a tree, with the same exclusions as
// TreeDigest. It is asked for only when two digests differ.
type TreeManifest struct {
	Root       string
	Skip       []string
	Empty      []EmptyDir
	FollowLink bool
}

func (t TreeManifest) Key() string {
	return "tree-manifest:" + treeKey(t.Root, t.Skip, t.Empty, t.FollowLink)
}

func (t TreeManifest) Command() string {
	return fmt.Sprintf(`%s
%s -printf '%%y %%m %%U %%G %%s %%Ts\0%%P\0%%l\0'`, enterRoot(t.Root, t.FollowLink), FindTree(t.Skip, t.Empty))
}

// Entry is one entry of a tree, its Path relative to the root.
type Entry struct {
	Path  string
	Type  byte // 'f', 'd', 'l', 'p', 's', 'c', 'b'
	Mode  uint32
	UID   int
	GID   int
	Size  int64
	MTime int64 // whole seconds
	Link  string
}

// Manifest is a tree's entries sorted by path; Exists is false when the
// root is absent.
type Manifest struct {
	Exists  bool
	Entries []Entry
}

// ReadTreeManifest returns the manifest of a tree on node.
func ReadTreeManifest(ctx context.Context, src Source, node string, t TreeManifest) (Manifest, error) {
	sec, err := src.Get(ctx, node, t)
	if err != nil {
		return Manifest{}, err
	}
	m, err := ParseTreeManifest(sec)
	if err != nil {
		return Manifest{}, fmt.Errorf("listing %s on %s: %w", t.Root, node, err)
	}
	return m, nil
}

// ParseTreeManifest reads the output of TreeManifest's command. The root
// itself is not an entry.
func ParseTreeManifest(sec Section) (Manifest, error) {
	if err := treeStatus(sec); err != nil {
		return Manifest{}, err
	}
	switch strings.TrimSpace(sec.Output) {
	case "absent":
		return Manifest{}, nil
	case "symlink":
		return Manifest{}, fmt.Errorf("the root is a symlink")
	}
	fields := strings.Split(sec.Output, "\x00")
	if len(fields)%3 != 1 || fields[len(fields)-1] != "" {
		return Manifest{}, fmt.Errorf("truncated output")
	}
	m := Manifest{Exists: true}
	for i := 0; i+2 < len(fields); i += 3 {
		if fields[i+1] == "" {
			continue // the root
		}
		e, err := parseEntry(fields[i], fields[i+1], fields[i+2])
		if err != nil {
			return Manifest{}, err
		}
		m.Entries = append(m.Entries, e)
	}
	sort.Slice(m.Entries, func(i, j int) bool { return m.Entries[i].Path < m.Entries[j].Path })
	return m, nil
}

func parseEntry(meta, path, link string) (Entry, error) {
	f := strings.Fields(meta)
	if len(f) != 6 || len(f[0]) != 1 {
		return Entry{}, fmt.Errorf("bad entry %q for %q", meta, path)
	}
	mode, err1 := strconv.ParseUint(f[1], 8, 32)
	uid, err2 := strconv.Atoi(f[2])
	gid, err3 := strconv.Atoi(f[3])
	size, err4 := strconv.ParseInt(f[4], 10, 64)
	mtime, err5 := strconv.ParseInt(f[5], 10, 64)
	for _, err := range []error{err1, err2, err3, err4, err5} {
		if err != nil {
			return Entry{}, fmt.Errorf("bad entry %q for %q: %w", meta, path, err)
		}
	}
	return Entry{Path: path, Type: f[0][0], Mode: uint32(mode), UID: uid, GID: gid, Size: size, MTime: mtime, Link: link}, nil
}
