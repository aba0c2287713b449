package shell

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMarkerReadLine(t *testing.T) {
	const m = Marker("@@mark")
	for _, c := range []struct {
		line    string
		want    Mark
		wantErr bool
	}{
		{"plain output", Mark{Kind: Output}, false},
		{"", Mark{Kind: Output}, false},
		{"@@mark begin path:/var/www/a b", Mark{Kind: Begin, Key: "path:/var/www/a b"}, false},
		{"@@mark end 0", Mark{Kind: End}, false},
		{"@@mark end 3", Mark{Kind: End, Status: 3}, false},
		{"@@marker is a longer word", Mark{Kind: Output}, false},
		{" @@mark end 0", Mark{Kind: Output}, false},
		// only the marker, or cut short: an error, never a crash
		{"@@mark", Mark{Kind: Output}, true},
		{"@@mark ", Mark{Kind: Output}, true},
		{"@@mark begin", Mark{Kind: Output}, true},
		{"@@mark begin ", Mark{Kind: Output}, true},
		{"@@mark end", Mark{Kind: Output}, true},
		{"@@mark end x", Mark{Kind: Output}, true},
		{"@@mark 0 end 0", Mark{Kind: Output}, true},
	} {
		got, err := m.ReadLine(c.line)
		if (err != nil) != c.wantErr {
			t.Errorf("%q: error %v, want an error: %v", c.line, err, c.wantErr)
		}
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("%q (-want +got):\n%s", c.line, d)
		}
	}
}

// What BeginLine and EndLine print, sh included, ReadLine reads back.
func TestMarkerLinesRoundTripThroughSh(t *testing.T) {
	const m = Marker("@@mark")
	script := m.BeginLine(Quote("it's a key")) + "\nprintf 'no newline'; false\n" + m.EndLine()
	out, err := exec.Command("sh", "-c", script).Output()
	if err != nil {
		t.Fatal(err)
	}
	var marks []Mark
	for _, line := range strings.Split(string(out), "\n") {
		mk, err := m.ReadLine(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if mk.Kind != Output {
			marks = append(marks, mk)
		}
	}
	want := []Mark{{Kind: Begin, Key: "it's a key"}, {Kind: End, Status: 1}}
	if d := cmp.Diff(want, marks); d != "" {
		t.Errorf("markers read back (-want +got):\n%s", d)
	}
}
