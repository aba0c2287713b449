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

const secret = "username=web\npassword=hunter22\n"

func TestCredentialsDiff(t *testing.T) {
	s := &Credentials{NodeName: "web1", Path: "/etc/shoal/nas.cred", Content: secret}
	sum := s.Sum()
	for _, tt := range []struct {
		name   string
		out    string
		action plan.Action
		text   string // Summary or Reason
	}{
		{"absent", "absent", plan.Create, "write /etc/shoal/nas.cred (mode 0600, root only)"},
		{"right", "file 600 0 0\n" + sum, plan.NoOp, "/etc/shoal/nas.cred holds the credentials, mode 0600, root only"},
		{"old secret, loose mode", "file 644 0 0\n" + strings.Repeat("0", 64), plan.Update,
			"rewrite /etc/shoal/nas.cred (mode 0600, root only); wrong now: its content, mode 644"},
		{"someone else's", "file 600 33 33\n" + sum, plan.Update, "rewrite /etc/shoal/nas.cred (mode 0600, root only); wrong now: owner 33:33"},
		{"symlink", "link", plan.Conflict, "/etc/shoal/nas.cred is a link, not a file: refusing to write a secret through it"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.Diff(context.Background(), fixedFacts{"web1": {"filesum:/etc/shoal/nas.cred": {Output: tt.out}}})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff([]string{string(tt.action), tt.text}, []string{string(c.Action), c.Summary + c.Reason}); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
			if strings.Contains(c.Summary+c.Reason+strings.Join(c.Details, ""), "hunter22") {
				t.Error("the plan shows the secret")
			}
		})
	}
}

// Apply writes the secret root-only, from stdin, and the next plan is
// empty; a symlink in its place is never written through.
func TestCredentialsApplyThenNoOp(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("writes a root-owned file: needs root")
	}
	dir := t.TempDir()
	s := &Credentials{NodeName: "web1", Path: filepath.Join(dir, "shoal", "nas.cred"), Content: secret}
	h := &transport.Local{NodeName: "web1"}
	if err := s.Apply(context.Background(), h, nil, discard{}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(s.Path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v %v, want mode 0600", s.Path, st.Mode(), err)
	}
	if got, _ := os.ReadFile(s.Path); string(got) != secret {
		t.Errorf("content %q", got)
	}
	c, err := s.Diff(context.Background(), facts.NewSet(map[string]transport.Host{"web1": h}))
	if err != nil || c.Action != plan.NoOp {
		t.Errorf("after apply: %+v %v", c, err)
	}

	target := filepath.Join(dir, "elsewhere")
	if err := os.Remove(s.Path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, s.Path); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(context.Background(), h, nil, discard{}); err == nil {
		t.Error("wrote through a symlink")
	}
	if _, err := os.Lstat(target); !os.IsNotExist(err) {
		t.Errorf("the link's target was created: %v", err)
	}
}
