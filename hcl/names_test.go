package hcl

import "testing"

func TestDidYouMean(t *testing.T) {
	tests := []struct {
		given      string
		candidates []string
		want       string
	}{
		{"web", []string{"web1", "files"}, ` Did you mean "web1"?`},
		{"dolphn", []string{"dolphin"}, ` Did you mean "dolphin"?`},
		{"wbe2", []string{"web1", "web2"}, ` Did you mean "web2"?`},
		{"database", []string{"web1", "web2"}, ""},
		{"x", nil, ""},
	}
	for _, tt := range tests {
		if got := didYouMean(tt.given, tt.candidates); got != tt.want {
			t.Errorf("didYouMean(%q, %v) = %q, want %q", tt.given, tt.candidates, got, tt.want)
		}
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"web1": true, "files.lan": true, "my_site-2": true,
		"": false, "-web": false, ".hidden": false, "a b": false, "a/b": false, "wéb": false,
	} {
		if got := validName(name); got != want {
			t.Errorf("validName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestCheckRelPath(t *testing.T) {
	tests := []struct {
		in, clean string
		bad       bool
	}{
		{"media", "media", false},
		{"media/", "media", false},
		{"a/./b", "a/b", false},
		{"a/../b", "b", false},
		{"../etc", "", true},
		{"a/../../b", "", true},
		{"/etc", "", true},
		{"", "", true},
		{".", "", true},
		{"a\nb", "", true},
		{"a\x00b", "", true},
	}
	for _, tt := range tests {
		clean, problem := checkRelPath(tt.in, siteRoot)
		if clean != tt.clean || (problem != "") != tt.bad {
			t.Errorf("checkRelPath(%q) = %q, %q; want %q, bad=%v", tt.in, clean, problem, tt.clean, tt.bad)
		}
	}
}
