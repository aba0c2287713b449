package block

import "testing"

func TestRelPath(t *testing.T) {
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
		clean, problem := RelPath(tt.in, RootBase)
		if clean != tt.clean || (problem != "") != tt.bad {
			t.Errorf("RelPath(%q) = %q, %q; want %q, bad=%v", tt.in, clean, problem, tt.clean, tt.bad)
		}
	}
}
