package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shoal-sh/shoal/plan"
)

// stageShowcase gives web1 the site the showcase recipe expects (an app
// tree with assets) and makes sure nginx is stopped on both nodes, so the
// service block has a start to do; cleanup puts the hosts back.
func stageShowcase(t *testing.T) {
	t.Helper()
	onHost(t, "web1", `set -e
rm -rf /var/www/showcase
mkdir -p /var/www/showcase/config /var/www/showcase/assets/css /var/www/showcase/cache
echo '<?php echo "showcase";' > /var/www/showcase/index.php
echo 'body { color: teal }' > /var/www/showcase/assets/css/site.css
echo 'primary cache' > /var/www/showcase/cache/page.html
`)
	for _, h := range []string{"web1", "web2"} {
		onHost(t, h, `if service nginx status >/dev/null 2>&1; then service nginx stop >/dev/null; fi
rm -rf /var/lib/showcase`)
		t.Cleanup(func() {
			onHost(t, h, `if service nginx status >/dev/null 2>&1; then service nginx stop >/dev/null; fi
rm -rf /etc/nginx/conf.d/shoal-showcase.conf /var/www/showcase /var/lib/showcase /etc/cron.d/shoal-showcase-pull /var/lib/shoal/changed/showcase /var/lib/shoal/loaded/showcase
[ ! -f /etc/default/rsync.shoal.bak ] || mv -f /etc/default/rsync.shoal.bak /etc/default/rsync`)
		})
	}
}

// changedKinds lists, from a --json plan, the kinds of the changes that
// do something, per node.
func changedKinds(t *testing.T, out string) map[string][]string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		var ev struct {
			Type string     `json:"type"`
			Plan *plan.Plan `json:"plan"`
		}
		if line == "" || json.Unmarshal([]byte(line), &ev) != nil || ev.Type != "plan" {
			continue
		}
		got := map[string][]string{}
		for _, c := range ev.Plan.Changes {
			if c.Action != plan.NoOp {
				got[c.Node] = append(got[c.Node], c.Kind)
			}
		}
		return got
	}
	t.Fatalf("no plan event in:\n%s", out)
	return nil
}

