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
