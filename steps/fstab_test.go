package steps

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

// fixedFacts is a facts.Source answering from a map of node → key → section.
type fixedFacts map[string]map[string]facts.Section

func (f fixedFacts) Get(_ context.Context, node string, fact facts.Fact) (facts.Section, error) {
	sec, ok := f[node][fact.Key()]
	if !ok {
		return facts.Section{}, &transport.ExitError{Node: node, Status: 255, Stderr: "unexpected fact " + fact.Key()}
	}
	return sec, nil
}

// fileSection is what facts.File prints for a regular file.
func fileSection(content string) facts.Section {
	return facts.Section{Output: "file 644 0 0\n" + content}
}

// discard is a Reporter that drops everything.
type discard struct{}

func (discard) Progress(plan.Progress) {}
func (discard) Output(string)          {}

func TestFstabLine(t *testing.T) {
	tests := []struct{ typ, server, export, mount, options, want string }{
		{"nfs", "10.0.0.1", "/srv/nas", "/mnt/nas", "", "10.0.0.1:/srv/nas /mnt/nas nfs defaults,_netdev 0 0"},
		{"sshfs", "10.0.0.5", "/srv/nas", "/mnt/nas", "", "root@10.0.0.5:/srv/nas /mnt/nas fuse.sshfs defaults,_netdev,allow_other,reconnect,ServerAliveInterval=15,IdentityFile=/root/.ssh/id_ed25519 0 0"},
		{"cifs", "10.0.0.5", "/srv/nas", "/mnt/nas", "", "//10.0.0.5/nas /mnt/nas cifs credentials=/etc/shoal/nas.cred,_netdev 0 0"},
		{"nfs", "files", "/srv/my nas", "/mnt/my nas", "ro", `files:/srv/my\040nas /mnt/my\040nas nfs ro 0 0`},
	}
	for _, tt := range tests {
		if got := FstabLine(tt.typ, tt.server, tt.export, tt.mount, tt.options); got != tt.want {
			t.Errorf("%s: got  %q\nwant %q", tt.typ, got, tt.want)
		}
	}
}

func TestFstabDiff(t *testing.T) {
	const line = "10.0.0.1:/srv/nas /mnt/nas nfs defaults,_netdev 0 0"
	const root = "UUID=abc / ext4 errors=remount-ro 0 1\n# /mnt/nas was here\n"
	tests := []struct {
		name    string
		content string
		want    plan.Change
	}{
		{"present", root + line + "\n", plan.Change{Action: plan.NoOp, Reason: "/etc/fstab mounts /mnt/nas as desired"}},
		{"absent", root, plan.Change{Action: plan.Create, Summary: "add /mnt/nas to /etc/fstab", Details: []string{"+" + line}}},
		{"other options", root + "10.0.0.1:/srv/nas  /mnt/nas/ nfs rw 0 0\n", plan.Change{Action: plan.Update,
			Summary: "replace the line for /mnt/nas in /etc/fstab",
			Details: []string{"-10.0.0.1:/srv/nas  /mnt/nas/ nfs rw 0 0", "+" + line}}},
		{"duplicate", line + "\n" + root + line + "\n", plan.Change{Action: plan.Update,
			Summary: "keep one line for /mnt/nas in /etc/fstab (2 found)", Details: []string{"-" + line}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &Fstab{NodeName: "web2", MountPoint: "/mnt/nas", Line: line}
			got, err := f.Diff(context.Background(), fixedFacts{"web2": {"file:/etc/fstab": fileSection(tt.content)}})
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.ID, want.Node, want.Kind, want.Target = "web2/fstab/mnt/nas", "web2", "fstab", "/mnt/nas"
			if d := cmp.Diff(&want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestFstabApplyThenNoOp(t *testing.T) {
	for name, initial := range map[string]*string{
		"missing file":  nil,
		"old duplicate": ptr("# keep me\n/dev/vda1 / ext4 defaults 0 1\nold:/x /mnt/nas nfs rw 0 0\nold:/x /mnt/nas nfs rw 0 0"),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "fstab")
			if initial != nil {
				if err := os.WriteFile(path, []byte(*initial), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			f := &Fstab{NodeName: "web2", Path: path, MountPoint: "/mnt/nas", Line: FstabLine("nfs", "10.0.0.1", "/srv/nas", "/mnt/nas", "")}
			c := applyAndRediff(t, f)
			if c.Action != plan.NoOp {
				t.Errorf("after apply: %+v", c)
			}
			got, _ := os.ReadFile(path)
			want := f.Line + "\n"
			if initial != nil {
				want = "# keep me\n/dev/vda1 / ext4 defaults 0 1\n" + want
				if bak, _ := os.ReadFile(path + ".shoal.bak"); string(bak) != *initial {
					t.Errorf("backup holds %q", bak)
				}
				if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
					t.Errorf("mode changed to %v", fi.Mode().Perm())
				}
			}
			if string(got) != want {
				t.Errorf("fstab:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// applyAndRediff diffs s on a Local host, applies the change, and returns
// a fresh diff, which a converged step makes a NoOp.
func applyAndRediff(t *testing.T, s Applier) *plan.Change {
	t.Helper()
	ctx := context.Background()
	h := &transport.Local{NodeName: s.Node()}
	diff := func() *plan.Change {
		set := facts.NewSet(map[string]transport.Host{s.Node(): h})
		var fs []facts.Fact
		for _, nf := range s.Facts() {
			fs = append(fs, nf.Fact)
		}
		if err := set.Gather(ctx, s.Node(), fs); err != nil {
			t.Fatal(err)
		}
		c, err := s.Diff(ctx, set)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := diff()
	if c.Action == plan.NoOp || c.Action == plan.Conflict {
		t.Fatalf("nothing to apply: %+v", c)
	}
	if err := s.Apply(ctx, h, c, discard{}); err != nil {
		t.Fatal(err)
	}
	return diff()
}

func TestMountOptions(t *testing.T) {
	tests := []struct{ typ, options, credentials, want string }{
		{"sshfs", "", "", "defaults,_netdev,allow_other,reconnect,ServerAliveInterval=15,IdentityFile=/root/.ssh/id_ed25519"},
		{"sshfs", "", "/etc/shoal/nas.key", "defaults,_netdev,allow_other,reconnect,ServerAliveInterval=15,IdentityFile=/etc/shoal/nas.key"},
		{"sshfs", "allow_other,identityfile=/a,IdentityFile=/b", "/etc/shoal/nas.key", "allow_other,IdentityFile=/etc/shoal/nas.key"},
		{"cifs", "", "/etc/shoal/nas.cred", "credentials=/etc/shoal/nas.cred,_netdev"},
		{"cifs", "vers=3.0", "/etc/shoal/nas.cred", "vers=3.0,credentials=/etc/shoal/nas.cred"},
		{"nfs", "vers=4", "", "vers=4"},
	}
	for _, tt := range tests {
		if got := MountOptions(tt.typ, "/srv/nas", tt.options, tt.credentials); got != tt.want {
			t.Errorf("%s %q %q: got %q, want %q", tt.typ, tt.options, tt.credentials, got, tt.want)
		}
	}
}
