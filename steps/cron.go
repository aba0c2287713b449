package steps

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
)

// cron: `cron "dump" { schedule = "*/30 * * * *", command = "..." }` runs
// a command on a schedule from /etc/cron.d/shoal-<site>-<name>, a file
// shoal owns whole (root, 0644): never a user's crontab. The file is
// readable by every user, so a command may not hold a sensitive value:
// put secrets in a 0600 file (a file block) the command reads.
var _ = register(&Kind{
	Type:      "cron",
	LabelKind: block.LabelName,
	Arguments: []Argument{
		{Name: "schedule", Type: cty.String, Required: true},
		{Name: "command", Type: cty.String, Required: true},
		{Name: "user", Type: cty.String},
		{Name: "env", Type: cty.Map(cty.String)},
	},
	IsStep:    true,
	DefaultOn: "all",
	Validate:  validateCron,
	Compile: func(u *Unit) ([]Entry, hashicl.Diagnostics) {
		return u.Each(func(node string, d *block.Decl) (Step, hashicl.Diagnostics) {
			return &File{
				NodeName: node, Site: u.Site.Name, KindName: "cron",
				Path:    CronPath(u.Site.Name, d.Label),
				Content: cronFile(u.Site.Name, d),
				Mode:    "0644", Owner: "root", Group: "root",
				Stamp: changedStamp(stateDir, u.Site.Name, d.Address()),
			}, nil
		})
	},
})

// CronPath is where a site's cron block is installed.
func CronPath(site, name string) string {
	// cron skips files whose names hold a dot: a site may be example.com
	return "/etc/cron.d/shoal-" + strings.ReplaceAll(site, ".", "_") + "-" + name
}

var (
	cronField   = regexp.MustCompile(`^[0-9A-Za-z*/,-]+$`)
	cronKeyword = regexp.MustCompile(`^@(reboot|yearly|annually|monthly|weekly|daily|midnight|hourly)$`)
	envName     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func validateCron(d *block.Decl) hashicl.Diagnostics {
	var diags hashicl.Diagnostics
	if d.Known("schedule") && !validSchedule(d.String("schedule")) {
		diags = append(diags, scheduleError(d))
	}
	if d.Known("command") {
		switch c := d.String("command"); {
		case strings.TrimSpace(c) == "" || block.HasControl(c):
			diags = append(diags, d.Error("command", "Invalid command", "%s: %s: the command is one line of shell.", d.Owner, d.Describe()))
		case strings.Contains(c, "%"):
			diags = append(diags, d.Error("command", "Invalid command",
				"%s: %s: cron turns %% into a newline; write \\%% for a literal percent sign, or put the command in a script.", d.Owner, d.Describe()))
		}
	}
	for _, a := range []string{"command", "env"} {
		if d.Sensitive(a) {
			diags = append(diags, d.Error(a, "Sensitive value in a cron job",
				"%s: %s: %s holds a sensitive value, and cron files are readable by every user (and commands show in ps). Write the secret to a file only its user reads (a file block with mode = \"0600\") and have the command read it.", d.Owner, d.Describe(), a))
		}
	}
	if d.Known("user") && !accountName.MatchString(d.String("user")) {
		diags = append(diags, d.Error("user", "Invalid user", "%s: %s: %q is not a user name.", d.Owner, d.Describe(), d.String("user")))
	}
	for name, v := range d.StringMap("env") {
		if !envName.MatchString(name) || block.HasControl(v) {
			diags = append(diags, d.Error("env", "Invalid env", "%s: %s: env %q must be a variable name with a one-line value.", d.Owner, d.Describe(), name))
		}
	}
	return diags
}

// validSchedule reports whether s is five cron fields or a keyword.
func validSchedule(s string) bool {
	fields := strings.Fields(s)
	if len(fields) == 1 {
		return cronKeyword.MatchString(fields[0])
	}
	if len(fields) != 5 {
		return false
	}
	for _, f := range fields {
		if !cronField.MatchString(f) {
			return false
		}
	}
	return true
}

// scheduleError is the diagnostic of a block's invalid schedule.
func scheduleError(d *block.Decl) *hashicl.Diagnostic {
	return d.Error("schedule", "Invalid schedule",
		"%s: %s: schedule %q is five cron fields (\"*/5 * * * *\") or a keyword such as \"@hourly\".", d.Owner, d.Describe(), d.String("schedule"))
}

// cronFile is the content of a cron block's file.
func cronFile(site string, d *block.Decl) string {
	user := d.String("user")
	if user == "" {
		user = "root"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Managed by shoal (site %s, %s); changes here are overwritten.\n", site, d.Address())
	env := d.StringMap("env")
	if _, ok := env["PATH"]; !ok {
		b.WriteString("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n")
	}
	names := make([]string, 0, len(env))
	for n := range env {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "%s=%s\n", n, env[n])
	}
	fmt.Fprintf(&b, "%s %s %s\n", d.String("schedule"), user, d.String("command"))
	return b.String()
}
