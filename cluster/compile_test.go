package cluster

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/steps"
)

func loadDolphinFixture(t *testing.T) *hcl.Config {
	t.Helper()
	cfg, diags := hcl.NewLoader().Load(hcl.LoadOptions{Dir: filepath.Join("..", "fixtures", "dolphin")})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg
}

// kindsPerNode counts compiled steps by node and kind.
func kindsPerNode(entries []Entry) map[string]map[string]int {
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

func TestCompileDolphinFixture(t *testing.T) {
	cfg := loadDolphinFixture(t)
	site := cfg.Sites[0]
	entries, err := Compile(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	dyn, caches := len(site.DynamicDirs), len(site.CacheDirs)
	var writableOutsideStorage int
	for _, w := range site.Writable {
		if _, inside, _ := withinDynamic(w.Path, site.DynamicDirs); !inside {
			writableOutsideStorage++
		}
	}
	replica := map[string]int{"site-root": 1, "users": 1, "fstab": 1, "mount": 1, "replicate": 1, "relocate": dyn, "purge": caches, "perms": writableOutsideStorage}
	want := map[string]map[string]int{
		"files": {"export": 1},
		"web1":  {"site-root": 1, "fstab": 1, "mount": 1, "relocate": dyn, "perms": len(site.Writable)},
		"web2":  replica,
		"web3":  replica,
	}
	if d := cmp.Diff(want, kindsPerNode(entries)); d != "" {
		t.Errorf("steps per node (-want +got):\n%s", d)
	}
	ids := map[string]bool{}
	for _, e := range entries {
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
		if p, ok := e.Step.(*steps.Purge); ok && e.Follows != "web2/replicate/var/www/dolphin" && p.NodeName == "web2" {
			t.Errorf("purge on web2 must follow web2's replicate, follows %q", e.Follows)
		}
		if r, ok := e.Step.(*steps.Replicate); ok && !slices.ContainsFunc(r.Empty, func(d facts.EmptyDir) bool { return d.Path == "modules/boonex/forum/log" }) {
			t.Errorf("%s: a local_dir's contents must stay out of the stream: Empty = %v", r.ID(), r.Empty)
		}
		if r, ok := e.Step.(*steps.Relocate); ok {
			if r.Shared != filepath.Join("/mnt/nas/community", sharedOf(site, r.Dir)) {
				t.Errorf("%s: shared %s", r.ID(), r.Shared)
			}
			if r.MountCheck != "root@files:/srv/nas" {
				t.Errorf("%s: must prove the storage is the file server's export, checks %q", r.ID(), r.MountCheck)
			}
		}
	}
}

func sharedOf(site *hcl.Site, dir string) string {
	for _, d := range site.DynamicDirs {
		if d.Path == dir {
			if d.Shared != "" {
				return d.Shared
			}
			return d.Path
		}
	}
	panic(fmt.Sprintf("no dynamic dir %s", dir))
}

func TestCompileTargetsKeepOnlyTheirNodes(t *testing.T) {
	cfg := loadDolphinFixture(t)
	entries, err := Compile(cfg, []string{"web2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Step.Node() != "web2" {
			t.Errorf("--target web2 kept %s", e.Step.ID())
		}
	}
	if _, err := Compile(cfg, []string{"web9"}); err == nil {
		t.Error("an unknown --target must be an error")
	}
}
