package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/lab"
	"github.com/shoal-sh/shoal/shell"
)

// TestFaults runs the Dolphin job on the lab and breaks it on the way:
// shoal SIGKILLed at several points of relocate and replicate, a
// replica's sshd killed mid-stream, two applies at once, and (on a lab
// of its own, in parallel with the rest) the file server's link down for
// 45 s. After each: nothing outside the site roots and the storage
// changed on any host (a manifest of /etc, /root and /opt before and
// after), every user file's checksum is what it was, and the next apply
// converges. docs/safety.md lists each with its figure.
func TestFaults(t *testing.T) {
	t.Run("file server link down 45s", func(t *testing.T) {
		t.Parallel()
		testLinkDown(t)
	})
	t.Run("on the shared lab", func(t *testing.T) {
		t.Parallel()
		env := newFaultEnv(t, sshConfig, labDir)
		for _, k := range killPoints {
			t.Run("shoal killed: "+k.name, func(t *testing.T) { testShoalKilled(t, env, k) })
		}
		t.Run("replica sshd killed mid-stream", func(t *testing.T) { testReplicaSSHDKilled(t, env) })
		t.Run("two applies at once", func(t *testing.T) { testTwoApplies(t, env) })
	})
}

// killPoint is a moment of an apply, told by its NDJSON events.
type killPoint struct {
	name string
	at   func(applyEvent) bool
}

func eventOn(types []string, idPrefix string) func(applyEvent) bool {
	return func(e applyEvent) bool {
		for _, typ := range types {
			if e.Type == typ && strings.HasPrefix(e.ID, idPrefix) {
				return true
			}
		}
		return false
	}
}

var (
	started = []string{"step_start"}
	moving  = []string{"progress", "step_done"} // progress comes every 0.5 s; a quick step shows only its end
)

var killPoints = []killPoint{
	{"relocate starts", eventOn(started, "web1/relocate/")},
	{"relocate copies", eventOn(moving, "web1/relocate/")},
	{"replicate streams", eventOn(moving, "web2/replicate/")},
	{"replicas link", eventOn(started, "web2/relocate/")},
}

// testShoalKilled: SIGKILL leaves no cleanup at all, as when the
// operator's laptop dies; the locks it held say so, --force-unlock
// breaks them, and the next apply finishes the job.
func testShoalKilled(t *testing.T, env *faultEnv, k killPoint) {
	f := env.newCase(t)
	before := f.snapshot()
	fired, _ := f.applyWatching(k.at, func(cmd *exec.Cmd) { _ = cmd.Process.Kill() })
	if !fired {
		t.Fatalf("the apply ended before %s", k.name)
	}
	time.Sleep(200 * time.Millisecond) // let sshd reap the killed sessions
	locked := f.shoal("apply", "--yes")
	expectRefusal(t, locked, 3, "--force-unlock")
	f.converge(before, "--force-unlock")
}

// testReplicaSSHDKilled kills, on web2, every sshd serving a connection
// while the tree streams to it: shoal loses web2 and carries on with the
// others, exits normally, and releases web2's lock over a new connection,
// so the next apply needs no --force-unlock.
func testReplicaSSHDKilled(t *testing.T, env *faultEnv) {
	f := env.newCase(t)
	before := f.snapshot()
	fired, code := f.applyWatching(eventOn(moving, "web2/replicate/"), func(*exec.Cmd) { killSSHSessions(t, env.labDir, "web2") })
	if !fired {
		t.Fatal("the apply ended before the tree streamed to web2")
	}
	t.Logf("figure: the apply that lost web2 exited %d", code)
	if code != 1 {
		t.Errorf("an apply that lost web2 exited %d, want 1", code)
	}
	for _, h := range webHosts {
		if got := f.on(h, "ls -d /run/shoal.lock 2>/dev/null || echo unlocked"); got != "unlocked\n" {
			t.Errorf("%s: the apply ended normally but left its lock: %q", h, got)
		}
	}
	f.converge(before)
}

