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

// A sensitive value that happens to be part of a path (the database user
// "hushed" and the root /var/www/hushed) is hidden wherever a path is
// shown, but apply acts on the real path: what apply executes is never
// redacted, whether it planned itself or was handed a saved plan.
func TestSensitiveValueInAPath(t *testing.T) {
	const root = "/var/www/hushed"
	const hidden = "/var/www/(sensitive)"
	dir := siteConfig(t, `
variable "db_user" {
  sensitive = true
  default   = "hushed"
}

site "hushed" {
  recipe  = "uploads"
  root    = "`+root+`"
  primary = "web1"
  nodes   = ["web1", "web2"]
  storage = "nas"
}`)
	stageSite(t, root)
	clean := func() { onHost(t, "web2", "rm -rf '"+hidden+"'") }
	clean()
	t.Cleanup(clean)

	r := shoal(t, "-C", dir, "apply", "--yes")
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "hushed") {
		t.Errorf("apply printed the sensitive value:\n%s\n%s", r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, hidden) {
		t.Errorf("apply should show the root with the value hidden:\n%s", r.stdout)
	}
	check := func(want string) {
		t.Helper()
		got := onHost(t, "web2", "cat "+root+"/index.php; readlink "+root+"/media; test -e '"+hidden+"' && echo 'wrote to the redacted path' || true")
		if got != want+"/mnt/nas/hushed/media\n" {
			t.Errorf("web2 reads %q, want the tree at %s and nothing at %s", got, root, hidden)
		}
	}
	check("<?php echo \"hello\";\n")
	if again := shoal(t, "-C", dir, "plan", "--detailed-exitcode"); again.code != 0 {
		t.Errorf("plan after apply: exit %d, want 0 (converged)\n%s", again.code, again.stdout)
	}

	onHost(t, "web1", "echo '<?php // deployed' > "+root+"/index.php")
	saved := filepath.Join(t.TempDir(), "hushed.plan")
	if r := shoal(t, "-C", dir, "plan", "-out", saved); r.code != 0 {
		t.Fatalf("plan -out: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if b, err := os.ReadFile(saved); err != nil || strings.Contains(r.stdout, "hushed") {
		t.Fatalf("reading the saved plan: %v; or plan printed the value:\n%s", err, r.stdout)
	} else if !strings.Contains(string(b), hidden) {
		t.Errorf("the saved plan's shown fields should hide the value:\n%s", b)
	}
	if r := shoal(t, "-C", dir, "apply", saved); r.code != 0 {
		t.Fatalf("apply of the saved plan: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	check("<?php // deployed\n")
}
