package cluster

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/steps"
)

var update = flag.Bool("update", false, "rewrite golden files")

// loadAegirPack loads fixtures/aegir-pack, its storage block rewritten by
// storage when not "".
func loadAegirPack(t *testing.T, storage string) *hcl.Config {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "fixtures", "aegir-pack", "cluster.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	if storage != "" {
		start := strings.Index(text, `storage "platforms" {`)
		end := start + strings.Index(text[start:], "\n}\n") + 3
		text = text[:start] + storage + text[end:]
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cluster.hcl"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	l := hcl.NewLoader(steps.BlockKinds())
	cfg, diags := l.Load(hcl.LoadOptions{Dir: dir})
	if diags.HasErrors() {
		var b strings.Builder
		l.WriteDiagnostics(&b, diags, false)
		t.Fatal(b.String())
	}
	return cfg
}

// The Pack mode: the master serves the platforms in place (exports them,
// mounts nothing), the slaves mount them, get the config folder and
// reload; nothing is relocated and the platforms are never replicated.
func TestCompileAegirPack(t *testing.T) {
	c := compileOK(t, loadAegirPack(t, ""), nil)
	slave := map[string]int{"fstab": 1, "mount": 1, "users": 1, "site-root": 1, "replicate": 1, "exec": 1, "service": 2}
	want := map[string]map[string]int{
		"web1": {"export": 1, "site-root": 1, "detect": 1, "exec": 1, "service": 2},
		"web2": slave,
		"web3": slave,
	}
	if d := cmp.Diff(want, kindsPerNode(c.Entries)); d != "" {
		t.Errorf("steps per node (-want +got):\n%s", d)
	}
	for _, e := range c.Entries {
		if r, ok := e.Step.(*steps.Replicate); ok && r.Root != "/var/aegir/config" {
			t.Errorf("%s replicates %s: only the config folder is copied", r.ID(), r.Root)
		}
	}
}

// The nfs Pack, as the seed writes it, proven up to what the kernel here
// can't do: the master's exports line, each slave's fstab line and mount
// command, and who mounts at all (testdata/aegir-pack-nfs.golden).
func TestAegirPackNFSGolden(t *testing.T) {
	cfg := loadAegirPack(t, `storage "platforms" {
  type   = "nfs"
  server = "web1"
  export = "/var/aegir/platforms"
  mount  = "/var/aegir/platforms"
  allow  = ["10.0.0.0/24"]
}
`)
	c := compileOK(t, cfg, nil)
	var b strings.Builder
	for _, e := range c.Entries {
		switch s := e.Step.(type) {
		case *steps.Export:
			fmt.Fprintf(&b, "%s: %s line: %s\n", s.NodeName, steps.DefaultExports, steps.ExportsLine(s.Dir, s.Allow, s.Options))
			fmt.Fprintf(&b, "%s: then %s\n", s.NodeName, steps.DefaultExportReload)
		case *steps.Fstab:
			fmt.Fprintf(&b, "%s: %s line: %s\n", s.NodeName, steps.DefaultFstab, s.Line)
		case *steps.Mount:
			fmt.Fprintf(&b, "%s: mount command: %s (expects %s)\n", s.NodeName, s.MountCommand(), s.ExpectSource)
		case *steps.UserIDs:
			fmt.Fprintf(&b, "%s: ids of %s and group %s as on %s\n", s.NodeName, s.Owner, s.Group, s.Reference)
		}
	}
	golden := filepath.Join("testdata", "aegir-pack-nfs.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./cluster -run TestAegirPackNFSGolden -update)", err)
	}
	if d := cmp.Diff(string(want), b.String()); d != "" {
		t.Errorf("%s (-want +got):\n%s", golden, d)
	}
}

// The Cluster mode with Aegir: a config site and a platforms site; each
// site's files, on every platform, are one Glob per node standing for a
// relocation per match, stored by the site's domain.
func TestCompileAegirCluster(t *testing.T) {
	c, diags := compileString(t, `
node "files" {}
node "web1" {}
node "web2" {}
storage "files" {
  type   = "nfs"
  server = "files"
  export = "/srv/aegir-files"
  mount  = "/mnt/aegir-files"
}
site "aegir" {
  recipe  = "aegir"
  root    = "/var/aegir/config"
  primary = "web1"
  nodes   = ["web1", "web2"]
  owner   = "aegir"
  group   = "www-data"
}
site "platforms" {
  recipe  = "aegir-platforms"
  root    = "/var/aegir/platforms"
  primary = "web1"
  nodes   = ["web1", "web2"]
  storage = "files"
  owner   = "aegir"
  group   = "www-data"
}
`, nil)
	if c == nil {
		t.Fatalf("compile failed:\n%s", diags)
	}
	g, ok := c.Entries[entryIndexOf(c, "web2/relocate/var/aegir/platforms/*/sites/*/files")].Step.(*steps.Glob)
	if !ok {
		t.Fatal("no Glob for web2's files")
	}
	s := g.Make("drupal-10.2.5/sites/example.com/files").(*steps.Relocate)
	if s.Shared != "/mnt/aegir-files/platforms/example.com/files" || !s.Replica || s.Root != "/var/aegir/platforms" {
		t.Errorf("a match on web2: %+v", s)
	}
	for _, id := range []string{"web2/replicate/var/aegir/config", "web2/replicate/var/aegir/platforms", "web2/users/aegir", "files/users/aegir"} {
		if entryIndexOf(c, id) < 0 {
			t.Errorf("no %s", id)
		}
	}
}
