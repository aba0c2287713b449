package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-sh/shoal/plan"
)

// A sensitive variable's value reaches the host (here: inside an fstab
// line's options) but never the plan, as text or JSON, nor a saved plan's
// shown fields.
func TestSensitiveValuesStayHidden(t *testing.T) {
	const secret = "s3cr3t-t0ken-42"
	dir := t.TempDir()
	cfg := `
variable "token" {
  sensitive = true
}

node "files" {
  host  = "files"
  roles = ["storage"]
}

node "web1" {
  host  = "web1"
  roles = ["web"]
}

storage "nas" {
  type    = "sshfs"
  server  = "files"
  address = "files"
  export  = "/srv/nas"
  mount   = "/mnt/nas"
  options = "allow_other,x-token=${var.token}"
}

recipe "uploads" {
  dynamic_dir "media" {}
}

site "secretive" {
  recipe  = "uploads"
  root    = "/var/www/secretive"
  primary = "web1"
  nodes   = ["web1"]
  storage = "nas"
}
`
	if err := os.WriteFile(filepath.Join(dir, "cluster.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	onHost(t, "web1", "mkdir -p /var/www/secretive")
	defer onHost(t, "web1", "rm -rf /var/www/secretive")

	planFile := filepath.Join(t.TempDir(), "p.json")
	for _, args := range [][]string{
		{"plan", "-out", planFile},
		{"plan", "--json"},
	} {
		r := shoal(t, append([]string{"-C", dir, "--var", "token=" + secret}, args...)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s\n%s", args, r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "x-token=(sensitive)") {
			t.Errorf("%v: the fstab change should show the option, hidden:\n%s", args, r.stdout)
		}
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("%v printed the sensitive value", args)
		}
	}
	b, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	var saved plan.Plan
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatal(err)
	}
	for _, c := range saved.Changes {
		shown := strings.Join(append([]string{c.Summary, c.Reason, c.Target}, c.Details...), "\n")
		if strings.Contains(shown, secret) {
			t.Errorf("the saved plan shows the sensitive value in %s", c.ID)
		}
	}
}
