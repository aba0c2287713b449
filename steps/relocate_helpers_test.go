package steps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

// factFixtures answers facts from fixtures keyed by fact key, per node.
type factFixtures map[string]map[string]facts.Section

func (f factFixtures) Get(_ context.Context, node string, fact facts.Fact) (facts.Section, error) {
	sec, ok := f[node][fact.Key()]
	if !ok {
		return facts.Section{}, fmt.Errorf("fixture has no fact %s on %s", fact.Key(), node)
	}
	return sec, nil
}

func section(s string) facts.Section { return facts.Section{Output: s} }

// Path fact outputs.
const absentOut = "absent"

func dirOut(entries, files, bytes int, dev int) string {
	return fmt.Sprintf("dir 0 0 755 %d\n%d %d %d", dev, entries, files, bytes)
}
func linkOut(target string) string { return "symlink 0 0 777 1\n" + target + "\n" }
func fileOut() string              { return "file 0 0 644 1" }

// mountinfo with one mount at point, as fuse.sshfs from the nas.
func sshfsMountTable(point string) string {
	return "22 1 0:21 / / rw,relatime - overlay overlay rw\n" +
		"40 22 0:45 / " + strings.ReplaceAll(point, " ", `\040`) +
		" rw,nosuid - fuse.sshfs root@10.77.0.5:/srv/nas rw,user_id=0\n"
}

// liveSource reads a Local node for real but answers the mount table from
// a fixture, so a temp dir can stand for mounted storage.
type liveSource struct {
	set        *facts.Set
	mountTable string
}

func (l liveSource) Get(ctx context.Context, node string, f facts.Fact) (facts.Section, error) {
	if _, ok := f.(facts.MountTable); ok {
		return section(l.mountTable), nil
	}
	return l.set.Get(ctx, node, f)
}

func localNode() *transport.Local { return &transport.Local{NodeName: "web1"} }

// observeMounted makes a step see storage mounted at point on its Local host.
func observeMounted(point string) func(transport.Host) facts.Source {
	return func(h transport.Host) facts.Source {
		return liveSource{set: facts.NewSet(map[string]transport.Host{h.Name(): h}), mountTable: sshfsMountTable(point)}
	}
}

// recorder is a Reporter that keeps what it was told.
type recorder struct {
	mu       sync.Mutex
	progress []plan.Progress
	lines    []string
}

func (r *recorder) Progress(p plan.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.progress = append(r.progress, p)
}

func (r *recorder) Output(l string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, l)
}

func (r *recorder) last() plan.Progress {
	if len(r.progress) == 0 {
		return plan.Progress{}
	}
	return r.progress[len(r.progress)-1]
}

// hostileTree writes user data whose names try to break quoting, and
// symlinks that stay in it (the only kind relocate moves).
func hostileTree(t *testing.T, dir string) {
	t.Helper()
	files := map[string]string{
		"plain.txt":                "hello\n",
		"with space.jpg":           strings.Repeat("\x00\xff binary ", 5000),
		`quote'and"double`:         "q",
		"$(touch pwned)":           "subst",
		"`touch pwned2`":           "backtick",
		"-leading-dash":            "dash",
		"new\nline":                "newline",
		"sub dir/-x/deep file.png": strings.Repeat("z", 70000),
		"sub dir/tab\there":        "tab",
		"back\\slash":              "bs",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		failOn(t, os.MkdirAll(filepath.Dir(p), 0o755))
		failOn(t, os.WriteFile(p, []byte(content), 0o640))
	}
	failOn(t, os.MkdirAll(filepath.Join(dir, "empty dir"), 0o700))
	failOn(t, os.Symlink("plain.txt", filepath.Join(dir, "link to plain")))
	failOn(t, os.Symlink("nowhere", filepath.Join(dir, "dangling")))
}

// treeDigest maps every entry under dir to its kind and content hash or
// link target, following dir itself if it is a symlink.
func treeDigest(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	root := dir + "/"
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			got[rel] = "link " + target
			return err
		case d.IsDir():
			got[rel] = "dir"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			got[rel] = "file " + hex.EncodeToString(sum[:])
		}
		return nil
	})
	failOn(t, err)
	return got
}

func failOn(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