// testTwoApplies starts two applies of one plan at once: one gets every
// lock and does the work; the other is refused naming the holder (or,
// arriving after, finds nothing to do). Neither is left holding half.
func testTwoApplies(t *testing.T, env *faultEnv) {
	f := env.newCase(t)
	before := f.snapshot()
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = f.shoal("apply", "--yes")
		}()
	}
	wg.Wait()
	wins := 0
	for _, r := range results {
		switch {
		case r.code == 0:
			wins++
		case r.code == 3 && strings.Contains(r.stderr, "another apply holds the lock"):
		default:
			t.Errorf("exit %d, want 0 or a refusal naming the lock (3)\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	}
	if wins == 0 {
		t.Errorf("both applies were refused: neither may hold half the locks")
	}
	t.Logf("figure: the two applies exited %d and %d", results[0].code, results[1].code)
	f.converge(before)
}

// testLinkDown cuts the file server off its lab's network for 45 s while
// web1 moves user data onto it, on a lab of its own.
func testLinkDown(t *testing.T) {
	l := startOwnLab(t, "--web", "3")
	link := linkOf(t, l, "files")
	env := newFaultEnv(t, l.SSHConfig, l.Dir)
	f := env.newCase(t)
	before := f.snapshot()

	var outage sync.WaitGroup
	start := time.Now()
	fired, code := f.applyWatching(eventOn(started, "web1/relocate/"), func(*exec.Cmd) {
		outage.Add(1)
		go func() {
			defer outage.Done()
			ip(t, "link", "set", link, "down")
			defer ip(t, "link", "set", link, "up")
			time.Sleep(45 * time.Second)
		}()
	})
	took := time.Since(start)
	outage.Wait()
	if !fired {
		t.Fatal("the apply ended before web1 relocated anything")
	}
	t.Logf("figure: the apply through the outage exited %d after %.1fs", code, took.Seconds())
	// The apply may have failed or finished: either way, nothing lost,
	// its locks released, and the next apply converges.
	f.converge(before)
}

func ip(t *testing.T, args ...string) {
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Errorf("ip %v: %v\n%s", args, err, out)
	}
}

// faultEnv is a lab with a staged Dolphin tree on web1 to copy from.
type faultEnv struct {
	sshConfig, labDir string
	template          string
	cases             int
}

func newFaultEnv(t *testing.T, sshCfg, labDir string) *faultEnv {
	env := &faultEnv{sshConfig: sshCfg, labDir: labDir, template: "/var/www/fault-template"}
	stage, err := os.ReadFile(filepath.Join(repoRoot, "fixtures", "dolphin", "stage.sh"))
	if err != nil {
		t.Fatal(err)
	}
	onLabHost(t, sshCfg, "web1", "set -- "+env.template+" --force\n"+string(stage))
	t.Cleanup(func() { onLabHost(t, sshCfg, "web1", "rm -rf "+env.template) })
	return env
}

// faultCase is one fault on a site of its own: the Dolphin fixture with
// its own name and root, a fresh copy of the staged tree on web1.
type faultCase struct {
	t    *testing.T
	env  *faultEnv
	name string
	root string
	dir  string // config dir
	site *hcl.Site
}

func (env *faultEnv) newCase(t *testing.T) *faultCase {
	env.cases++
	f := &faultCase{t: t, env: env, name: fmt.Sprintf("fault%d", env.cases)}
	f.root = "/var/www/" + f.name
	fixture := readFile(t, filepath.Join(repoRoot, "fixtures", "dolphin", "cluster.hcl"))
	cfg := strings.Replace(fixture, `site "community"`, `site "`+f.name+`"`, 1)
	cfg = strings.Replace(cfg, `root    = "/var/www/dolphin"`, `root    = "`+f.root+`"`, 1)
	if !strings.Contains(cfg, f.root) || !strings.Contains(cfg, f.name) {
		t.Fatal("could not derive the test config from the fixture")
	}
	f.dir = t.TempDir()
	writeFile(t, filepath.Join(f.dir, "cluster.hcl"), cfg)
	f.site = loadFixture(t)
	f.clean()
	f.on("web1", "cp -a "+env.template+" "+f.root)
	t.Cleanup(f.clean)
	return f
}

func (f *faultCase) clean() {
	f.onEveryHost(func(string) string { return "rm -rf " + shell.Quote(f.root) + " " + shell.Quote("/srv/nas/"+f.name) })
}

func (f *faultCase) on(host, script string) string {
	f.t.Helper()
	return onLabHost(f.t, f.env.sshConfig, host, script)
}

func (f *faultCase) shoal(args ...string) result {
	f.t.Helper()
	return shoal(f.t, append([]string{"-F", f.env.sshConfig, "-C", f.dir}, args...)...)
}

// faultState is what a fault may not change: every host's manifest of
// what lies outside the sites and the storage, and the user data.
type faultState struct {
	outside map[string]string
	machine string // this machine's own manifest: the lab hosts' lower layer
	data    string
}

func (f *faultCase) snapshot() faultState {
	st := faultState{outside: f.manifests(), machine: machineManifest(f.t)}
	st.data = f.userData("web1", f.root)
	if strings.Count(st.data, "\n") < 2*len(f.site.BlocksOf("dynamic_dir")) {
		f.t.Fatalf("too little user data to test with:\n%s", st.data)
	}
	return st
}

// manifests reads outsideManifest on every host at once.
func (f *faultCase) manifests() map[string]string {
	return f.onEveryHost(func(string) string { return outsideManifest })
}

// onEveryHost runs each host's script on all hosts at once.
func (f *faultCase) onEveryHost(script func(host string) string) map[string]string {
	f.t.Helper()
	hosts := append([]string{"files"}, webHosts...)
	lab := labShell{sshConfig: f.env.sshConfig}
	out := make([]string, len(hosts))
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var stderr string
			if out[i], stderr, errs[i] = lab.try(h, script(h)); errs[i] != nil {
				errs[i] = fmt.Errorf("%s: %v\nstderr: %s", h, errs[i], stderr)
			}
		}()
	}
	wg.Wait()
	m := map[string]string{}
	for i, h := range hosts {
		if errs[i] != nil {
			f.t.Fatal(errs[i])
		}
		m[h] = out[i]
	}
	return m
}

