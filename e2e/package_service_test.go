package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-sh/shoal/plan"
)

// kindsConfig is a site whose own blocks install a package (nginx, there
// already, and a tiny one only a local repository on each host has),
// write an nginx server block and keep nginx running, reloaded when the
// server block changes and only if `nginx -t` passes.
const kindsConfig = `
variable "version" {}

variable "extra" {
  default = ""
}

node "web1" {
  host = "web1"
}

node "web2" {
  host = "web2"
}

site "kinds" {
  root    = "/var/www/kinds"
  primary = "web1"
  nodes   = ["web1", "web2"]

  package "tools" {
    names = ["nginx", "shoal-e2e-hello"]
  }

  file "site" {
    path    = "/etc/nginx/conf.d/shoal-e2e.conf"
    content = "server {\n  listen 8081;\n  ${var.extra}\n  return 200 \"${var.version} ${node.name}\\n\";\n}\n"
  }

  service "nginx" {
    check     = "nginx -t"
    on_change = [file.site]
  }
}
`

// stageKindsHost gives a lab host what the kinds site needs and nothing
// it should be given by shoal: the site root, a local apt repository
// holding shoal-e2e-hello as the only source (lab hosts have no route
// out, and apt-get update must not wait for one), nginx stopped and
// disabled at boot. Cleanup puts the host back.
func stageKindsHost(t *testing.T, host string) {
	t.Helper()
	onHost(t, host, `set -e
mkdir -p /var/www/kinds
repo=/srv/shoal-e2e-repo
pkg=$(mktemp -d)
mkdir -p "$repo" "$pkg/DEBIAN" "$pkg/usr/share/shoal-e2e-hello"
echo hello > "$pkg/usr/share/shoal-e2e-hello/hello.txt"
printf 'Package: shoal-e2e-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: shoal tests <root@localhost>\nDescription: a package only the end-to-end tests have\n' > "$pkg/DEBIAN/control"
dpkg-deb --build --root-owner-group "$pkg" "$repo/shoal-e2e-hello_1.0_all.deb" >/dev/null
rm -rf "$pkg"
cd "$repo"
{
	dpkg-deb -f shoal-e2e-hello_1.0_all.deb
	echo "Filename: ./shoal-e2e-hello_1.0_all.deb"
	echo "Size: $(stat -c %s shoal-e2e-hello_1.0_all.deb)"
	echo "SHA256: $(sha256sum < shoal-e2e-hello_1.0_all.deb | cut -d' ' -f1)"
} > Packages
gzip -kf Packages
mkdir -p /etc/apt/shoal-e2e-off
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do
	if [ -e "$f" ]; then mv "$f" /etc/apt/shoal-e2e-off/; fi
done
echo "deb [trusted=yes] file:$repo ./" > /etc/apt/sources.list.d/shoal-e2e.list
if service nginx status >/dev/null 2>&1; then service nginx stop >/dev/null; fi
update-rc.d nginx disable >/dev/null 2>&1
`)
	t.Cleanup(func() {
		onHost(t, host, `if service nginx status >/dev/null 2>&1; then service nginx stop >/dev/null; fi
update-rc.d nginx enable >/dev/null 2>&1 || :
rm -f /etc/nginx/conf.d/shoal-e2e.conf /etc/apt/sources.list.d/shoal-e2e.list
dpkg --purge shoal-e2e-hello >/dev/null 2>&1 || :
for f in /etc/apt/shoal-e2e-off/*; do
	case $f in
	*/sources.list) mv "$f" /etc/apt/ ;;
	*) if [ -e "$f" ]; then mv "$f" /etc/apt/sources.list.d/; fi ;;
	esac
done
rm -rf /etc/apt/shoal-e2e-off /srv/shoal-e2e-repo /var/www/kinds /var/lib/shoal/changed/kinds /var/lib/shoal/loaded/kinds
`)
	})
}

// nginxState is what nginx answers on the site's port, from the host
// itself, and the pid of its master, which a reload keeps.
func nginxState(t *testing.T, host string) (served, master string) {
	t.Helper()
	out := onHost(t, host, "cat /run/nginx.pid; curl -sS --max-time 5 http://127.0.0.1:8081/")
	master, served, _ = strings.Cut(strings.TrimSpace(out), "\n")
	return served, master
}

// serviceChanges counts, per node, the changes of kind service a JSON
// plan would make, keeping their summaries.
func serviceChanges(t *testing.T, out string) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		var ev struct {
			Type string     `json:"type"`
			Plan *plan.Plan `json:"plan"`
		}
		if line == "" || json.Unmarshal([]byte(line), &ev) != nil || ev.Type != "plan" {
			continue
		}
		for _, c := range ev.Plan.Changes {
			if c.Kind == "service" && c.Action != plan.NoOp {
				got[c.Node] = append(got[c.Node], c.Summary)
			}
		}
		return got
	}
	t.Fatalf("no plan event in:\n%s", out)
	return nil
}

