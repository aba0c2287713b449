package hcl

import (
	"regexp"
	"strings"
	"testing"
)

const credentialsConfig = `
variable "smb_password" {
  sensitive = true
  default   = "s3cr3t"
}
variable "domain" {
  default = "EXAMPLE"
}
node "files" {}
storage "nas" {
  type    = "%s"
  server  = "files"
  export  = "/srv/nas"
  mount   = "/mnt/nas"
  %s
}
`

// A sensitive value in mount options would land in /etc/fstab (0644) and
// in the mount helper's argv: a warning at the reference says so and
// points at credentials, which is decoded for cifs and sshfs only.
func TestStorageCredentialsAndSensitiveOptions(t *testing.T) {
	for _, c := range []struct {
		name, kind, body string
		wantDiag         string // regexp over the diagnostics; "" wants none
		wantError        bool
	}{
		{"sensitive options", "cifs", `options = "username=web,password=${var.smb_password},domain=${var.domain}"`,
			`(?s)Warning: Sensitive value in mount options.*c\.hcl line 15.*var\.smb_password, which is sensitive.*credentials\s+=\s+var\.smb_password`, false},
		{"plain options", "cifs", `options = "domain=${var.domain}"`, "", false},
		{"credentials", "cifs", `credentials = "username=web\npassword=${var.smb_password}\n"`, "", false},
		{"sshfs key", "sshfs", `credentials = var.smb_password`, "", false},
		{"nfs has none", "nfs", `credentials = var.smb_password`, `(?s)Error: Credentials are for cifs and sshfs.*c\.hcl line 15`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, diags := loadString(t, strings.Replace(strings.Replace(credentialsConfig, "%s", c.kind, 1), "%s", c.body, 1))
			if (cfg == nil) != c.wantError {
				t.Errorf("config loaded: %v, want an error: %v\n%s", cfg != nil, c.wantError, diags)
			}
			if c.wantDiag == "" && diags != "" {
				t.Errorf("want no diagnostics, got:\n%s", diags)
			}
			if c.wantDiag != "" && !regexp.MustCompile(c.wantDiag).MatchString(diags) {
				t.Errorf("diagnostics do not match %s:\n%s", c.wantDiag, diags)
			}
			if strings.Contains(diags, "s3cr3t") {
				t.Errorf("a diagnostic shows the sensitive value:\n%s", diags)
			}
			if c.name == "credentials" && cfg.Storages[0].Credentials != "username=web\npassword=s3cr3t\n" {
				t.Errorf("credentials decoded as %q", cfg.Storages[0].Credentials)
			}
		})
	}
}
