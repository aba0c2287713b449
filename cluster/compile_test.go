package cluster

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/steps"
)

func loadDolphinFixture(t *testing.T) *hcl.Config {
	t.Helper()
	cfg, diags := hcl.NewLoader(steps.BlockKinds()).Load(hcl.LoadOptions{Dir: filepath.Join("..", "fixtures", "dolphin")})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg
}

func compileOK(t *testing.T, cfg *hcl.Config, targets []string) *Compiled {
	t.Helper()
	c, diags := Compile(cfg, targets)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return c
}

// kindsPerNode counts compiled steps by node and kind.
func kindsPerNode(entries []steps.Entry) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, e := range entries {
		n := e.Step.Node()
		if out[n] == nil {
			out[n] = map[string]int{}
		}
		out[n][e.Step.Kind()]++
	}
	return out
}

// insideDynamic says whether p lies in (or is) one of the dynamic dirs.
func insideDynamic(p string, dirs []*block.Decl) bool {
	for _, d := range dirs {
		if block.Within(p, d.Label) {
			return true
		}
	}
	return false
}

func TestCompileDolphinFixture(t *testing.T) {
	cfg := loadDolphinFixture(t)
	site := cfg.Sites[0]
	c := compileOK(t, cfg, nil)
	dynamic, writable := site.BlocksOf("dynamic_dir"), site.BlocksOf("writable")
	dyn, caches := len(dynamic), len(site.BlocksOf("cache_dir"))
	var writableOutsideStorage int
	for _, w := range writable {
		if !insideDynamic(w.Label, dynamic) {
			writableOutsideStorage++
		}
	}
	replica := map[string]int{"site-root": 1, "users": 1, "fstab": 1, "mount": 1, "replicate": 1, "relocate": dyn, "purge": caches, "perms": writableOutsideStorage}
	want := map[string]map[string]int{
		"files": {"export": 1},
		"web1":  {"site-root": 1, "fstab": 1, "mount": 1, "relocate": dyn, "perms": len(writable)},
		"web2":  replica,
		"web3":  replica,
	}
	if d := cmp.Diff(want, kindsPerNode(c.Entries)); d != "" {
		t.Errorf("steps per node (-want +got):\n%s", d)
	}
	ids := map[string]bool{}
	for _, e := range c.Entries {
		if ids[e.Step.ID()] {
			t.Errorf("step ID %s compiled twice", e.Step.ID())
		}
		ids[e.Step.ID()] = true
		switch e.Step.(type) {
		case *steps.Relocate, *steps.Replicate, *steps.Purge, *steps.Perms:
			// every change that works in the tree waits for its node's root check
			if root := e.Step.Node() + "/site-root/var/www/dolphin"; !slices.Contains(e.Guards, root) {
				t.Errorf("%s is not guarded by %s: %q", e.Step.ID(), root, e.Guards)
			}
		}
		if p, ok := e.Step.(*steps.Purge); ok && p.NodeName == "web2" {
			want := []steps.Ref{{Site: "community", Node: "web2", Kind: "replicate"}}
			if d := cmp.Diff(want, e.OnChange); d != "" {
				t.Errorf("purge on web2 must follow web2's replicate (-want +got):\n%s", d)
			}
		}
		if r, ok := e.Step.(*steps.Replicate); ok && !slices.ContainsFunc(r.Empty, func(d facts.EmptyDir) bool { return d.Path == "modules/boonex/forum/log" }) {
			t.Errorf("%s: a local_dir's contents must stay out of the stream: Empty = %v", r.ID(), r.Empty)
		}
		if r, ok := e.Step.(*steps.Relocate); ok {
			if r.Shared != filepath.Join("/mnt/nas/community", sharedOf(dynamic, r.Dir)) {
				t.Errorf("%s: shared %s", r.ID(), r.Shared)
			}
			if r.MountCheck != "root@files:/srv/nas" {
				t.Errorf("%s: must prove the storage is the file server's export, checks %q", r.ID(), r.MountCheck)
			}
		}
	}
}

func sharedOf(dirs []*block.Decl, dir string) string {
	for _, d := range dirs {
		if d.Label == dir {
			if d.Known("shared") {
				return d.String("shared")
			}
			return d.Label
		}
	}
	panic(fmt.Sprintf("no dynamic dir %s", dir))
}

func TestCompileTargetsKeepOnlyTheirNodes(t *testing.T) {
	cfg := loadDolphinFixture(t)
	c := compileOK(t, cfg, []string{"web2"})
	for _, e := range c.Entries {
		if e.Step.Node() != "web2" {
			t.Errorf("--target web2 kept %s", e.Step.ID())
		}
	}
	if _, diags := Compile(cfg, []string{"web9"}); !diags.HasErrors() {
		t.Error("an unknown --target must be an error")
	}
}

// TestCompileOrdersTheDolphinJobAsSPECSays checks the depth the graph
// gives each kind of step: exports, then fstab, mounts, the primary's
// moves, replicate, then links, purges and owners on replicas.
func TestCompileOrdersTheDolphinJobAsSPECSays(t *testing.T) {
	c := compileOK(t, loadDolphinFixture(t), nil)
	depth := map[string]int{}
	for i, e := range c.Entries {
		key := e.Step.Kind()
		if r, ok := e.Step.(*steps.Relocate); ok && r.Replica {
			key = "link"
		}
		if d, seen := depth[key]; !seen || c.graph.depth[i] > d {
			depth[key] = c.graph.depth[i]
		}
	}
	order := []string{"export", "fstab", "mount", "relocate", "replicate", "link", "perms"}
	for i := 1; i < len(order); i++ {
		if depth[order[i-1]] >= depth[order[i]] {
			t.Errorf("%s (depth %d) must come before %s (depth %d)", order[i-1], depth[order[i-1]], order[i], depth[order[i]])
		}
	}
	if depth["purge"] <= depth["replicate"] {
		t.Errorf("purge (depth %d) must follow replicate (depth %d)", depth["purge"], depth["replicate"])
	}
}

// Storage credentials become a root-only file on every client, named in
// the mount options instead of the secret; sshfs's login check uses it.
func TestCompileStorageCredentials(t *testing.T) {
	cfg := loadDolphinFixture(t)
	cfg.Storages[0].Credentials = "-----BEGIN OPENSSH PRIVATE KEY-----\n..."
	c := compileOK(t, cfg, nil)
	var creds []string
	for _, e := range c.Entries {
		switch s := e.Step.(type) {
		case *steps.Credentials:
			if s.Content != cfg.Storages[0].Credentials {
				t.Errorf("%s: content %q", s.ID(), s.Content)
			}
			creds = append(creds, s.ID())
		case *steps.Fstab:
			if want := "IdentityFile=/etc/shoal/nas.key"; !strings.Contains(s.Line, want) || strings.Contains(s.Line, "BEGIN") {
				t.Errorf("%s: fstab line %q, want %s and no secret", s.ID(), s.Line, want)
			}
		case *steps.Mount:
			if s.Login == nil || s.KeyFile != "/etc/shoal/nas.key" || !slices.Contains(s.Login.Options, "IdentityFile=/etc/shoal/nas.key") {
				t.Errorf("%s: login %+v, key file %q", s.ID(), s.Login, s.KeyFile)
			}
		}
	}
	if d := cmp.Diff([]string{"web1/credentials/etc/shoal/nas.key", "web2/credentials/etc/shoal/nas.key", "web3/credentials/etc/shoal/nas.key"}, creds); d != "" {
		t.Errorf("credentials steps (-want +got):\n%s", d)
	}
}
