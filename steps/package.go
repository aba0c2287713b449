package steps

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/shell"
	"github.com/shoal-sh/shoal/transport"
)

// package: `package "php" { names = ["php8.2-fpm", "php8.2-mysql"] }`
// installs the named packages where they are missing: with apt-get on
// Debian and Ubuntu (dpkg-query tells what is installed), with dnf (yum
// without it) on the RHEL family (rpm -q). It never upgrades or removes
// anything: a package that is installed is left as it is.
//
// apt-get's package lists are refreshed (apt-get update) only when an
// install fails because a package can't be found or fetched with the
// lists at hand, and the install is then tried once more: no network
// round trip on every node for packages that install as they are, and
// lists too old to know a package, or naming versions the mirror no
// longer has, still get refreshed.
var _ = register(&Kind{
	Type:      "package",
	LabelKind: block.LabelName,
	Arguments: []Argument{
		{Name: "names", Type: cty.List(cty.String), Required: true},
	},
	IsStep:    true,
	DefaultOn: "all",
	Validate:  validatePackage,
	Compile: func(u *Unit) ([]Entry, hashicl.Diagnostics) {
		return u.Each(func(node string, d *block.Decl) (Step, hashicl.Diagnostics) {
			return &Package{NodeName: node, Site: u.Site.Name, Label: d.Label, Names: d.Strings("names")}, nil
		})
	},
})

// packageName is Debian's syntax for a package name (lower case letters,
// digits, '+', '-' and '.', two characters at least, starting with a
// letter or digit), with an optional architecture: "libc6:i386".
var packageName = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+(:[a-z0-9][a-z0-9-]*)?$`)

func validatePackage(d *block.Decl) hashicl.Diagnostics {
	var diags hashicl.Diagnostics
	if d.Sensitive("names") {
		diags = append(diags, d.Error("names", "Sensitive package names",
			"%s: %s: package names are shown in plans and on command lines; they can't come from a sensitive value.", d.Owner, d.Describe()))
	}
	if !d.Known("names") {
		return diags
	}
	names := d.Strings("names")
	if len(names) == 0 {
		diags = append(diags, d.Error("names", "No packages", "%s: %s: names lists no package.", d.Owner, d.Describe()))
	}
	seen := map[string]bool{}
	for _, n := range names {
		switch {
		case !packageName.MatchString(n):
			diags = append(diags, d.Error("names", "Invalid package name",
				"%s: %s: %q is not a package name: lower case letters, digits, '+', '-' and '.', at least two, starting with a letter or digit (Debian's rule), optionally with an architecture (\"libc6:i386\").", d.Owner, d.Describe(), n))
		case seen[n]:
			diags = append(diags, d.Error("names", "Package listed twice", "%s: %s: %q is listed twice.", d.Owner, d.Describe(), n))
		}
		seen[n] = true
	}
	return diags
}

// Package keeps packages installed on a node.
type Package struct {
	NodeName string
	Site     string
	Label    string
	Names    []string
}

var (
	_ Step     = (*Package)(nil)
	_ Scripter = (*Package)(nil)
)

// ID names the site and block: two sites may each declare a "php" block
// with packages of their own.
func (p *Package) ID() string   { return changeID(p.NodeName, "package", p.Site+"/"+p.Label) }
func (p *Package) Kind() string { return "package" }
func (p *Package) Node() string { return p.NodeName }

func (p *Package) fact() packageFact { return packageFact{Names: p.Names} }

func (p *Package) Facts() []NodeFact { return []NodeFact{{p.NodeName, p.fact()}} }

// packageFact asks the node's package database about names, in one
// command: which database it has (dpkg, rpm, or none), then one line per
// installed instance of a name: "<name> <arch> <status>".
type packageFact struct{ Names []string }

func (x packageFact) Key() string { return "packages:" + strings.Join(x.Names, " ") }
func (x packageFact) Command() string {
	return shell.Script(packageFactBody, shell.BindLines("names", x.Names))
}

const packageFactBody = `set -f
# shellcheck disable=SC2086 # names are checked package names: no blanks, no globs
set -- $names
if command -v dpkg-query >/dev/null 2>&1; then
	echo dpkg
	dpkg-query -W -f='${Package} ${Architecture} ${db:Status-Status}\n' -- "$@" 2>/dev/null
	exit 0
