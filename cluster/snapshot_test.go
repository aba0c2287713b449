package cluster

import (
	"strings"
	"testing"

	"github.com/shoal-sh/shoal/steps"
)

// snapshotSite is twoNodeSite with a backup node and a snapshot block of
// the primary.
func snapshotSite(attrs, block string) string {
	return `
node "web1" {
  roles = ["web"]
}
node "web2" {
  roles = ["web"]
}
node "vault" {
  roles = ["backup"]
}
site "s" {
  root    = "/var/www/s"
  primary = "web1"
  nodes   = ["web1", "web2"]
` + attrs + `
  file "conf" {
    path    = "/etc/s.conf"
    content = "x\n"
  }
` + block + `
}
`
}

const nightly = `
  snapshot "nightly" {
    dir      = "/srv/snapshots/s"
    keep     = 3
    schedule = "@daily"
    sources = {
      site = { path = site.root, key = "/root/.ssh/snap" }
    }
    after = [file.conf]
  }
`

// TestSnapshotBeforeApplyGoesAheadOfTheNode: with snapshot_before_apply a
// snapshot block compiles to a step every entry on the node it reads
// waits for, but what the block itself waits for (a file there); without
// it, no such step.
func TestSnapshotBeforeApplyGoesAheadOfTheNode(t *testing.T) {
	c, diags := compileString(t, snapshotSite("  snapshot_before_apply = true\n", nightly), nil)
	if c == nil {
		t.Fatalf("compile failed:\n%s", diags)
	}
	for _, id := range []string{"vault/snapshot/var/lib/shoal/snapshot/s/nightly-web1.sh", "vault/snapshot/etc/cron.d/shoal-s-snapshot-nightly-web1", "vault/snapshot/srv/snapshots/s/web1"} {
		if entryIndexOf(c, id) < 0 {
			t.Errorf("no entry %s", id)
		}
	}
	now := entryIndexOf(c, "vault/snapshot/srv/snapshots/s/web1#before-apply")
	if now < 0 {
		t.Fatal("no snapshot before apply")
	}
	conf := entryIndexOf(c, "web1/file/etc/s.conf")
	if !containsInt(c.graph.deps[now], conf) || containsInt(c.graph.deps[conf], now) {
		t.Errorf("the snapshot waits for the file its block names; that file does not wait for it")
	}
	root := entryIndexOf(c, "web1/site-root/var/www/s")
	if !containsInt(c.graph.deps[root], now) || !containsInt(c.graph.ahead[now], root) {
		t.Errorf("web1's other entries do not wait for the snapshot")
	}
	for _, j := range c.graph.ahead[now] {
		if n := c.Entries[j].Step.Node(); n != "web1" {
			t.Errorf("the snapshot goes ahead of %s, on %s", c.Entries[j].Step.ID(), n)
		}
	}
	if _, ok := c.Entries[now].Step.(*steps.SnapshotNow); !ok {
		t.Errorf("the step is a %T", c.Entries[now].Step)
	}

	c, diags = compileString(t, snapshotSite("", nightly), nil)
	if c == nil || entryIndexOf(c, "vault/snapshot/srv/snapshots/s/web1#before-apply") >= 0 {
		t.Errorf("without snapshot_before_apply:\n%s", diags)
	}
}

func TestSnapshotBadInputIsADiagnostic(t *testing.T) {
	for _, tt := range []struct {
		name, attrs, block string
		want               []string
	}{
		{"before apply without a snapshot block", "  snapshot_before_apply = true\n", "", []string{"c.hcl:15:27:", "Nothing to snapshot with"}},
		{"keep = 0", "", strings.Replace(nightly, "keep     = 3", "keep     = 0", 1), []string{"c.hcl:23:16:", "Invalid keep", "not 0"}},
		{"of several nodes", "", strings.Replace(nightly, `keep     = 3`, "keep     = 3\n    of       = \"web\"", 1), []string{"Several nodes", `of = "web" names 2 nodes (web1, web2)`}},
		{"of the backup node", "", strings.Replace(nightly, `keep     = 3`, "keep     = 3\n    of       = \"vault\"", 1), []string{"A node snapshotting itself"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := compileString(t, snapshotSite(tt.attrs, tt.block), nil)
			if c != nil {
				t.Fatalf("compiled without errors:\n%s", diags)
			}
			for _, w := range tt.want {
				if !strings.Contains(diags, w) {
					t.Errorf("diagnostics lack %q:\n%s", w, diags)
				}
			}
		})
	}
}
