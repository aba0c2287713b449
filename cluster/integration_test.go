package cluster_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/shoal-sh/shoal/cluster"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/internal/sshtest"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/steps"
	"github.com/shoal-sh/shoal/transport"
)

// sharedMemory is a tmpfs mount point on Linux: the test's "storage" is a
// temp folder under it, so relocation really crosses filesystems and the
// mount table shows a live mount without mounting anything.
const sharedMemory = "/dev/shm"

// TestPlanApplyOverSSH plans and applies a two-node site through the real
// SSH transport against in-process servers that run commands with this
// machine's sh: web1 holds the installed copy, web2 gets a replica, and the
// "media" folder moves to the storage and is linked on both.
func TestPlanApplyOverSSH(t *testing.T) {
	if !isMountPoint(t, sharedMemory) {
		t.Skipf("%s is not a mount point here: nothing to stand for the storage", sharedMemory)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	sites := t.TempDir()
	root1, root2 := filepath.Join(sites, "web1", "site"), filepath.Join(sites, "web2", "site")
	storage, err := os.MkdirTemp(sharedMemory, "shoal-integration-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(storage) })
	writeTree(t, root1, map[string]string{
		"index.php":          "<?php echo 'hi';",
		"inc/header.inc.php": "<?php // config",
		"media/a.jpg":        "photo a",
		"media/sub/b.jpg":    "photo b",
		"cache/page.html":    "cached on the primary",
	})
	writeTree(t, root2, map[string]string{
		"index.php":       "an old copy",
		"stale.php":       "gone from the primary",
		"cache/page.html": "stale cache on the replica",
	})
	mediaBefore := checksums(t, filepath.Join(root1, "media"))

	hosts, servers := dialNodes(ctx, t, "web1", "web2")
	compiled, diags := cluster.Relate(siteEntries(root1, root2, filepath.Join(storage, "demo", "media")))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	planner := &cluster.Planner{Nodes: []string{"web1", "web2"}, Hosts: hosts, Parallel: 4}

	first, _ := planner.Plan(ctx, compiled, "test")
	if failed := first.Failed(); len(failed) > 0 {
		t.Fatalf("first plan failed on %s: %s", failed[0].Name, failed[0].Error)
	}
	wantActions := map[string]plan.Action{
		"web1/mount/dev/shm":                      plan.NoOp,
		"web2/mount/dev/shm":                      plan.NoOp,
		"web1/site-root/" + trim(root1):           plan.NoOp,
		"web1/relocate/" + trim(root1) + "/media": plan.Create,
		"web2/replicate/" + trim(root2):           plan.Update,
		"web2/relocate/" + trim(root2) + "/media": plan.Create,
		"web2/purge/" + trim(root2) + "/cache":    plan.Update,
	}
	if diff := cmp.Diff(wantActions, actionsByID(first)); diff != "" {
		t.Errorf("first plan's actions (-want +got):\n%s", diff)
	}
	if !first.HasChanges() || len(first.Conflicts()) > 0 {
		t.Fatalf("first plan: changes %v, conflicts %d; want changes and no conflicts", first.HasChanges(), len(first.Conflicts()))
	}

	run, combine := cluster.Runner(compiled.Entries, hosts)
	summary := plan.Execute(ctx, blind(first), run, quietHook{}, plan.ExecOptions{Parallel: 4, Combine: combine})
	if summary.Failed > 0 || summary.Skipped > 0 {
		t.Fatalf("apply: %+v", summary)
	}

	shared := filepath.Join(storage, "demo", "media")
	for _, root := range []string{root1, root2} {
		if got, err := os.Readlink(filepath.Join(root, "media")); err != nil || got != shared {
			t.Errorf("%s/media links to %q (%v), want %q", root, got, err, shared)
		}
	}
	if diff := cmp.Diff(mediaBefore, checksums(t, shared)); diff != "" {
		t.Errorf("user data on the storage differs from the primary's before apply (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(treeWithout(t, root1, "cache"), treeWithout(t, root2, "cache")); diff != "" {
		t.Errorf("the replica differs from the primary apart from caches (-web1 +web2):\n%s", diff)
	}
	if entries, err := os.ReadDir(filepath.Join(root2, "cache")); err != nil || len(entries) != 0 {
		t.Errorf("replica cache: %d entries (%v), want an empty folder", len(entries), err)
	}

	again, _ := planner.Plan(ctx, compiled, "test")
	for _, c := range again.Changes {
		if c.Action != plan.NoOp {
			t.Errorf("re-plan: %s is %c (%s), want a NoOp", c.ID, c.Action, c.Summary)
		}
	}
	for name, s := range servers {
		if got := s.Connections(); got != 1 {
			t.Errorf("%s: %d SSH connections for two plans and an apply, want 1", name, got)
		}
	}
}

// blind is p with every field a plan shows hidden, as a sensitive value in
// a path would leave them: apply must get by on what it executes (IDs,
// params, the steps' own config) alone.
func blind(p *plan.Plan) *plan.Plan {
	out := *p
	out.Changes = nil
	for _, c := range p.Changes {
		b := *c
		b.Target, b.Summary, b.Details, b.Reason = "(sensitive)", "(sensitive)", []string{"(sensitive)"}, "(sensitive)"
		out.Changes = append(out.Changes, &b)
	}
	return &out
}

// siteEntries is what Compile would make of a site "demo" with one dynamic
// folder (media) and one cache, on two nodes that share this machine's
// disk: the replica's tree sits beside the primary's (PrimaryRoot).
func siteEntries(root1, root2, shared string) []steps.Entry {
	relocate := func(node, root string) *steps.Relocate {
		return &steps.Relocate{
			NodeName: node, Site: "demo", Root: root, Dir: "media", Shared: shared,
			Mount: sharedMemory, MountCheck: "tmpfs",
		}
	}
	replicate := &steps.Replicate{
		Site: "demo", Primary: "web1", NodeName: "web2", Root: root2, PrimaryRoot: root1,
		Skip: []string{"media"}, Empty: []facts.EmptyDir{{Path: "cache"}},
	}
	replicated := steps.Ref{Site: "demo", Node: "web2", Kind: "replicate"}
	return []steps.Entry{
		{Step: &steps.Mount{NodeName: "web1", MountPoint: sharedMemory, Type: "mounted", VerifyOnly: true}},
		{Step: &steps.Mount{NodeName: "web2", MountPoint: sharedMemory, Type: "mounted", VerifyOnly: true}},
		{Site: "demo", Step: &steps.SiteRoot{NodeName: "web1", Site: "demo", Root: root1, Primary: true}},
		{Site: "demo", Step: relocate("web1", root1), After: []steps.Ref{{Node: "web1", Kind: "mount"}}},
		{Site: "demo", Step: replicate, After: []steps.Ref{{Site: "demo", Node: "web1", Kind: "relocate"}}},
		{Site: "demo", Step: relocate("web2", root2), After: []steps.Ref{{Node: "web2", Kind: "mount"}, replicated}},
		{Site: "demo", Step: &steps.Purge{NodeName: "web2", Site: "demo", Root: root2, Dir: "cache"},
			After: []steps.Ref{replicated}, OnChange: []steps.Ref{replicated}},
	}
}

// dialNodes starts one in-process SSH server per node and connects to
// each through the transport, with a private HOME, key and known_hosts.
func dialNodes(ctx context.Context, t *testing.T, nodes ...string) (map[string]transport.Host, map[string]*sshtest.Server) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", "")
	key, signer := sshtest.WritePrivateKey(t, home, "id_test", "")
	sshConfig, knownHosts := filepath.Join(home, "ssh_config"), filepath.Join(home, "known_hosts")
	var known strings.Builder
	var targets []transport.Target
	servers := map[string]*sshtest.Server{}
	for _, n := range nodes {
		s := sshtest.Start(t, sshtest.Config{AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}})
		servers[n] = s
		known.WriteString(s.KnownHostsLine(s.HostKeys()[0]))
		targets = append(targets, transport.Target{Node: n, Host: s.Host(), Port: s.Port(), IdentityFile: key})
	}
	if err := os.WriteFile(sshConfig, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(knownHosts, []byte(known.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	conns, errs := transport.DialAll(ctx, targets, transport.Options{SSHConfig: sshConfig, KnownHosts: []string{knownHosts}}, 4)
	for n, err := range errs {
		t.Fatalf("dialling %s: %v", n, err)
	}
	hosts := map[string]transport.Host{}
	for n, c := range conns {
		hosts[n] = c
		t.Cleanup(func() { c.Close() })
	}
	return hosts, servers
}

func isMountPoint(t *testing.T, dir string) bool {
	t.Helper()
	table, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	return facts.ParseMount(string(table), dir).Mounted
}

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checksums maps every regular file under dir to its sha256.
func checksums(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		rel, _ := filepath.Rel(dir, p)
		sums[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	return sums
}

// treeWithout describes a tree without following links: each entry's type
// and mode, a file's checksum, a link's target; skip's contents are left out.
func treeWithout(t *testing.T, root, skip string) map[string]string {
	t.Helper()
	tree := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if strings.HasPrefix(rel, skip+string(filepath.Separator)) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		desc := info.Mode().String()
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			desc += " -> " + target
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			desc += " " + hex.EncodeToString(sum[:])
		}
		tree[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatalf("reading %s: %v", root, err)
	}
	return tree
}

func actionsByID(p *plan.Plan) map[string]plan.Action {
	out := map[string]plan.Action{}
	for _, c := range p.Changes {
		out[c.ID] = c.Action
	}
	return out
}

func trim(p string) string { return strings.TrimPrefix(p, "/") }

// quietHook ignores the executor's progress: the test reads the hosts.
type quietHook struct{}

func (quietHook) StepStart(*plan.Change)                      {}
func (quietHook) StepProgress(*plan.Change, plan.Progress)    {}
func (quietHook) StepOutput(*plan.Change, string)             {}
func (quietHook) StepDone(*plan.Change, error, time.Duration) {}
func (quietHook) NodeDone(string, error)                      {}
func (quietHook) Summary(plan.Summary)                        {}
