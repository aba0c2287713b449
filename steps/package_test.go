package steps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

func names(ns ...string) cty.Value {
	vs := make([]cty.Value, len(ns))
	for i, n := range ns {
		vs[i] = cty.StringVal(n)
	}
	if len(vs) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	return cty.ListVal(vs)
}

func TestPackageRefusesBadInput(t *testing.T) {
	for _, tt := range []struct {
		name  string
		names cty.Value
		want  string
	}{
		{"upper case", names("PHP"), "Invalid package name"},
		{"an option", names("-oDebug::pkgProblemResolver=1"), "Invalid package name"},
		{"one letter", names("a"), "Invalid package name"},
		{"shell", names("php; rm -rf /"), "Invalid package name"},
		{"a version pin", names("nginx=1.22"), "Invalid package name"},
		{"a glob", names("php8.2-*"), "Invalid package name"},
		{"nothing", names(), "No packages"},
		{"twice", names("nginx", "nginx"), "listed twice"},
		{"secret", names("nginx").Mark(block.SensitiveMark), "Sensitive package names"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := diagText(KindOf("package").Check(testDecl("package", "web", map[string]cty.Value{"names": tt.names})))
			if !strings.Contains(got, tt.want) {
				t.Errorf("diagnostics %q, want %q", got, tt.want)
			}
		})
	}
	ok := testDecl("package", "web", map[string]cty.Value{"names": names("php8.2-fpm", "libc6:i386", "g++", "nginx")})
	if diags := KindOf("package").Check(ok); len(diags) > 0 {
		t.Errorf("good names: %s", diagText(diags))
	}
}

func TestPackageDiff(t *testing.T) {
	p := &Package{NodeName: "web1", Site: "s", Label: "php", Names: []string{"nginx", "php8.2-fpm", "php8.2-mysql", "libc6:i386"}}
	key := p.fact().Key()
	for _, tt := range []struct {
		name    string
		out     string
		action  plan.Action
		summary string
		details []string
		payload packagePayload
		reason  string
	}{
		{name: "some missing", out: "dpkg\nnginx amd64 installed\nphp8.2-fpm amd64 config-files\nlibc6 amd64 installed\nlibc6 i386 half-configured\n",
			action: plan.Create, summary: "install php8.2-fpm, php8.2-mysql, libc6:i386",
			details: []string{"php8.2-fpm: removed, its configuration files kept", "libc6:i386: left half-configured by an earlier install"},
			payload: packagePayload{Manager: "dpkg", Install: []string{"php8.2-fpm", "php8.2-mysql", "libc6:i386"}}},
		{name: "all installed", out: "dpkg\nnginx amd64 installed\nphp8.2-fpm amd64 triggers-pending\nphp8.2-mysql amd64 installed\nlibc6 amd64 installed\nlibc6 i386 installed\n",
			action: plan.NoOp, reason: "nginx, php8.2-fpm, php8.2-mysql, libc6:i386 installed"},
		{name: "rpm", out: "rpm\nnginx x86_64 installed\nlibc6 i386 installed\n",
			action: plan.Create, summary: "install php8.2-fpm, php8.2-mysql",
			payload: packagePayload{Manager: "rpm", Install: []string{"php8.2-fpm", "php8.2-mysql"}}},
		{name: "no package manager", out: "none\n", action: plan.Conflict, reason: "web1 has neither dpkg nor rpm: shoal installs packages with apt-get (Debian, Ubuntu) or dnf (RHEL family)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := p.Diff(context.Background(), fixedFacts{"web1": {key: {Output: tt.out}}})
			failOn(t, err)
			if c.Action != tt.action || c.Summary != tt.summary || c.Reason != tt.reason || c.Target != "php" || c.ID != "web1/package/s/php" {
				t.Errorf("got %s %q %q (%s, %s)", c.Action, c.Summary, c.Reason, c.Target, c.ID)
			}
			if d := cmp.Diff(tt.details, c.Details); d != "" {
				t.Errorf("details (-want +got):\n%s", d)
			}
			if tt.action == plan.Create {
				got, err := plan.DecodePayload[packagePayload](c)
				failOn(t, err)
				if d := cmp.Diff(tt.payload, got); d != "" {
					t.Errorf("payload (-want +got):\n%s", d)
				}
			}
		})
	}
}

// TestPackageFactReadsDpkg asks this machine's dpkg database (read only)
// about a package every Debian has and one nobody has.
func TestPackageFactReadsDpkg(t *testing.T) {
	h := localNode()
	p := &Package{NodeName: "web1", Site: "s", Label: "base", Names: []string{"dpkg", "shoal-no-such-package"}}
	c := planOn(t, p, h)
	if c.Action != plan.Create || c.Summary != "install shoal-no-such-package" {
		t.Errorf("got %s %q %q", c.Action, c.Summary, c.Details)
	}
	p.Names = p.Names[:1]
	if c := planOn(t, p, h); c.Action != plan.NoOp {
		t.Errorf("dpkg is installed: %s %q", c.Action, c.Summary)
	}
}