// outsideManifest lists /etc, /root and /opt: type, mode, owner and path
// of everything; size, modification and change times and link target of
// all but folders (whose times move whenever a file is written beside
// them, an excluded fstab included); and the checksum of every file in
// /etc and /root (/opt holds the machine's large tools: its times say
// enough). The files steps name (fstab, exports, their backups) and
// credentials are left out.
const outsideManifest = `named='( -path /etc/fstab -o -path /etc/fstab.shoal.bak -o -path /etc/exports -o -path /etc/exports.shoal.bak -o -path /etc/shoal )'
find /etc /root /opt -xdev $named -prune -o -type d -printf 'd %m %u %g %p\n' -o -printf '%y %m %u %g %s %T@ %C@ %p %l\n' 2>/dev/null | sort
find /etc /root -xdev $named -prune -o -type f -exec sha256sum {} + 2>/dev/null | sort -k2`

// machineManifest lists this machine's own /etc and /opt as
// outsideManifest does: the lower layer of every lab host's. Its /root is
// hidden from them (and holds Go's caches: gigabytes to hash for nothing).
func machineManifest(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("sh", "-c", lowerManifest).Output()
	if err != nil {
		t.Fatalf("reading this machine's manifest: %v", err)
	}
	return string(out)
}

// lineDelta is the set of lines in one text but not the other.
func lineDelta(a, b string) map[string]bool {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	delta := map[string]bool{}
	for l := range ma {
		if !mb[l] {
			delta[l] = true
		}
	}
	for l := range mb {
		if !ma[l] {
			delta[l] = true
		}
	}
	return delta
}

