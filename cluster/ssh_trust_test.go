package cluster

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/steps"
)

// trustNodes are a site's web nodes (web2 with an address other nodes
// use, web3 known by name only), a file server and two backup nodes.
const trustNodes = `
node "web1" {
  address = "10.0.0.11"
  roles   = ["web"]
}
node "web2" {
  address = "10.0.0.12"
  roles   = ["web"]
}
node "web3" {
  roles = ["web"]
}
node "files" {}
node "backup1" {
  roles = ["backup"]
}
node "backup2" {
  roles = ["backup"]
}
site "ee" {
  root    = "/var/www/ee"
  primary = "web1"
  nodes   = ["web1", "web2", "web3"]
%s
}
`

func trustSite(body string) string { return strings.Replace(trustNodes, "%s", body, 1) }

func TestSSHTrustCompilesPerClient(t *testing.T) {
	c, diags := compileString(t, trustSite(`
  ssh_trust "assets" {
    on     = "replicas"
    to     = "primary"
    rrsync = "/var/www/ee/assets/"
  }
  ssh_trust "nas" {
    on   = "web3"
    to   = "files"
    user = "nas"
    sftp = true
    key  = "/etc/shoal/nas.key"
  }`), nil)
	if c == nil {
		t.Fatalf("compile failed:\n%s", diags)
	}
	var got []steps.SSHTrust
	for _, e := range c.Entries {
		if tr, ok := e.Step.(*steps.SSHTrust); ok {
			got = append(got, *tr)
		}
	}
	want := []steps.SSHTrust{
		{Site: "ee", Name: "assets", Client: "web2", Server: "web1", Address: "10.0.0.11", User: "root",
			Key: "/root/.ssh/shoal-ee-assets", Command: "rrsync -ro /var/www/ee/assets", Purpose: "rrsync -ro /var/www/ee/assets", RRsync: "/var/www/ee/assets",
			From: []string{"10.0.0.12"}},
		// web3's address is its host name: no from= (sshd would match it
		// only by reverse DNS)
		{Site: "ee", Name: "assets", Client: "web3", Server: "web1", Address: "10.0.0.11", User: "root",
			Key: "/root/.ssh/shoal-ee-assets", Command: "rrsync -ro /var/www/ee/assets", Purpose: "rrsync -ro /var/www/ee/assets", RRsync: "/var/www/ee/assets"},
		{Site: "ee", Name: "nas", Client: "web3", Server: "files", Address: "files", User: "nas",
			Key: "/etc/shoal/nas.key", Command: "internal-sftp", Purpose: "SFTP only", SFTP: true},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("steps (-want +got):\n%s", d)
	}
	if strings.Contains(diags, "SFTP as root") {
		t.Errorf("a warning for an sftp trust with its own user:\n%s", diags)
	}
}

func TestSSHTrustBadInputIsADiagnostic(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		want       []string
	}{
		{"to names no node", `
  ssh_trust "a" {
    to     = "nowhere"
    rrsync = "/srv"
  }`, []string{"c.hcl:26:14: No node to trust", `to = "nowhere" names no node`}},
		{"to names several", `
  ssh_trust "a" {
    to     = "backup"
    rrsync = "/srv"
  }`, []string{"c.hcl:26:14: Several servers", "(backup1, backup2)"}},
		{"a client is the server", `
  ssh_trust "a" {
    on     = "all"
    to     = "primary"
    rrsync = "/srv"
  }`, []string{"c.hcl:27:14: A node trusting itself", "web1 would log in to itself"}},
		{"no command", `
  ssh_trust "a" {
    to = "primary"
  }`, []string{"c.hcl:25:3: What may the key run?"}},
		{"two commands", `
  ssh_trust "a" {
    to      = "primary"
    rrsync  = "/srv"
    command = "true"
  }`, []string{"c.hcl:28:15: One command per key"}},
		{"relative rrsync", `
  ssh_trust "a" {
    to     = "primary"
    rrsync = "assets"
  }`, []string{"c.hcl:27:14: Invalid rrsync folder"}},
		{"relative key", `
  ssh_trust "a" {
    to     = "primary"
    rrsync = "/srv"
    key    = "keys/a"
  }`, []string{"c.hcl:28:14: Invalid key"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, diags := compileString(t, trustSite(tt.body), nil)
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