// fakeApt puts a dpkg-query and an apt-get on PATH that keep their
// database in dir: apt-get installs only what its lists (dir/lists, one
// name a line) know, and update fills the lists from dir/mirror.
func fakeApt(t *testing.T) string {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	failOn(t, os.Mkdir(bin, 0o755))
	scripts := map[string]string{
		"dpkg-query": `#!/bin/sh
# dpkg-query -W -f=FORMAT -- names...: one line per installed name
format=
while [ "$1" != "--" ]; do
	case $1 in -f=*) format=${1#-f=} ;; esac
	shift
done
shift
st=0
for p in "$@"; do
	if grep -qx "$p" "$DB/installed"; then
		case $format in
		*Package*) echo "$p all installed" ;;
		*) echo installed ;;
		esac
	else
		echo "dpkg-query: no packages found matching $p" >&2
		st=1
	fi
done
exit $st
`,
		"apt-get": `#!/bin/sh
case $1 in
update) cp "$DB/mirror" "$DB/lists"; echo "$*" >>"$DB/calls"; exit 0 ;;
install) ;;
*) exit 64 ;;
esac
echo "$*" >>"$DB/calls"
read -r line && { echo "apt-get read its stdin: $line"; exit 65; }
while [ "$1" != "--" ]; do shift; done
shift
for p in "$@"; do
	grep -qx "$p" "$DB/lists" 2>/dev/null || { echo "E: Unable to locate package $p"; exit 100; }
done
for p in "$@"; do echo "$p" >>"$DB/installed"; echo "Setting up $p"; done
`,
	}
	for name, s := range scripts {
		failOn(t, os.WriteFile(filepath.Join(bin, name), []byte(s), 0o755))
	}
	failOn(t, os.WriteFile(filepath.Join(dir, "installed"), []byte("nginx\n"), 0o644))
	failOn(t, os.WriteFile(filepath.Join(dir, "lists"), []byte("nginx\nphp8.2-fpm\n"), 0o644))
	failOn(t, os.WriteFile(filepath.Join(dir, "mirror"), []byte("nginx\nphp8.2-fpm\nphp8.2-mysql\n"), 0o644))
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	t.Setenv("DB", dir)
	return dir
}

// TestPackageInstallConverges runs the install script against a fake apt:
// what the plan found missing is installed with what is already installed
// left alone, a package the lists don't know makes it update them and try
// once more, and the next plan has nothing to do.
func TestPackageInstallConverges(t *testing.T) {
	db := fakeApt(t)
	h := localNode()
	p := &Package{NodeName: "web1", Site: "s", Label: "php", Names: []string{"nginx", "php8.2-fpm", "php8.2-mysql"}}
	c := planOn(t, p, h)
	if c.Action != plan.Create || c.Summary != "install php8.2-fpm, php8.2-mysql" {
		t.Fatalf("plan: %s %q", c.Action, c.Summary)
	}
	rec := &recorder{}
	failOn(t, p.Apply(context.Background(), h, c, rec))
	calls, err := os.ReadFile(filepath.Join(db, "calls"))
	failOn(t, err)
	want := []string{
		"install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -- php8.2-fpm php8.2-mysql",
		"update -q -o DPkg::Lock::Timeout=300",
		"install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -- php8.2-fpm php8.2-mysql",
	}
	if d := cmp.Diff(want, strings.Split(strings.TrimSpace(string(calls)), "\n")); d != "" {
		t.Errorf("apt-get calls (-want +got):\n%s", d)
	}
	if !slicesContain(rec.lines, "E: Unable to locate package php8.2-mysql") || !slicesContain(rec.lines, "Setting up php8.2-mysql") {
		t.Errorf("output %q: want apt's failure, then its success", rec.lines)
	}
	if again := planOn(t, p, h); again.Action != plan.NoOp {
		t.Errorf("after apply: %s %q", again.Action, again.Summary)
	}

	// installed by someone else since the plan: nothing to do, no apt-get
	failOn(t, os.Remove(filepath.Join(db, "calls")))
	p.Names = []string{"php8.2-fpm"}
	stale := &plan.Change{ID: p.ID(), Node: "web1", Kind: "package"}
	plan.SetPayload(stale, packagePayload{Manager: "dpkg", Install: []string{"php8.2-fpm"}})
	failOn(t, h.Run(context.Background(), transport.Command{Script: p.ApplyScript(stale)}))
	if _, err := os.Stat(filepath.Join(db, "calls")); err == nil {
		t.Error("apt-get ran for a package installed since the plan")
	}
}

// TestPackageInstallFailureSaysWhy: a package no list has fails the step
// with apt's own words, after one update.
func TestPackageInstallFailureSaysWhy(t *testing.T) {
	fakeApt(t)
	h := localNode()
	p := &Package{NodeName: "web1", Site: "s", Label: "x", Names: []string{"shoal-no-such-package"}}
	c := planOn(t, p, h)
	err := p.Apply(context.Background(), h, c, &recorder{})
	if err == nil || !strings.Contains(err.Error(), "E: Unable to locate package shoal-no-such-package") || !strings.Contains(err.Error(), "on web1") {
		t.Fatalf("apply: %v", err)
	}
}

func TestPackageScriptsGolden(t *testing.T) {
	p := &Package{NodeName: "web1", Site: "s", Label: "php"}
	for _, tt := range []struct {
		state   string
		payload packagePayload
	}{
		{"apt-install", packagePayload{Manager: "dpkg", Install: []string{"php8.2-mysql", "php8.2-fpm"}}},
		{"dnf-install", packagePayload{Manager: "rpm", Install: []string{"php-fpm", "php-mysqlnd"}}},
	} {
		c := &plan.Change{ID: p.ID()}
		plan.SetPayload(c, tt.payload)
		goldenScript(t, "package", tt.state, p.ApplyScript(c))
	}
	goldenScript(t, "package", "fact", packageFact{Names: []string{"php8.2-fpm", "libc6:i386"}}.Command())
	bad := &plan.Change{ID: p.ID()}
	plan.SetPayload(bad, packagePayload{Manager: "dpkg", Install: []string{"x; rm -rf /"}})
	if s := p.ApplyScript(bad); s != "" {
		t.Errorf("a payload with a bad name made a script:\n%s", s)
	}
}
