package shell

import (
	"os/exec"
	"strings"
	"testing"
)

func TestScriptBindsValuesAsData(t *testing.T) {
	hostile := []string{"it's", "$(touch /tmp/shoal-pwned)", "`id`", "-rf", "a b\tc", "\\", "日本", ""}
	for _, v := range hostile {
		script := Script(`printf '%s' "$v"`, Bind("v", v))
		out, err := exec.Command("sh", "-c", script).Output()
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if string(out) != v {
			t.Errorf("bound %q, the script saw %q", v, out)
		}
	}
	lines := Script(`printf '%s\n' "$l" | while IFS= read -r x; do printf '[%s]' "$x"; done`, BindLines("l", []string{"a b", "$c", "'d'"}))
	out, err := exec.Command("sh", "-c", lines).Output()
	if err != nil || string(out) != "[a b][$c]['d']" {
		t.Errorf("lines: %q %v", out, err)
	}
}

func TestScriptRefusesABadName(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "not a variable name") {
			t.Errorf("recovered %v", r)
		}
	}()
	Script("true", Bind("a-b", "x"))
}