// TestPackageAndServiceEndToEnd: the first apply installs a package that
// only the host's local repository has (apt-get updates its lists once the
// install can't find it), writes the server block and starts nginx; a
// second plan is empty. A new server block is one reload per node (same
// master, new answer). A broken one fails the reload after nginx -t,
// naming node and step, and nginx keeps serving the last good one; the
// next plan still owes that reload though the file is as declared, and
// the fixed block is loaded by one reload.
func TestPackageAndServiceEndToEnd(t *testing.T) {
	hosts := []string{"web1", "web2"}
	for _, h := range hosts {
		stageKindsHost(t, h)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cluster.hcl"), []byte(kindsConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) result {
		t.Helper()
		return shoal(t, append([]string{"-C", dir}, args...)...)
	}
	must := func(r result, code int, what string) {
		t.Helper()
		if r.code != code {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, r.code, code, r.stdout, r.stderr)
		}
	}

	first := run("plan", "--var", "version=v1")
	must(first, 0, "first plan")
	for _, want := range []string{"+ package tools", "install shoal-e2e-hello", "~ service nginx", "start, enable at boot"} {
		if !strings.Contains(first.stdout, want) {
			t.Errorf("first plan lacks %q:\n%s", want, first.stdout)
		}
	}
	must(run("apply", "--yes", "--var", "version=v1"), 0, "first apply")
	masters := map[string]string{}
	for _, h := range hosts {
		if got := onHost(t, h, "dpkg-query -W -f='${db:Status-Status}' shoal-e2e-hello; ls /etc/rc2.d"); !strings.HasPrefix(got, "installed") || !strings.Contains(got, "S01nginx") {
			t.Errorf("%s: the package is not installed or nginx not enabled at boot:\n%s", h, got)
		}
		var served string
		if served, masters[h] = nginxState(t, h); served != "v1 "+h {
			t.Errorf("%s serves %q, want %q", h, served, "v1 "+h)
		}
	}
	must(run("plan", "--detailed-exitcode", "--var", "version=v1"), 0, "plan after the first apply")

	changed := run("plan", "--json", "--var", "version=v2")
	must(changed, 0, "plan of a new server block")
	for _, h := range hosts {
		if got := serviceChanges(t, changed.stdout)[h]; len(got) != 1 || got[0] != "reload: file.site changed" {
			t.Errorf("%s: service changes %q, want one reload", h, got)
		}
	}
	must(run("apply", "--yes", "--var", "version=v2"), 0, "apply of a new server block")
	for _, h := range hosts {
		served, master := nginxState(t, h)
		if served != "v2 "+h {
			t.Errorf("%s serves %q after the reload, want %q", h, served, "v2 "+h)
		}
		if master != masters[h] {
			t.Errorf("%s: nginx's master changed (%s → %s): restarted, not reloaded", h, masters[h], master)
		}
	}
	must(run("plan", "--detailed-exitcode", "--var", "version=v2"), 0, "plan after the reload")

	broken := []string{"--var", "version=v3", "--var", "extra=no_such_directive on;"}
	r := run(append([]string{"apply", "--yes"}, broken...)...)
	must(r, 1, "apply of a broken server block")
	for _, h := range hosts {
		for _, want := range []string{h + ": service nginx", `unknown directive "no_such_directive"`, "config test failed (nginx -t: exit 1): nginx not reloaded"} {
			if !strings.Contains(r.stdout+r.stderr, want) {
				t.Errorf("the failed apply does not say %q:\n%s\n%s", want, r.stdout, r.stderr)
			}
		}
		if served, master := nginxState(t, h); served != "v2 "+h || master != masters[h] {
			t.Errorf("%s serves %q (master %s) after a refused reload, want the last good %q (master %s)", h, served, master, "v2 "+h, masters[h])
		}
	}
	owed := run(append([]string{"plan", "--json"}, broken...)...)
	must(owed, 0, "plan after the failed reload")
	for _, h := range hosts {
		if got := serviceChanges(t, owed.stdout)[h]; len(got) != 1 || !strings.Contains(got[0], "file.site written since nginx last loaded it") {
			t.Errorf("%s: after a failed reload the plan must still owe one: %q", h, got)
		}
	}

	fixed := run("plan", "--json", "--var", "version=v4")
	must(fixed, 0, "plan of the fixed server block")
	for _, h := range hosts {
		if got := serviceChanges(t, fixed.stdout)[h]; len(got) != 1 {
			t.Errorf("%s: the fixed block and the owed reload must make one reload: %q", h, got)
		}
	}
	must(run("apply", "--yes", "--var", "version=v4"), 0, "apply of the fixed server block")
	for _, h := range hosts {
		if served, _ := nginxState(t, h); served != "v4 "+h {
			t.Errorf("%s serves %q, want %q", h, served, "v4 "+h)
		}
	}
	must(run("plan", "--detailed-exitcode", "--var", "version=v4"), 0, "plan after the fix")
}