fi
if command -v rpm >/dev/null 2>&1; then
	echo rpm
	rpm -q --qf '%{NAME} %{ARCH} installed\n' "$@" 2>/dev/null
	exit 0
fi
echo none
`

// packages is what the package database says of a step's names.
type packages struct {
	manager string            // dpkg | rpm | none
	status  map[string]string // name (and name:arch, name.arch) → status of an instance; "installed" wins
}

func parsePackages(out string) (packages, error) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	p := packages{manager: strings.TrimSpace(lines[0]), status: map[string]string{}}
	switch p.manager {
	case "dpkg", "rpm", "none":
	default:
		return p, fmt.Errorf("unexpected package facts %q", out)
	}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 3 {
			continue
		}
		name, arch, status := f[0], f[1], f[2]
		for _, key := range []string{name, name + ":" + arch, name + "." + arch} {
			if p.status[key] != "installed" {
				p.status[key] = status
			}
		}
	}
	return p, nil
}

// installedStatus: dpkg's statuses of a package that is installed (and
// configured, trigger processing aside).
func installedStatus(s string) bool {
	return s == "installed" || s == "triggers-pending" || s == "triggers-awaited"
}

// packagePayload is what an install carries to apply: the database the
// plan read and the names it found missing. Apply installs those of them
// still missing, so nothing installed since the plan is upgraded.
type packagePayload struct {
	Manager string   `json:"manager"`
	Install []string `json:"install"`
}

func (p *Package) Diff(ctx context.Context, src facts.Source) (*plan.Change, error) {
	c := &plan.Change{ID: p.ID(), Node: p.NodeName, Site: p.Site, Kind: p.Kind(), Target: p.Label}
	sec, err := src.Get(ctx, p.NodeName, p.fact())
	if err != nil {
		return nil, err
	}
	db, err := parsePackages(sec.Output)
	if err != nil {
		return nil, fmt.Errorf("reading packages on %s: %w", p.NodeName, err)
	}
	if db.manager == "none" {
		c.Action, c.Reason = plan.Conflict, fmt.Sprintf("%s has neither dpkg nor rpm: shoal installs packages with apt-get (Debian, Ubuntu) or dnf (RHEL family)", p.NodeName)
		return c, nil
	}
	var missing, details []string
	for _, n := range p.Names {
		s := db.status[n]
		if installedStatus(s) {
			continue
		}
		missing = append(missing, n)
		if s != "" && s != "not-installed" {
			details = append(details, n+": "+describePackageStatus(s))
		}
	}
	if len(missing) == 0 {
		c.Action, c.Reason = plan.NoOp, strings.Join(p.Names, ", ")+" installed"
		return c, nil
	}
	c.Action = plan.Create
	c.Summary = "install " + strings.Join(missing, ", ")
	c.Details = details
	plan.SetPayload(c, packagePayload{Manager: db.manager, Install: missing})
	return c, nil
}

// describePackageStatus says what the status of a package that is in
// dpkg's database but not installed means.
func describePackageStatus(s string) string {
	if s == "config-files" {
		return "removed, its configuration files kept"
	}
	return "left " + s + " by an earlier install"
}

// ApplyScript installs what the plan found missing and still is.
func (p *Package) ApplyScript(c *plan.Change) string {
	pl, err := plan.DecodePayload[packagePayload](c)
	if err != nil || len(pl.Install) == 0 {
		return ""
	}
	for _, n := range pl.Install {
		if !packageName.MatchString(n) {
			return "" // Apply says why
		}
	}
	sorted := append([]string(nil), pl.Install...)
	sort.Strings(sorted)
	return shell.Script(packageInstallBody, shell.Bind("manager", pl.Manager), shell.BindLines("install", sorted))
}

func (p *Package) Apply(ctx context.Context, h transport.Host, c *plan.Change, r Reporter) error {
	script := p.ApplyScript(c)
	if script == "" {
		if _, err := plan.DecodePayload[packagePayload](c); err != nil {
			return err
		}
		return fmt.Errorf("%s: the plan's package names are not valid package names", c.ID)
	}
	return runReporting(ctx, h, script, r, fmt.Sprintf("installing %s on %s", strings.Join(p.Names, ", "), p.NodeName))
}

// runReporting runs a step's script on its own, each line of its output
// (stderr too) to r, as a combined session would; an error ends with the
// script's last lines.
func runReporting(ctx context.Context, h transport.Host, script string, r Reporter, doing string) error {
	var tail []string
	lines := &transport.LineWriter{Line: func(l string) {
		r.Output(l)
		if tail = append(tail, l); len(tail) > 5 {
			tail = tail[1:]
		}
	}}
	err := h.Run(ctx, transport.Command{Script: "exec 2>&1\n" + script, Stdout: lines})
	lines.Flush()
	var exit *transport.ExitError
	switch {
	case errors.As(err, &exit):
		return fmt.Errorf("%s: exit status %d: %s", doing, exit.Status, strings.Join(tail, "; "))
	case err != nil:
		return fmt.Errorf("%s: %w", doing, err)
	}
	return nil
}

// packageInstallBody installs, of the names the plan found missing, those
// still missing, reading nothing from the session (apt and dpkg prompts
// would read the rest of it) and keeping every existing configuration
// file. Its output is the package manager's.
const packageInstallBody = `set -e
export LC_ALL=C
set -f
# shellcheck disable=SC2086 # checked package names: no blanks, no globs
set -- $install
installed() {
	case $manager in
	dpkg) dpkg-query -W -f='${db:Status-Status}\n' -- "$1" 2>/dev/null | grep -qxE 'installed|triggers-(pending|awaited)' ;;
	rpm) rpm -q "$1" >/dev/null 2>&1 ;;
	esac
}
todo=
for p in "$@"; do
	installed "$p" || todo="$todo $p"
