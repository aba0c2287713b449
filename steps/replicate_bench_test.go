package steps

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

// benchTree is a Dolphin-sized tree: 2,000 files of 64 KiB (125 MiB).
func benchTree(b *testing.B) (root string, bytes int64) {
	b.Helper()
	root = filepath.Join(b.TempDir(), "primary")
	data := make([]byte, 64<<10)
	for i := range data {
		data[i] = byte(i * 31)
	}
	for i := range 2000 {
		p := filepath.Join(root, fmt.Sprintf("d%02d", i%40), fmt.Sprintf("f%04d.php", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return root, 2000 * int64(len(data))
}

// benchChange is a change that streams the whole tree into root on node,
// as a plan for a replica without the site makes it.
func benchChange(node, root string) *plan.Change {
	c := &plan.Change{ID: node, Node: node, Target: root}
	plan.SetPayload(c, replicatePayload{Root: root, Whole: true, Delete: "[]"}) // nothing to delete
	return c
}

// BenchmarkReplicateRawPipe is the baseline: shoal's own tar commands
// joined by a shell pipe, no Go in the data path.
func BenchmarkReplicateRawPipe(b *testing.B) {
	src, size := benchTree(b)
	dst := filepath.Join(b.TempDir(), "replica")
	r := &Replicate{}
	script := "(" + createScript(src, false, nil, nil) + ") | (" + r.extractScript(benchChange("n", dst)) + ")"
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		if out, err := exec.Command("sh", "-c", script).CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		b.StopTimer()
		os.RemoveAll(dst)
		b.StartTimer()
	}
}

// BenchmarkReplicateBatch streams through ApplyBatch's fan-out to 1 and
// 3 Local replicas; bytes/s counts the tree once however many replicas.
func BenchmarkReplicateBatch(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			src, size := benchTree(b)
			dir := b.TempDir()
			hosts := map[string]transport.Host{"web1": &transport.Local{NodeName: "web1"}}
			var cs []*plan.Change
			for i := range n {
				node := fmt.Sprintf("web%d", i+2)
				hosts[node] = &transport.Local{NodeName: node}
				cs = append(cs, benchChange(node, filepath.Join(dir, node)))
			}
			r := &Replicate{Primary: "web1", PrimaryRoot: src}
			b.SetBytes(size)
			b.ResetTimer()
			for range b.N {
				if err := r.ApplyBatch(context.Background(), hosts, cs, func(*plan.Change) Reporter { return discard{} }); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				os.RemoveAll(dir)
				b.StartTimer()
			}
		})
	}
}
