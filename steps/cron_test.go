package steps

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
)

func TestCronFileContent(t *testing.T) {
	d := testDecl("cron", "dump", map[string]cty.Value{
		"schedule": cty.StringVal("*/30 * * * *"),
		"command":  cty.StringVal("flock -n /run/lock/shoal-dump /usr/local/bin/dump"),
		"user":     cty.StringVal("backup"),
		"env":      cty.MapVal(map[string]cty.Value{"MAILTO": cty.StringVal(""), "HOME": cty.StringVal("/var/backups")}),
	})
	want := `# Managed by shoal (site community, cron.dump); changes here are overwritten.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
HOME=/var/backups
MAILTO=
*/30 * * * * backup flock -n /run/lock/shoal-dump /usr/local/bin/dump
`
	if diff := cmp.Diff(want, cronFile("community", d)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := CronPath("example.com", "dump"); got != "/etc/cron.d/shoal-example_com-dump" {
		t.Errorf("cron.d skips names with dots: %s", got)
	}
}

func TestCronRefusesBadInput(t *testing.T) {
	for _, tt := range []struct {
		name   string
		values map[string]cty.Value
		want   string
	}{
		{"schedule", map[string]cty.Value{"schedule": cty.StringVal("every day"), "command": cty.StringVal("true")}, "Invalid schedule"},
		{"multi-line command", map[string]cty.Value{"schedule": cty.StringVal("@daily"), "command": cty.StringVal("a\nb")}, "Invalid command"},
		{"percent", map[string]cty.Value{"schedule": cty.StringVal("@daily"), "command": cty.StringVal("date +%F")}, "turns % into a newline"},
		{"secret", map[string]cty.Value{"schedule": cty.StringVal("@daily"),
			"command": cty.StringVal("mysqldump -phunter22").Mark(block.SensitiveMark)}, "Sensitive value in a cron job"},
		{"user", map[string]cty.Value{"schedule": cty.StringVal("@daily"), "command": cty.StringVal("true"), "user": cty.StringVal("root; rm")}, "Invalid user"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := diagText(KindOf("cron").Check(testDecl("cron", "x", tt.values)))
			if !strings.Contains(got, tt.want) {
				t.Errorf("diagnostics %q, want %q", got, tt.want)
			}
		})
	}
	ok := testDecl("cron", "x", map[string]cty.Value{"schedule": cty.StringVal("5 4 * * 1-5"), "command": cty.StringVal("true")})
	if diags := KindOf("cron").Check(ok); len(diags) > 0 {
		t.Errorf("a good cron block: %s", diagText(diags))
	}
}
