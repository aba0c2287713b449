package cluster_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/cluster"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/steps"
)

// TestPatternFoldersOverSSH plans and applies a two-node site whose user
// data is `sites/*/files`, through the real SSH transport: each site's
// files move to the storage on the primary and are linked on the replica,
// replicate leaves every match out, and a site added on the primary later
// is new relocations in the next plan.
func TestPatternFoldersOverSSH(t *testing.T) {
	if !isMountPoint(t, sharedMemory) {
		t.Skipf("%s is not a mount point here: nothing to stand for the storage", sharedMemory)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sites := t.TempDir()
	root1, root2 := filepath.Join(sites, "web1", "drupal"), filepath.Join(sites, "web2", "drupal")
	storage, err := os.MkdirTemp(sharedMemory, "shoal-pattern-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(storage) })
	writeTree(t, root1, map[string]string{
		"index.php":                                "<?php",
		"sites/example.com/settings.php":           "<?php // com",
		"sites/example.com/files/a.jpg":            "upload a",
		"sites/example.org/files/css/b.css":        "aggregate b",
		"sites/all/modules/gallery/files/icon.png": "module code",
	})
	hosts, _ := dialNodes(ctx, t, "web1", "web2")
	compiled, diags := cluster.Relate(patternSiteEntries(root1, root2, filepath.Join(storage, "d")))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	planner := &cluster.Planner{Nodes: []string{"web1", "web2"}, Hosts: hosts, Parallel: 4}
	apply := func(p *plan.Plan) {
		t.Helper()
		if failed := p.Failed(); len(failed) > 0 {
			t.Fatalf("plan failed on %s: %s", failed[0].Name, failed[0].Error)
		}
		run, combine := cluster.Runner(compiled.Entries, hosts)
		if s := plan.Execute(ctx, p, run, quietHook{}, plan.ExecOptions{Parallel: 4, Combine: combine}); s.Failed > 0 || s.Skipped > 0 {
			t.Fatalf("apply: %+v", s)
		}
	}
	relocations := func(p *plan.Plan) map[string]plan.Action {
		out := map[string]plan.Action{}
		for _, c := range p.Changes {
			if c.Kind == "relocate" {
				out[c.ID] = c.Action
			}
		}
		return out
	}
	glob1, glob2 := "web1/relocate/"+trim(root1)+"/sites/*/files", "web2/relocate/"+trim(root1)+"/sites/*/files" // both match the primary's tree
	site := func(node, root, name string) string {
		return node + "/relocate/" + trim(root) + "/sites/" + name + "/files"
	}

	first, _ := planner.Plan(ctx, compiled, "test")
	want := map[string]plan.Action{
		glob1: plan.NoOp, glob2: plan.NoOp,
		site("web1", root1, "example.com"): plan.Create, site("web1", root1, "example.org"): plan.Create,
		site("web2", root2, "example.com"): plan.Create, site("web2", root2, "example.org"): plan.Create,
	}
	if d := cmp.Diff(want, relocations(first)); d != "" {
		t.Fatalf("first plan's relocations (-want +got):\n%s", d)
	}
	apply(first)
	for _, root := range []string{root1, root2} {
		for _, name := range []string{"example.com", "example.org"} {
			want := filepath.Join(storage, "d", "sites", name, "files")
			if got, err := os.Readlink(filepath.Join(root, "sites", name, "files")); got != want {
				t.Errorf("%s: sites/%s/files links to %q (%v), want %q", root, name, got, err, want)
			}
		}
	}
	if got, _ := os.ReadFile(filepath.Join(root2, "sites/all/modules/gallery/files/icon.png")); string(got) != "module code" {
		t.Errorf("a module's own files folder, deeper than the pattern, must be replicated: got %q", got)
	}
	if d := cmp.Diff(treeWithout(t, root1, "none"), treeWithout(t, root2, "none")); d != "" {
		t.Errorf("the replica differs from the primary (-web1 +web2):\n%s", d)
	}

	second, _ := planner.Plan(ctx, compiled, "test")
	for _, c := range second.Changes {
		if c.Action != plan.NoOp {
			t.Errorf("second plan: %s is %c (%s), want a NoOp", c.ID, c.Action, c.Summary)
		}
	}

	// A site added on the primary: its files are two new relocations.
	writeTree(t, root1, map[string]string{"sites/example.net/files/new.jpg": "new site's upload"})
	third, _ := planner.Plan(ctx, compiled, "test")
	want[site("web1", root1, "example.net")], want[site("web2", root2, "example.net")] = plan.Create, plan.Create
	for id := range want {
		if want[id] == plan.Create && !contains([]string{site("web1", root1, "example.net"), site("web2", root2, "example.net")}, id) {
			want[id] = plan.NoOp
		}
	}
	if d := cmp.Diff(want, relocations(third)); d != "" {
		t.Fatalf("plan after a site was added (-want +got):\n%s", d)
	}
	apply(third)
	if got, _ := os.ReadFile(filepath.Join(root2, "sites/example.net/files/new.jpg")); string(got) != "new site's upload" {
		t.Errorf("the new site's upload through web2's link: %q", got)
	}
	last, _ := planner.Plan(ctx, compiled, "test")
	for _, c := range last.Changes {
		if c.Action != plan.NoOp {
			t.Errorf("after the new site: %s is %c (%s), want a NoOp", c.ID, c.Action, c.Summary)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// patternSiteEntries is what Compile makes of a site "d" with
// dynamic_dir "sites/*/files" on two nodes sharing this machine's disk.
func patternSiteEntries(root1, root2, storage string) []steps.Entry {
	glob := func(node, root string, replica bool) *steps.Glob {
		return &steps.Glob{NodeName: node, Site: "d", Primary: "web1", Root: root1, Pattern: "sites/*/files", StepKind: "relocate",
			Make: func(match string) steps.Step {
				return &steps.Relocate{NodeName: node, Site: "d", Root: root, Dir: match, Shared: filepath.Join(storage, match),
					Mount: sharedMemory, MountCheck: "tmpfs", Replica: replica}
			}}
	}
	replicated := steps.Ref{Site: "d", Node: "web2", Kind: "replicate"}
	return []steps.Entry{
		{Step: &steps.Mount{NodeName: "web1", MountPoint: sharedMemory, Type: "mounted", VerifyOnly: true}},
		{Step: &steps.Mount{NodeName: "web2", MountPoint: sharedMemory, Type: "mounted", VerifyOnly: true}},
		{Site: "d", Step: glob("web1", root1, false), After: []steps.Ref{{Node: "web1", Kind: "mount"}}},
		{Site: "d", Step: &steps.Replicate{Site: "d", Primary: "web1", NodeName: "web2", Root: root2, PrimaryRoot: root1, Skip: []string{"sites/*/files"}},
			After: []steps.Ref{{Site: "d", Node: "web1", Kind: "relocate"}}},
		{Site: "d", Step: glob("web2", root2, true), After: []steps.Ref{{Node: "web2", Kind: "mount"}, replicated}},
	}
}
