package steps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

func TestExportsLine(t *testing.T) {
	if got, want := ExportsLine("/srv/nas", []string{"10.0.0.0/24", "10.1.0.7"}, ""),
		"/srv/nas 10.0.0.0/24(rw,sync,no_subtree_check) 10.1.0.7(rw,sync,no_subtree_check)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := ExportsLine("/srv/my nas", []string{"*"}, "ro"), `"/srv/my nas" *(ro)`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestExportDiff(t *testing.T) {
	const line = "/srv/nas 10.0.0.0/24(rw,sync,no_subtree_check)"
	dirOK := facts.Section{Output: "dir 755 0 0 full"}
	tests := []struct {
		name    string
		typ     string
		dir     facts.Section
		exports string
		want    plan.Change
	}{
		{"exported", "nfs", dirOK, "# shared\n" + line + "\n",
			plan.Change{Action: plan.NoOp, Reason: "/srv/nas is exported to 10.0.0.0/24"}},
		{"new", "nfs", facts.Section{Output: "absent"}, "",
			plan.Change{Action: plan.Create, Summary: "export /srv/nas: create the folder, add it to /etc/exports, exportfs -ra",
				Details: []string{"+folder /srv/nas", "+" + line}}},
		{"other clients", "nfs", dirOK, "/srv/nas/ 10.9.0.0/16(ro)\n",
			plan.Change{Action: plan.Update, Summary: "export /srv/nas: rewrite its line in /etc/exports, exportfs -ra",
				Details: []string{"-/srv/nas/ 10.9.0.0/16(ro)", "+" + line}}},
		{"sshfs folder", "sshfs", dirOK, "",
			plan.Change{Action: plan.NoOp, Reason: "/srv/nas is exported"}},
		{"sshfs no folder", "sshfs", facts.Section{Output: "absent"}, "",
			plan.Change{Action: plan.Create, Summary: "export /srv/nas: create the folder", Details: []string{"+folder /srv/nas"}}},
		{"file in the way", "cifs", facts.Section{Output: "file 644 0 0\n"}, "",
			plan.Change{Action: plan.Conflict, Reason: "/srv/nas is a file, not a folder to export"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Export{NodeName: "files", Dir: "/srv/nas", Allow: []string{"10.0.0.0/24"}, Type: tt.typ}
			src := fixedFacts{"files": {"file:/srv/nas": tt.dir, "file:/etc/exports": fileSection(tt.exports)}}
			got, err := e.Diff(context.Background(), src)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.ID, want.Node, want.Kind, want.Target = "files/export/srv/nas", "files", "export", "/srv/nas"
			if d := cmp.Diff(&want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestExportApplyThenNoOp(t *testing.T) {
	dir := t.TempDir()
	exports := filepath.Join(dir, "exports")
	calls := filepath.Join(dir, "calls")
	if err := os.WriteFile(exports, []byte("/srv/other host(ro)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	share := filepath.Join(dir, "srv", "my nas")
	recorder := filepath.Join(dir, "exportfs")
	if err := os.WriteFile(recorder, []byte("#!/bin/sh\necho reloaded \"$@\" >> '"+calls+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	e := &Export{NodeName: "files", Path: exports, Dir: share, Allow: []string{"10.0.0.0/24"}, Type: "nfs",
		Reload: recorder + " -ra"}
	if c := applyAndRediff(t, e); c.Action != plan.NoOp {
		t.Errorf("after apply: %+v", c)
	}
	got, _ := os.ReadFile(exports)
	if want := "/srv/other host(ro)\n" + ExportsLine(share, e.Allow, "") + "\n"; string(got) != want {
		t.Errorf("exports:\n%s\nwant:\n%s", got, want)
	}
	if got, _ := os.ReadFile(calls); string(got) != "reloaded -ra\n" {
		t.Errorf("reload ran %q", got)
	}
	if fi, err := os.Stat(share); err != nil || !fi.IsDir() {
		t.Errorf("export folder: %v", err)
	}
}

func TestExportReloadMissingIsNamed(t *testing.T) {
	dir := t.TempDir()
	e := &Export{NodeName: "files", Path: filepath.Join(dir, "exports"), Dir: filepath.Join(dir, "nas"), Type: "nfs",
		Allow: []string{"*"}, Reload: "shoal-no-such-exportfs -ra"}
	err := e.Apply(context.Background(), &transport.Local{NodeName: "files"}, nil, discard{})
	if err == nil || !strings.Contains(err.Error(), "shoal-no-such-exportfs not found") || !strings.Contains(err.Error(), "on files") {
		t.Errorf("want an error naming the missing command and node, got %v", err)
	}
}