// TestShowcaseRecipeConverges applies a recipe written only in HCL that
// uses every general step kind (fixtures/showcase): the first apply
// converges, the second plan is empty and a third apply changes nothing.
// A new greeting then changes exactly the nginx server block and reloads
// nginx, and the app's setup runs again only when its own config changes.
// The API key reaches the setup command on stdin and shows nowhere.
func TestShowcaseRecipeConverges(t *testing.T) {
	stageShowcase(t)
	const key = "sk-showcase-7f3a9c" // fixtures/showcase/cluster.hcl's default
	run := func(args ...string) result {
		t.Helper()
		return shoal(t, append([]string{"-C", "fixtures/showcase"}, args...)...)
	}
	must := func(r result, code int, what string) result {
		t.Helper()
		if r.code != code {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, r.code, code, r.stdout, r.stderr)
		}
		for _, out := range []string{r.stdout, r.stderr} {
			if strings.Contains(out, key) {
				t.Errorf("%s: the API key shows in the output:\n%s", what, out)
			}
		}
		return r
	}

	first := must(run("plan", "--json"), 0, "first plan")
	kinds := changedKinds(t, first.stdout)
	for _, want := range []string{"file", "service", "line", "exec", "ssh_trust", "cron", "replicate"} {
		if !strings.Contains(strings.Join(kinds["web2"], " "), want) {
			t.Errorf("the first plan has no %s change on web2: %v", want, kinds["web2"])
		}
	}
	must(run("apply", "--yes"), 0, "first apply")

	keyDigest := strings.Fields(onHost(t, "web1", "printf %s "+key+" | sha256sum"))[0]
	for _, h := range []string{"web1", "web2"} {
		got := onHost(t, h, `curl -sS --max-time 5 http://127.0.0.1:8099/
stat -c '%a' /var/www/showcase/config/app.ini
grep -c '^greeting = hello$' /var/www/showcase/config/app.ini
grep -c "^RSYNC_NICE='10'$" /etc/default/rsync
cat /var/lib/showcase/key.sha256
wc -l < /var/lib/showcase/setups`)
		want := "hello from " + h + "\n640\n1\n1\n" + keyDigest + "  -\n1\n"
		if got != want {
			t.Errorf("%s after the first apply:\n%s\nwant:\n%s", h, got, want)
		}
	}
	if got := onHost(t, "web1", "cat /var/www/showcase/config/app.ini"); !strings.Contains(got, "for web1 of site showcase") || !strings.Contains(got, "replicas = web2") {
		t.Errorf("web1's app.ini is not its own:\n%s", got)
	}
	// the first pull came through the trust; a cron run brings what changed since
	if got := onHost(t, "web2", "cat /var/www/showcase/assets/css/site.css"); got != "body { color: teal }\n" {
		t.Errorf("web2 did not pull the assets: %q", got)
	}
	onHost(t, "web1", "echo 'body { color: navy }' > /var/www/showcase/assets/css/site.css")
	cronLine := strings.TrimSpace(onHost(t, "web2", "tail -n 1 /etc/cron.d/shoal-showcase-pull"))
	fields := strings.SplitN(cronLine, " ", 7)
	if len(fields) != 7 || fields[5] != "root" {
		t.Fatalf("cron line %q: want five schedule fields, root, the command", cronLine)
	}
	onHost(t, "web2", fields[6])
	if got := onHost(t, "web2", "cat /var/www/showcase/assets/css/site.css"); got != "body { color: navy }\n" {
		t.Errorf("the cron's command did not bring the change: %q", got)
	}
	onHost(t, "web1", "echo 'body { color: teal }' > /var/www/showcase/assets/css/site.css")
	onHost(t, "web2", fields[6])

	must(run("plan", "--detailed-exitcode"), 0, "second plan")
	before := map[string]string{}
	for _, h := range []string{"web1", "web2"} {
		before[h] = onHost(t, h, "cat /run/nginx.pid; wc -l < /var/lib/showcase/setups; stat -c %Y /var/www/showcase/config/app.ini /etc/nginx/conf.d/shoal-showcase.conf /etc/default/rsync")
	}
	third := must(run("apply", "--yes"), 0, "third apply")
	if !strings.Contains(third.stdout, "No changes") {
		t.Errorf("third apply did something:\n%s", third.stdout)
	}
	for _, h := range []string{"web1", "web2"} {
		if after := onHost(t, h, "cat /run/nginx.pid; wc -l < /var/lib/showcase/setups; stat -c %Y /var/www/showcase/config/app.ini /etc/nginx/conf.d/shoal-showcase.conf /etc/default/rsync"); after != before[h] {
			t.Errorf("%s: the third apply changed something:\n%s\nwas:\n%s", h, after, before[h])
		}
	}

	// A new greeting: the server block and the app's config change; nginx
	// reloads (same master); the setup runs once more.
	changed := must(run("plan", "--json", "--var", "greeting=bonjour"), 0, "plan of a new greeting")
	for _, h := range []string{"web1", "web2"} {
		got := strings.Join(changedKinds(t, changed.stdout)[h], " ")
		if got != "file file exec service" && got != "file file service exec" {
			t.Errorf("%s: changes %q, want the two files, the setup and one reload", h, got)
		}
	}
	must(run("apply", "--yes", "--var", "greeting=bonjour"), 0, "apply of a new greeting")
	for _, h := range []string{"web1", "web2"} {
		got := onHost(t, h, "curl -sS --max-time 5 http://127.0.0.1:8099/; cat /run/nginx.pid; wc -l < /var/lib/showcase/setups")
		pid := strings.SplitN(before[h], "\n", 2)[0]
		if want := "bonjour from " + h + "\n" + pid + "\n2\n"; got != want {
			t.Errorf("%s after the new greeting:\n%s\nwant:\n%s", h, got, want)
		}
	}
	must(run("plan", "--detailed-exitcode", "--var", "greeting=bonjour"), 0, "plan after the new greeting")
}
