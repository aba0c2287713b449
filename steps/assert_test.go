package steps

import (
	"strings"
	"testing"

	hashicl "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

func TestAssertSaysWhatAFalseConditionMeans(t *testing.T) {
	k := KindOf("assert")
	held := testDecl("assert", "private", map[string]cty.Value{"condition": cty.True, "message": cty.StringVal("listen privately")})
	if diags := k.Check(held); len(diags) > 0 {
		t.Errorf("a condition that holds: %s", diagText(diags))
	}
	failed := testDecl("assert", "private", map[string]cty.Value{"condition": cty.False, "message": cty.StringVal("memcached listens on 127.0.0.1")})
	diags := k.Check(failed)
	if !diags.HasErrors() || !strings.Contains(diagText(diags), "memcached listens on 127.0.0.1") {
		t.Errorf("a failed condition: %s", diagText(diags))
	}
	warn := testDecl("assert", "open", map[string]cty.Value{"condition": cty.False, "message": cty.StringVal("0.0.0.0"), "severity": cty.StringVal("warning")})
	if diags := k.Check(warn); diags.HasErrors() || len(diags) != 1 || diags[0].Severity != hashicl.DiagWarning {
		t.Errorf("a warning: %s", diagText(diags))
	}
	unknown := testDecl("assert", "later", map[string]cty.Value{"condition": cty.UnknownVal(cty.Bool), "message": cty.StringVal("x")})
	if diags := k.Check(unknown); len(diags) > 0 {
		t.Errorf("a condition not known yet is judged later: %s", diagText(diags))
	}
}