done
if [ -z "$todo" ]; then
	echo "installed since the plan was made: nothing left to install"
	exit 0
fi
# shellcheck disable=SC2086
set -- $todo
case $manager in
dpkg)
	command -v apt-get >/dev/null 2>&1 || { echo "apt-get is not on this node, yet the plan found dpkg; run shoal plan again" >&2; exit 3; }
	export DEBIAN_FRONTEND=noninteractive
	tmp=$(mktemp -d)
	trap 'rm -rf -- "$tmp"' EXIT
	apt_install() {
		{
			st=0
			apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 \
				-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -- "$@" </dev/null 2>&1 || st=$?
			echo "$st" >"$tmp/status"
		} | tee "$tmp/log"
		return "$(cat "$tmp/status")"
	}
	if apt_install "$@"; then exit 0; fi
	grep -qE 'Unable to locate package|has no installation candidate|Failed to fetch' "$tmp/log" || exit 1
	echo "the package lists don't know or can't fetch what to install: apt-get update, then once more"
	apt-get update -q -o DPkg::Lock::Timeout=300 </dev/null 2>&1
	apt_install "$@"
	;;
rpm)
	if command -v dnf >/dev/null 2>&1; then
		dnf install -y -q -- "$@" </dev/null 2>&1
	elif command -v yum >/dev/null 2>&1; then
		yum install -y -q -- "$@" </dev/null 2>&1
	else
		echo "neither dnf nor yum is on this node, yet the plan found rpm; run shoal plan again" >&2
		exit 3
	fi
	;;
*)
	echo "the plan names no package manager this node has ($manager); run shoal plan again" >&2
	exit 3
	;;
esac
`