// withoutLines drops the lines in drop from text.
func withoutLines(text string, drop map[string]bool) string {
	var kept []string
	for _, l := range strings.Split(text, "\n") {
		if !drop[l] {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

// lowerManifest is outsideManifest without /root.
const lowerManifest = `named='( -path /etc/fstab -o -path /etc/fstab.shoal.bak -o -path /etc/exports -o -path /etc/exports.shoal.bak -o -path /etc/shoal )'
find /etc /opt -xdev $named -prune -o -type d -printf 'd %m %u %g %p\n' -o -printf '%y %m %u %g %s %T@ %C@ %p %l\n' 2>/dev/null | sort
find /etc -xdev $named -prune -o -type f -exec sha256sum {} + 2>/dev/null | sort -k2`

// userData is every file of every dynamic folder with its checksum, on
// host under base: the site root (the folders before the apply) or, on
// the file server, the site's folder of the storage (where they are
// after: each folder's shared path stands in for its path).
func (f *faultCase) userData(host, base string) string {
	var b strings.Builder
	for _, d := range f.site.BlocksOf("dynamic_dir") {
		dir := d.Label
		if base != f.root {
			dir = sharedPath(d)
		}
		fmt.Fprintf(&b, "cd %s/ 2>/dev/null && echo '## %s' && find . -type f -exec sha256sum {} + | sort -k2\n",
			shell.Quote(filepath.Join(base, dir)), d.Label)
	}
	return f.on(host, b.String())
}

func sharedPath(d *block.Decl) string {
	if d.Known("shared") {
		return d.String("shared")
	}
	return d.Label
}

// links lists where host's dynamic folders link to, and what they should.
func (f *faultCase) links(host string) (got, want string) {
	var script, w strings.Builder
	for _, d := range f.site.BlocksOf("dynamic_dir") {
		p := filepath.Join(f.root, d.Label)
		fmt.Fprintf(&script, "printf '%%s -> %%s\\n' %s \"$(readlink %s)\"\n", shell.Quote(d.Label), shell.Quote(p))
		fmt.Fprintf(&w, "%s -> %s\n", d.Label, filepath.Join(mount, f.name, sharedPath(d)))
	}
	return f.on(host, script.String()), w.String()
}

// converge runs apply (with extra flags) and then plan: the apply must
// succeed and the plan show nothing; the user data and everything outside
// the sites and storage must be as before the fault.
func (f *faultCase) converge(before faultState, flags ...string) {
	f.t.Helper()
	start := time.Now()
	r := f.shoal(append([]string{"apply", "--yes"}, flags...)...)
	if r.code != 0 {
		f.t.Fatalf("the apply after the fault: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	took := time.Since(start)
	if again := f.shoal("plan", "--detailed-exitcode"); again.code != 0 {
		f.t.Errorf("plan after the apply: exit %d, want 0 (converged)\n%s", again.code, again.stdout)
	}
	// every web node links each folder to the storage, where every file
	// is as it was on web1
	if got := f.userData("files", "/srv/nas/"+f.name); got != before.data {
		f.t.Errorf("user data on the storage differs from web1's before the fault:\n%s", firstDiff(before.data, got))
	}
	for _, h := range webHosts {
		if got, want := f.links(h); got != want {
			f.t.Errorf("%s: dynamic folders link elsewhere:\n%s", h, firstDiff(want, got))
		}
	}
	entries := 0
	// A lab host sees this machine's files through its overlay: what the
	// machine itself changed meanwhile (a package installed by someone
	// else) is not the fault's doing.
	moved := lineDelta(before.machine, machineManifest(f.t))
	for h, now := range f.manifests() {
		if diff := cmp.Diff(withoutLines(before.outside[h], moved), withoutLines(now, moved)); diff != "" {
			f.t.Errorf("%s: something outside the site and the storage changed (-before +after):\n%s", h, diff)
		}
		entries += strings.Count(now, "\n")
	}
	files := strings.Count(before.data, "\n") - len(f.site.BlocksOf("dynamic_dir"))
	f.t.Logf("figure: the next apply converged in %.1fs; %d user files' checksums and %d manifest lines of /etc, /root, /opt on %d hosts unchanged",
		took.Seconds(), files, entries, len(before.outside))
}

// applyEvent is the part of an NDJSON event the faults are timed by.
type applyEvent struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// applyWatching runs apply --yes --json and calls then once, the first
// time at accepts an event; it reads the events to the end and returns
// whether then ran and shoal's exit code (-1: killed).
func (f *faultCase) applyWatching(at func(applyEvent) bool, then func(*exec.Cmd)) (fired bool, code int) {
	f.t.Helper()
	cmd := exec.Command(shoalBin, "-F", f.env.sshConfig, "-C", f.dir, "apply", "--yes", "--json")
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		f.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	deadline := time.AfterFunc(4*time.Minute, func() { _ = cmd.Process.Kill() })
	defer deadline.Stop()
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e applyEvent
		if fired || json.Unmarshal(sc.Bytes(), &e) != nil || !at(e) {
			continue
		}
		fired = true
		then(cmd)
	}
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return fired, ee.ExitCode()
	} else if err != nil {
		f.t.Fatalf("apply: %v\n%s", err, stderr.String())
	}
	return fired, 0
}

// killSSHSessions SIGKILLs every sshd process under host's listener (its
// PID 1, which lives on): the sshd serving each connection dies as if it
// crashed, and the connections drop. Other daemons the host runs (its
// sshfs) are left alone.
func killSSHSessions(t *testing.T, labDir, host string) {
	l, _, err := lab.Status(labDir)
	if err != nil {
		t.Fatal(err)
	}
	listener := 0
	for _, h := range l.Hosts {
		if h.Name == host {
			listener = h.PID
		}
	}
	killed := 0
	for _, pid := range sshdBelow(listener) {
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed++
		}
	}
	if killed == 0 {
		t.Errorf("no sshd served a connection on %s", host)
	}
}

// sshdBelow lists the sshd processes descending from pid.
func sshdBelow(pid int) []int {
	parent := map[int]int{}
	comm := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'
		s := string(stat)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		fields := strings.Fields(s[end+1:])
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		parent[p], comm[p] = ppid, s[open+1:end]
	}
	var out []int
	for p := range parent {
		if comm[p] != "sshd" {
			continue
		}
		for a := parent[p]; a > 1; a = parent[a] {
			if a == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}
