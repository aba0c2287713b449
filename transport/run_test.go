package transport_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shoal-sh/shoal/internal/sshtest"
	"github.com/shoal-sh/shoal/transport"
)

func dial(t *testing.T, f *fixture, target transport.Target, o transport.Options) *transport.Conn {
	t.Helper()
	c, err := transport.Dial(context.Background(), target, o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRun(t *testing.T) {
	f := newFixture(t)
	s := f.trusted(t)
	c := dial(t, f, f.target("web1", s), f.options())

	tests := []struct {
		name        string
		cmd         transport.Command
		wantStdout  string
		wantErr     error
		wantCommand string
	}{
		{
			name:        "script goes to sh -s on stdin",
			cmd:         transport.Command{Script: "echo out; echo 'it''s'"},
			wantStdout:  "out\nits\n",
			wantCommand: "sh -s",
		},
		{
			name:        "exit status and stderr tail",
			cmd:         transport.Command{Script: "echo partial; echo boom >&2; exit 3"},
			wantStdout:  "partial\n",
			wantErr:     &transport.ExitError{Node: "web1", Status: 3, Stderr: "boom"},
			wantCommand: "sh -s",
		},
		{
			name:        "stdin streamed, script quoted into sh -c",
			cmd:         transport.Command{Script: "tr a-z A-Z; echo \"$0\"", Stdin: strings.NewReader("secret\n")},
			wantStdout:  "SECRET\nsh\n",
			wantCommand: `sh -c 'tr a-z A-Z; echo "$0"'`,
		},
		{
			name:        "commands in the script read /dev/null, not the rest of the script",
			cmd:         transport.Command{Script: "#!/bin/sh\ncat\necho after"},
			wantStdout:  "after\n",
			wantCommand: "sh -s",
		},
		{
			name:        "a script with a syntax error runs none of it",
			cmd:         transport.Command{Script: "echo first\nif then"},
			wantErr:     &transport.ExitError{Node: "web1", Status: 2, Stderr: `sh: 2: Syntax error: "then" unexpected`},
			wantCommand: "sh -s",
		},
		{
			name:        "exit inside the script keeps its status",
			cmd:         transport.Command{Script: "trap 'echo bye' EXIT; exit 4"},
			wantStdout:  "bye\n",
			wantErr:     &transport.ExitError{Node: "web1", Status: 4},
			wantCommand: "sh -s",
		},
		{
			name:        "a script larger than ARG_MAX still arrives whole",
			cmd:         transport.Command{Script: "# " + strings.Repeat("x", 3<<20) + "\necho big"},
			wantStdout:  "big\n",
			wantCommand: "sh -s",
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout bytes.Buffer
			tt.cmd.Stdout = &stdout
			err := c.Run(context.Background(), tt.cmd)
			if diff := cmp.Diff(tt.wantErr, err, cmp.Comparer(sameError)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantStdout, stdout.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if got := s.Commands()[i]; got != tt.wantCommand {
				t.Errorf("server ran %q, want %q", got, tt.wantCommand)
			}
		})
	}
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}

func TestRunStderrGoesToWriterWhenGiven(t *testing.T) {
	f := newFixture(t)
	s := f.trusted(t)
	c := dial(t, f, f.target("web1", s), f.options())
	var stderr bytes.Buffer
	err := c.Run(context.Background(), transport.Command{Script: "echo warn >&2; exit 1", Stderr: &stderr})
	var exit *transport.ExitError
	if !errors.As(err, &exit) || exit.Status != 1 || exit.Stderr != "" {
		t.Fatalf("Run error = %#v, want ExitError status 1 with no tail", err)
	}
	if stderr.String() != "warn\n" {
		t.Errorf("stderr = %q, want %q", stderr.String(), "warn\n")
	}
}

func TestSudoWrapsTheShell(t *testing.T) {
	f := newFixture(t)
	fakeSudo(t, `[ "$1" = -n ] && shift; SUDO_USER=admin exec "$@"`)
	s := f.trusted(t)
	target := f.target("files", s)
	target.Sudo = true
	c := dial(t, f, target, f.options())

	var out bytes.Buffer
	if err := c.Run(context.Background(), transport.Command{Script: `echo "$SUDO_USER"`, Stdout: &out}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := c.Run(context.Background(), transport.Command{Script: "cat", Stdin: strings.NewReader("x\n"), Stdout: &out}); err != nil {
		t.Fatalf("Run with stdin: %v", err)
	}
	if out.String() != "admin\nx\n" {
		t.Errorf("stdout = %q, want the scripts run through sudo", out.String())
	}
	want := []string{"sudo -n sh -s", "sudo -n sh -c cat"}
	if diff := cmp.Diff(want, s.Commands()); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}

func TestSudoNeedingAPasswordSaysWhatToDo(t *testing.T) {
	f := newFixture(t)
	fakeSudo(t, `echo "sudo: a password is required" >&2; exit 1`)
	s := f.trusted(t)
	target := f.target("files", s)
	target.Sudo, target.User = true, "admin"
	c := dial(t, f, target, f.options())
	err := c.Run(context.Background(), transport.Command{Script: "true"})
	want := "files: exit status 1: sudo: a password is required (shoal runs `sudo -n`: give admin passwordless sudo, or connect as root)"
	if err == nil || err.Error() != want {
		t.Errorf("Run error = %v\nwant %s", err, want)
	}
}

// fakeSudo puts a `sudo` running body first on the PATH the in-process
// server's shells inherit.
func fakeSudo(t *testing.T, body string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sudo"), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
}

func TestManyConcurrentRunsShareOneConnection(t *testing.T) {
	f := newFixture(t)
	s := f.trusted(t)
	c := dial(t, f, f.target("web1", s), f.options())

	const runs = 50
	var wg sync.WaitGroup
	outputs := make([]string, runs)
	errs := make([]error, runs)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out bytes.Buffer
			errs[i] = c.Run(context.Background(), transport.Command{Script: fmt.Sprintf("sleep 0.05; echo %d", i), Stdout: &out})
			outputs[i] = out.String()
		}()
	}
	wg.Wait()
	for i := range runs {
		if errs[i] != nil || outputs[i] != fmt.Sprintf("%d\n", i) {
			t.Errorf("run %d: output %q, error %v", i, outputs[i], errs[i])
		}
	}
	got := map[string]int{
		"server connections": s.Connections(),
		"server sessions":    s.Sessions(),
		"conn dials":         c.Dials(),
		"conn sessions":      c.Sessions(),
	}
	want := map[string]int{"server connections": 1, "server sessions": runs, "conn dials": 1, "conn sessions": runs}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if peak := s.PeakOpenSessions(); peak > 8 || peak < 2 {
		t.Errorf("%d sessions were open at once, want 2 to 8 (runs in parallel, under sshd's MaxSessions of 10)", peak)
	}
}

func TestCancelKillsTheSessionPromptly(t *testing.T) {
	f := newFixture(t)
	s := f.trusted(t)
	before := runtime.NumGoroutine()
	c, err := transport.Dial(context.Background(), f.target("web1", s), f.options())
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = c.Run(ctx, transport.Command{Script: "sleep 30"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run error = %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Run returned after %s, want promptly after the 200ms deadline", took)
	}
	waitFor(t, "the server to see the session closed", func() bool { return s.OpenSessions() == 0 })

	if err := c.Run(context.Background(), transport.Command{Script: "true"}); err != nil {
		t.Errorf("the connection should still serve runs after a cancelled one: %v", err)
	}
	c.Close()
	waitFor(t, "goroutines to end after Close", func() bool { return runtime.NumGoroutine() <= before })
}

func TestCancelKillsTheScriptEvenWhenSSHDLeavesIt(t *testing.T) {
	f := newFixture(t)
	s := f.server(t, sshtest.Config{LikeSSHD: true})
	f.trust(t, s, s.HostKeys()[0])
	c := dial(t, f, f.target("web1", s), f.options())

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := c.Run(ctx, transport.Command{Script: "sleep 30 & sleep 31"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run error = %v, want context.DeadlineExceeded", err)
	}
	// The server's session ends only when every process holding its
	// output is gone.
	waitFor(t, "the script's processes to be killed", func() bool { return s.OpenSessions() == 0 })
}

func TestLostConnectionFailsFastNamingTheNode(t *testing.T) {
	f := newFixture(t)
	s := f.trusted(t)
	c := dial(t, f, f.target("web3", s), f.options())
	s.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var err error
	waitFor(t, "the dropped connection to be noticed", func() bool {
		err = c.Run(ctx, transport.Command{Script: "true"})
		return err != nil
	})
	if ctx.Err() != nil || !strings.Contains(err.Error(), "web3 (root@"+s.Addr()+"): connection lost") {
		t.Errorf("Run error = %v, want it to name web3 and say the connection was lost", err)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestKeepAliveNoticesASilentPeer(t *testing.T) {
	f := newFixture(t)
	s := f.trusted(t)
	o := f.options()
	o.KeepAlive = 100 * time.Millisecond
	c := dial(t, f, f.target("web4", s), o)
	time.Sleep(250 * time.Millisecond) // a few probes answered: an idle connection is not dropped
	if err := c.Run(context.Background(), transport.Command{Script: "true"}); err != nil {
		t.Fatalf("Run on a live idle connection: %v", err)
	}

	s.Freeze()
	start := time.Now()
	err := c.Run(context.Background(), transport.Command{Script: "sleep 5"})
	want := "web4 (root@" + s.Addr() + "): connection lost: no keepalive reply within 300ms"
	if err == nil || err.Error() != want {
		t.Errorf("Run error = %v\nwant %s", err, want)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Run took %s to notice the silent peer", took)
	}
	if err := c.Run(context.Background(), transport.Command{Script: "true"}); err == nil || err.Error() != want {
		t.Errorf("a later Run error = %v, want the same lost-connection error at once", err)
	}
}

func TestCancelWhileTheServerIsSilent(t *testing.T) {
	f := newFixture(t)
	s := f.trusted(t)
	c := dial(t, f, f.target("web5", s), f.options()) // default 15s keepalive
	s.Freeze()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := c.Run(ctx, transport.Command{Script: "true"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run error = %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Run took %s to honour a 200ms deadline", took)
	}
}
