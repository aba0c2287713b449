package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
)

const sshConfigNodes = `
node "web1" {
  host = "web1"
}
node "files" {
  host = "files"
  user = "admin"
  jump = "bastion"
}
node "db" {
  host          = "db"
  identity_file = "/keys/db"
}
`

const sshConfigFile = `
Host web1
    HostName 10.0.0.11
    ProxyCommand ssh -W %h:%p bastion
Host bastion
    HostName 10.0.0.1
    User jump
Match host 10.0.0.*
    User deploy
Host db
    HostKeyAlias db-cluster
    StrictHostKeyChecking accept-new
    HashKnownHosts yes
`

// sshConfigRun runs `shoal ssh-config` against sshConfigFile, with or
// without an ssh client in PATH.
func sshConfigRun(t *testing.T, withSSH bool, args ...string) (int, string, string) {
	t.Helper()
	if withSSH {
		if _, err := exec.LookPath("ssh"); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("CI=true but no ssh client")
			}
			t.Skip("no ssh client")
		}
	} else {
		t.Setenv("PATH", t.TempDir())
	}
	config := filepath.Join(t.TempDir(), "ssh_config")
	if err := os.WriteFile(config, []byte(sshConfigFile), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSH_AUTH_SOCK", "")
	return run(t, map[string]string{"c.hcl": sshConfigNodes}, append([]string{"-F", config, "ssh-config"}, args...)...)
}

func TestSSHConfigShowsEachRoute(t *testing.T) {
	for _, withSSH := range []bool{true, false} {
		resolver := map[bool]string{true: "ssh -G", false: "shoal's ssh_config reader"}[withSSH]
		t.Run(resolver, func(t *testing.T) {
			code, out, errs := sshConfigRun(t, withSSH)
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out, errs)
			}
			out = strings.Join(strings.Fields(out), " ") // columns aside
			for _, want := range []string{
				"ssh_config is resolved by " + resolver + ".",
				"web1: deploy@10.0.0.11:22 via `ssh -W 10.0.0.11:22 bastion` node web1 user deploy " + resolver,
				"proxy command ssh -W 10.0.0.11:22 bastion " + resolver,
				"files: admin@files:22 via jump@10.0.0.1:22 jump host bastion user jump " + resolver,
				"node files user admin node block",
				"via jump host bastion node block",
				"db: root@db:22",
				"keys not offered: /keys/db (missing) node block",
				"host key alias db-cluster " + resolver,
				"unknown host key recorded in ~/.ssh/known_hosts, hashed " + resolver,
				"connect timeout 10s shoal's default",
			} {
				if strings.HasPrefix(want, "db: root@") {
					want = "db: " + localUserName(t) + "@db:22"
				}
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			if notice := "no ssh client in PATH"; strings.Contains(errs, notice) == withSSH {
				t.Errorf("stderr %q: the fallback notice should show exactly when there is no ssh client", errs)
			}
		})
	}
}

func TestSSHConfigNamedNodesAndJSON(t *testing.T) {
	code, out, errs := sshConfigRun(t, false, "--json", "db")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	var routes []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if e["type"] == "route" {
			routes = append(routes, e)
		}
	}
	if len(routes) != 1 || routes[0]["node"] != "db" || routes[0]["resolver"] != "shoal's ssh_config reader" {
		t.Errorf("route events = %v, want db's alone, from shoal's reader", routes)
	}

	code, _, errs = sshConfigRun(t, false, "web9")
	if code != 1 || !strings.Contains(errs, `no node "web9" in the config (nodes: web1, files, db)`) {
		t.Errorf("unknown node: exit %d, stderr %q", code, errs)
	}
}

func localUserName(t *testing.T) string {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return u.Username
}
