package e2e

import (
	"strings"
	"testing"
)

// Adding a web node to a running cluster touches only that node: the plan
// names it alone, and after the apply it holds the tree and the links.
func TestScaleOutTouchesOnlyTheNewNode(t *testing.T) {
	const root = "/var/www/grow"
	mountStorage(t)
	stageSite(t, root)
	site := func(nodes string) string {
		return `site "grow" {
  recipe  = "uploads"
  root    = "` + root + `"
  primary = "web1"
  nodes   = [` + nodes + `]
  storage = "nas"
}
`
	}
	two := siteConfig(t, site(`"web1", "web2"`))
	if r := shoal(t, "-C", two, "apply", "--yes"); r.code != 0 {
		t.Fatalf("two nodes: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	three := siteConfig(t, site(`"web1", "web2", "web3"`))
	r := shoal(t, "-C", three, "plan", "--json")
	if r.code != 0 {
		t.Fatalf("plan with web3: exit %d\n%s", r.code, r.stderr)
	}
	onWeb3 := 0
	for _, line := range strings.Split(r.stdout, "\n") {
		if !strings.Contains(line, `"type":"plan"`) {
			continue
		}
		for _, c := range strings.Split(line, `{"id":`)[1:] {
			switch {
			case strings.Contains(c, `"action":"="`):
			case strings.HasPrefix(c, `"web3/`):
				onWeb3++
			default:
				t.Errorf("adding web3 plans a change elsewhere: %.120s", c)
			}
		}
	}
	if onWeb3 == 0 {
		t.Error("the plan has no change for web3")
	}
	if r := shoal(t, "-C", three, "apply", "--yes"); r.code != 0 {
		t.Fatalf("three nodes: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := strings.TrimSpace(onHost(t, "web3", "readlink "+root+"/media; cat "+root+"/index.php")); got != "/mnt/nas/grow/media\n"+`<?php echo "hello";` {
		t.Errorf("web3 after the apply: %q", got)
	}
	if r := shoal(t, "-C", three, "plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("plan after scaling out: exit %d\n%s", r.code, r.stdout)
	}
}
