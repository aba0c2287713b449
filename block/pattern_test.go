package block

import "testing"

func TestPatternProblem(t *testing.T) {
	for _, tc := range []struct {
		p   string
		bad bool
	}{
		{"sites/*/files", false},
		{"sites/[a-z]*/private", false},
		{"sites/?/files", false},
		{"sites/**/files", true},
		{"**", true},
		{"sites/*/../files", true},
		{"sites/[a-z/files", true},
		{`sites/*\`, true},
		{`sites/a\`, false}, // no wildcard: a backslash is part of the name
		{"media", false},
	} {
		if got := PatternProblem(tc.p) != ""; got != tc.bad {
			t.Errorf("PatternProblem(%q) = %q, want bad=%v", tc.p, PatternProblem(tc.p), tc.bad)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, p     string
		match, withinM bool
	}{
		{"sites/*/files", "sites/default/files", true, true},
		{"sites/*/files", "sites/default/files/css", false, true},
		{"sites/*/files", "sites/all/modules/x/files", false, false}, // * never crosses a /
		{"sites/*/files", "sites/files", false, false},
		{"sites/*/files", "sites/.hidden/files", true, true},
		{"sites/[ab]*/files", "sites/cdn/files", false, false},
		{"media", "media/x", false, true},
		{"media", "media", true, true},
	} {
		if got := Match(tc.pattern, tc.p); got != tc.match {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.p, got, tc.match)
		}
		if got := WithinMatch(tc.p, tc.pattern); got != tc.withinM {
			t.Errorf("WithinMatch(%q, %q) = %v, want %v", tc.p, tc.pattern, got, tc.withinM)
		}
	}
}

func TestCovers(t *testing.T) {
	for _, tc := range []struct {
		outer, p string
		want     bool
	}{
		{"sites/*/files", "sites/*/files", true},
		{"sites/*/files", "sites/*/files/styles", true},
		{"sites/*/files", "sites/default/files", true},
		{"sites/*/files", "sites/d*/files", true},
		{"sites/d*/files", "sites/*/files", false}, // sites/x/files is not covered
		{"sites/*/files", "sites/*/private", false},
		{"sites/*/files", "sites", false},
	} {
		if got := Covers(tc.outer, tc.p); got != tc.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", tc.outer, tc.p, got, tc.want)
		}
	}
}

func TestMayNest(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"sites/*/files", "sites/default/files/css", true},
		{"sites/*/files", "sites/default/files", true},
		{"sites/*/files", "sites/*/private", false},
		{"sites/*/files", "sites", true},
		{"sites/*.com/files", "sites/*.org/files", false},
		{"sites/a*/files", "sites/*b/files", true}, // "ab"
		{"sites/a?c/files", "sites/a[xy]c/files", true},
		{"sites/[xy]/files", "sites/z/files", false},
		{"sites/*/files", "profiles/*/files", false},
		{"a*b*c", "*x*", true}, // "axbc"
		{"abc", "a*d", false},
		{"media", "media-old", false},
	} {
		if got := MayNest(tc.a, tc.b); got != tc.want {
			t.Errorf("MayNest(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := MayNest(tc.b, tc.a); got != tc.want {
			t.Errorf("MayNest(%q, %q) = %v, want %v (reversed)", tc.b, tc.a, got, tc.want)
		}
	}
}
