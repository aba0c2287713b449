package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-sh/shoal/shell"
)

// The ExpressionEngine mirrors of issue 9, on a lab of their own: a
// master (web1) and three mirrors, each with a real MariaDB, and a dns
// host running BIND with Debian's own configuration. The recipe's jobs
// run exactly as their cron files say, as cron would run them.

const (
	eeRoot     = "/var/www/ee"
	eePassword = `Dump'n"Import #1` // fixtures/expressionengine/cluster.hcl's
	eeMaster   = "web1"
)

var eeMirrors = []string{"web2", "web3", "web4"}

// eeLab is the test's own lab and the fixture rewritten for its network.
type eeLab struct {
	labShell
	config string // the configuration folder
	addr   map[string]string
}

func startEELab(t *testing.T) *eeLab {
	t.Helper()
	l := startOwnLab(t, "--web", "4", "--host", "dns")
	e := &eeLab{labShell: labShell{l.SSHConfig}, config: t.TempDir(), addr: map[string]string{}}
	for _, h := range l.Hosts {
		e.addr[h.Name] = h.Addr
	}
	e.writeConfig(t, e.config, func(s string) string { return s })
	return e
}

// writeConfig writes the fixture, with the lab's addresses and edit
// applied, as dir/cluster.hcl.
func (e *eeLab) writeConfig(t *testing.T, dir string, edit func(string) string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot, "fixtures", "expressionengine", "cluster.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	net := e.addr["web1"][:strings.LastIndex(e.addr["web1"], ".")+1]
	// the test runs the mirrors' import jobs itself, and times them: they
	// start at once rather than spread over a minute
	spread := strings.Replace(string(src), "    db_password = var.ee_db_password\n", "    db_password = var.ee_db_password\n    import_spread = 0\n", 1)
	if spread == string(src) {
		t.Fatal("the fixture's site sets no db_password to put import_spread after")
	}
	cfg := edit(strings.ReplaceAll(spread, "10.77.0.", net))
	if err := os.WriteFile(filepath.Join(dir, "cluster.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (e *eeLab) shoal(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return shoalOn(t, e.sshConfig, append([]string{"-C", dir}, args...)...)
}

// cronJob reads a cron file of the site on host: its environment lines
// and the command of its one job.
func (e *eeLab) cronJob(t *testing.T, host, job string) (env []string, command string) {
	t.Helper()
	content := e.run(t, host, "cat /etc/cron.d/shoal-ee-"+job)
	jobLine := regexp.MustCompile(`^(\S+\s+){5}root\s+(.+)$`)
	for _, line := range strings.Split(content, "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`).MatchString(line):
			env = append(env, line)
		case jobLine.MatchString(line):
			command = jobLine.FindStringSubmatch(line)[2]
		}
	}
	if command == "" {
		t.Fatalf("%s: no job in /etc/cron.d/shoal-ee-%s:\n%s", host, job, content)
	}
	return env, command
}

// cronScript is how cron runs a job: /bin/sh -c COMMAND, from root's
// home, with a bare environment and the file's variables.
func (e *eeLab) cronScript(t *testing.T, host, job string) string {
	t.Helper()
	env, command := e.cronJob(t, host, job)
	args := []string{"env", "-i", "HOME=/root", "LOGNAME=root", "SHELL=/bin/sh"}
	args = append(args, env...)
	args = append(args, "/bin/sh", "-c", command)
	return "cd /root && exec " + shell.Join(args...) + "\n"
}

// cron runs a job as cron would and fails the test when it fails.
func (e *eeLab) cron(t *testing.T, host, job string) {
	t.Helper()
	if _, errs, err := e.try(host, e.cronScript(t, host, job)); err != nil {
		t.Fatalf("%s: cron job %s: %v\n%s", host, job, err, errs)
	}
}

// onMirrors runs f on every mirror at once.
func onMirrors(f func(host string)) { each(eeMirrors, f) }

// sampler records every argument of every process on a host until
// stopped: what `ps` would have shown anyone during the jobs.
type sampler struct {
	e    *eeLab
	wg   sync.WaitGroup
	errs sync.Map
}

func (e *eeLab) startSampling(hosts []string) *sampler {
	s := &sampler{e: e}
	for _, h := range hosts {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			// one cat of every cmdline per round, arguments deduplicated by
			// a single awk; the password is looked for here, not there, so
			// no sampler's own argv holds it
			_, errs, err := e.try(h, `rm -f /tmp/stop-sampling
i=0
while [ ! -e /tmp/stop-sampling ] && [ "$i" -lt 20000 ]; do
	cat /proc/[0-9]*/cmdline 2>/dev/null
	printf '\000'
	sleep 0.04
	i=$((i + 1))
done | tr '\000' '\n' | awk '!seen[$0]++' > /tmp/cmdlines
`)
			if err != nil {
				s.errs.Store(h, fmt.Sprintf("%v: %s", err, errs))
			}
		}()
	}
	return s
}

// stop ends sampling and returns each host's arguments seen.
func (s *sampler) stop(t *testing.T, hosts []string) map[string]string {
	t.Helper()
	each(hosts, func(h string) { s.e.run(t, h, "touch /tmp/stop-sampling") })
	s.wg.Wait()
	s.errs.Range(func(h, err any) bool {
		t.Errorf("sampling on %s: %s", h, err)
		return true
	})
	seen := map[string]string{}
	for _, h := range hosts {
		seen[h] = s.e.run(t, h, "cat /tmp/cmdlines")
	}
	return seen
}

// eeSchema is the master's database as EE's installer leaves it, in
// miniature: the tables the dump crosses in order (exp_actions before
// exp_channel_titles), and a few MB of entries.
const eeSchema = `CREATE DATABASE ee;
CREATE USER 'ee'@'localhost' IDENTIFIED BY 'Dump\'n"Import #1';
GRANT ALL PRIVILEGES ON ee.* TO 'ee'@'localhost';
USE ee;
CREATE TABLE ee.exp_actions (action_id INT PRIMARY KEY, class VARCHAR(50), method VARCHAR(50)) ENGINE=InnoDB;
INSERT INTO ee.exp_actions VALUES (1, 'Channel', 'submit_entry'), (2, 'Comment', 'insert_new_comment'), (3, 'Member', 'member_login');
CREATE TABLE ee.exp_channel_data (entry_id INT PRIMARY KEY, field_id_1 TEXT) ENGINE=InnoDB;
INSERT INTO ee.exp_channel_data SELECT seq, REPEAT(CONCAT('body of entry ', seq, '. '), 12) FROM seq_1_to_20000;
CREATE TABLE ee.exp_channel_titles (entry_id INT PRIMARY KEY, title VARCHAR(200), url_title VARCHAR(200)) ENGINE=InnoDB;
INSERT INTO ee.exp_channel_titles SELECT seq, CONCAT('Entry ', seq), CONCAT('entry-', seq) FROM seq_1_to_20000;`

func TestExpressionEngineMirrors(t *testing.T) {
	e := startEELab(t)
	all := []string{"web1", "web2", "web3", "web4", "dns"}

	// Bad input: a diagnostic with file:line:col, and nothing changed.
	badInput(t, e)

	// The services the seed runs, and the master's site as installed.
	each([]string{"web1", "web2", "web3", "web4"}, func(h string) { e.startMariaDB(t, h, "") })
	e.startNamed(t, "dns")
	stage, err := os.ReadFile(filepath.Join(repoRoot, "fixtures", "expressionengine", "stage.sh"))
	if err != nil {
		t.Fatal(err)
	}
	e.run(t, eeMaster, "set -- "+eeRoot+"\n"+string(stage))
	e.sql(t, eeMaster, eeSchema)
	sampling := e.startSampling(all)

	// 1. The first apply converges; the second plan is empty; the third
	// apply changes nothing.
	before := e.shoal(t, e.config, "plan", "-out", filepath.Join(e.config, "first.plan"))
	if before.code != 0 {
		t.Fatalf("plan before the first apply: exit %d\n%s\n%s", before.code, before.stdout, before.stderr)
	}
	start := time.Now()
	first := e.shoal(t, e.config, "apply", "--yes", "--json")
	firstApply := time.Since(start)
	if first.code != 0 {
		t.Fatalf("first apply: exit %d\n%s\n%s", first.code, first.stdout, first.stderr)
	}
	start = time.Now()
	second := e.shoal(t, e.config, "plan", "--detailed-exitcode")
	noChangePlan := time.Since(start)
	if second.code != 0 {
		t.Fatalf("plan after the first apply: exit %d (want 0: nothing to do)\n%s\n%s", second.code, second.stdout, second.stderr)
	}
	third := e.shoal(t, e.config, "apply", "--yes")
	if third.code != 0 || !strings.Contains(third.stdout, "No changes") {
		t.Fatalf("third apply: exit %d\n%s\n%s", third.code, third.stdout, third.stderr)
	}
	t.Logf("figures: first apply %s, no-change plan %s (1 master + 3 mirrors + dns)", firstApply.Round(time.Millisecond), noChangePlan.Round(time.Millisecond))

	// The apply itself synced the folders and imported the master's data.
	uploads := func(h string) string {
		return e.run(t, h, "cd "+eeRoot+" && find images/uploads assets system/user/templates -path assets/sql -prune -o -type f -print0 | sort -z | xargs -0 sha256sum")
	}
	masterFiles := uploads(eeMaster)
	if strings.Count(masterFiles, "\n") < 100 {
		t.Fatalf("the master holds too few files to prove anything:\n%s", masterFiles)
	}
	onMirrors(func(h string) {
		if got := uploads(h); got != masterFiles {
			t.Errorf("%s: the synced folders differ from the master's after apply:\n%s", h, firstDiff(masterFiles, got))
		}
		if got := e.sql(t, h, "SELECT COUNT(*) FROM ee.exp_channel_titles"); got != "20000\n" {
			t.Errorf("%s: %q entries after apply, want the master's 20000", h, got)
		}
	})

	// 4. DNS: every node for the site's name, the master alone for the
	// editors', TTL 60.
	dnsAddr := e.addr["dns"]
	var want []string
	for _, h := range []string{"web1", "web2", "web3", "web4"} {
		want = append(want, "site.example. 60 IN A "+e.addr[h])
	}
	if got := e.dig(t, "web2", dnsAddr, "site.example", "A"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("dig @dns site.example A:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := e.dig(t, "web2", dnsAddr, "admin.site.example", "A"); len(got) != 1 || got[0] != "admin.site.example. 60 IN A "+e.addr[eeMaster] {
		t.Errorf("dig @dns admin.site.example A: %q, want the master alone", got)
	}

	// 2. The database: a row written on the master reaches every mirror
	// after the dump job and the import jobs.
	e.sql(t, eeMaster, "INSERT INTO ee.exp_channel_titles VALUES (30001, 'Written on the master', 'written-on-the-master')")
	start = time.Now()
	e.cron(t, eeMaster, "dump")
	dumped := time.Since(start)
	onMirrors(func(h string) { e.cron(t, h, "import") })
	cycle := time.Since(start)
	onMirrors(func(h string) {
		if got := e.sql(t, h, "SELECT title FROM ee.exp_channel_titles WHERE entry_id = 30001"); got != "Written on the master\n" {
			t.Errorf("%s: the master's new row after dump and import: %q", h, got)
		}
		if n := e.run(t, h, "ls "+eeRoot+"/assets/sql | grep -c '^dump-' || true"); n != "0\n" {
			t.Errorf("%s: %s dumps left after a good import", h, n)
		}
	})
	t.Logf("figures: dump %s, dump + import on 3 mirrors %s (%s of entries)", dumped.Round(time.Millisecond), cycle.Round(time.Millisecond),
		strings.TrimSpace(e.run(t, eeMaster, "ls -l "+eeRoot+"/assets/sql/dump-*.sql | awk '{print $5}'"))+" bytes")

	// A dump killed mid-way is never imported.
	e.sql(t, eeMaster, "INSERT INTO ee.exp_channel_titles VALUES (30002, 'Killed with its dump', 'killed')")
	killDump(t, e)
	if r := e.shoal(t, e.config, "plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("a killed dump's leftover is planned as drift (replicate must leave it to the master): exit %d\n%s", r.code, r.stdout)
	}
	onMirrors(func(h string) {
		e.cron(t, h, "import")
		if got := e.sql(t, h, "SELECT COUNT(*) FROM ee.exp_channel_titles WHERE entry_id = 30002"); got != "0\n" {
			t.Errorf("%s imported a dump that was killed mid-way", h)
		}
	})

	// A mirror whose import fails keeps the dump for the next run.
	e.cron(t, eeMaster, "dump")
	e.sql(t, "web2", "REVOKE ALL PRIVILEGES ON ee.* FROM 'ee'@'localhost'")
	if _, errs, err := e.try("web2", e.cronScript(t, "web2", "import")); err == nil || !strings.Contains(errs, "kept for the next run") {
		t.Fatalf("web2's import without privileges: %v\n%s", err, errs)
	}
	if n := e.run(t, "web2", "ls "+eeRoot+"/assets/sql | grep -c '^dump-' || true"); n != "1\n" {
		t.Fatalf("web2 kept %s dumps after its import failed, want 1", n)
	}
	e.sql(t, "web2", "GRANT ALL PRIVILEGES ON ee.* TO 'ee'@'localhost'")
	onMirrors(func(h string) { e.cron(t, h, "import") })
	onMirrors(func(h string) {
		if got := e.sql(t, h, "SELECT title FROM ee.exp_channel_titles WHERE entry_id = 30002"); got != "Killed with its dump\n" {
			t.Errorf("%s: the next complete dump was not imported: %q", h, got)
		}
	})
	if n := e.run(t, "web2", "ls "+eeRoot+"/assets/sql | grep -c '^dump-' || true"); n != "0\n" {
		t.Errorf("web2 kept its dump after the retry succeeded")
	}

	// 3. Files: an upload and a template edited on the master reach every
	// mirror after its sync job; a file deleted there disappears; what a
	// mirror has of its own outside the synced folders stays.
	const template = "system/user/templates/default_site/news.group/index.html"
	e.run(t, eeMaster, shell.Script(`set -e
cd "$root"
runuser -u www-data -- sh -c 'printf "fresh upload\n" > "images/uploads/new upload.jpg"'
printf '{exp:channel:entries channel="news" limit="5"}{title}{/exp:channel:entries}\n' > "$template"
rm -f "images/uploads/summer party 40.png"`, shell.Bind("root", eeRoot), shell.Bind("template", template)))
	onMirrors(func(h string) {
		e.run(t, h, "cd "+eeRoot+" && runuser -u www-data -- sh -c \"echo 'mirror only' > images/captchas/own.jpg\" && echo 'mirror only' > mirror-notes.txt")
	})
	var syncs sync.Map
	onMirrors(func(h string) {
		start := time.Now()
		e.cron(t, h, "sync")
		syncs.Store(h, time.Since(start))
	})
	masterFiles = uploads(eeMaster)
	onMirrors(func(h string) {
		if got := uploads(h); got != masterFiles {
			t.Errorf("%s: after its sync job:\n%s", h, firstDiff(masterFiles, got))
		}
		if got := e.run(t, h, "cat "+eeRoot+"/images/captchas/own.jpg "+eeRoot+"/mirror-notes.txt"); got != "mirror only\nmirror only\n" {
			t.Errorf("%s: the mirror's own files changed: %q", h, got)
		}
		if got := e.run(t, h, "stat -c %U "+shell.Quote(eeRoot+"/images/uploads/new upload.jpg")); got != "www-data\n" {
			t.Errorf("%s: the upload is owned by %q on the mirror", h, got)
		}
		if _, _, err := e.try(h, "test ! -e "+shell.Quote(eeRoot+"/images/uploads/summer party 40.png")); err != nil {
			t.Errorf("%s still has the upload deleted on the master", h)
		}
		e.run(t, h, "rm "+eeRoot+"/mirror-notes.txt") // replicate's to remove, not the sync's: the last plan would
	})
	if d, ok := syncs.Load("web2"); ok {
		t.Logf("figures: one sync of the staged tree's changes %s", d.(time.Duration).Round(time.Millisecond))
	}
	full := time.Now()
	e.run(t, "web3", "rm -rf "+eeRoot+"/images/uploads/* "+eeRoot+"/assets/uploads")
	e.cron(t, "web3", "sync")
	t.Logf("figures: a full sync of the synced folders (%s) %s",
		strings.TrimSpace(e.run(t, eeMaster, "cd "+eeRoot+" && du -sh images/uploads assets | awk '{s=s $1\" \"} END {print s}'")), time.Since(full).Round(time.Millisecond))

	// 5. No password in ps on any host during the jobs, in the cron files,
	// in the plans (shown and saved) or in the JSON output.
	seen := sampling.stop(t, all)
	for h, args := range seen {
		if strings.Contains(args, eePassword) || strings.Contains(args, `Dump'n`) {
			t.Errorf("%s: the password showed in a process's arguments", h)
		}
	}
	for _, tool := range []string{"mysqldump", "rsync", "rrsync", "mysql"} {
		if !strings.Contains(seen[eeMaster]+seen["web2"], tool) {
			t.Errorf("the sampler never saw %s run: it proves nothing", tool)
		}
	}
	for _, h := range all[:4] {
		if cron := e.run(t, h, "cat /etc/cron.d/shoal-ee-*"); strings.Contains(cron, `Dump'n`) || !strings.Contains(cron, "flock") {
			t.Errorf("%s: cron files:\n%s", h, cron)
		}
	}
	saved, err := os.ReadFile(filepath.Join(e.config, "first.plan"))
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"plan": before.stdout + before.stderr, "saved plan": string(saved),
		"apply --json": first.stdout + first.stderr} {
		if strings.Contains(text, `Dump'n`) || strings.Contains(text, "Import #1") {
			t.Errorf("the %s shows the password", name)
		}
	}
	if !strings.Contains(before.stdout, "(sensitive)") {
		t.Errorf("the plan does not show the option file's password as (sensitive):\n%s", before.stdout)
	}

	// Records of a node shoal can't reach are kept, and the plan says so.
	down := t.TempDir()
	e.writeConfig(t, down, func(s string) string {
		return strings.Replace(s, "host    = \"web4\"", "host    = \"web4\"\n  port    = 2", 1)
	})
	kept := e.shoal(t, down, "plan", "--json", "--target", "dns")
	if kept.code != 0 || !strings.Contains(kept.stdout, "web4 can't be reached") || !strings.Contains(kept.stdout, "its records are kept") {
		t.Errorf("a plan of the dns node with web4 down: exit %d\n%s\n%s", kept.code, kept.stdout, kept.stderr)
	}

	// The jobs leave nothing for the next plan to do.
	if last := e.shoal(t, e.config, "plan", "--detailed-exitcode"); last.code != 0 {
		t.Errorf("plan after the jobs ran: exit %d\n%s\n%s", last.code, last.stdout, last.stderr)
	}
}

// killDump holds a write lock on exp_channel_titles, so the dump job's
// mysqldump stops once it has written exp_actions and exp_channel_data,
// kills the job there (its whole process group, as an OOM kill or a
// reboot would), and releases the lock. The master is left with its
// previous complete dump alone.
func killDump(t *testing.T, e *eeLab) {
	t.Helper()
	complete := "ls " + eeRoot + "/assets/sql/ | grep '^dump-'"
	before := e.run(t, eeMaster, complete)
	script := shell.Script(`set -e
rm -f /tmp/lock.fifo /tmp/lock.out
mkfifo /tmp/lock.fifo
mysql --unbuffered --batch --skip-column-names ee < /tmp/lock.fifo > /tmp/lock.out 2>&1 &
locker=$!
exec 3> /tmp/lock.fifo
trap 'exec 3>&-; kill "$locker" 2>/dev/null || true' EXIT
echo "LOCK TABLES exp_channel_titles WRITE; SELECT 'locked';" >&3
until grep -q locked /tmp/lock.out; do sleep 0.05; done
setsid sh -c "$job" < /dev/null > /dev/null 2>&1 &
job_pid=$!
i=0
until grep -q exp_channel_data "$partial" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 600 ] || { echo "the dump never got past its first tables" >&2; exit 1; }
	sleep 0.05
done
kill -KILL "-$job_pid"
exec 3>&-
wait "$locker" || true
trap - EXIT
echo killed`, shell.Bind("job", e.cronScript(t, eeMaster, "dump")), shell.Bind("partial", eeRoot+"/assets/sql/dump.partial"))
	if got := e.run(t, eeMaster, script); got != "killed\n" {
		t.Fatalf("killing the dump: %q", got)
	}
	if after := e.run(t, eeMaster, complete); after != before {
		t.Fatalf("a killed dump changed the master's complete dumps:\nbefore %s\nafter %s", before, after)
	}
}

// badInput: each mistake issue 9 names is a diagnostic naming the file,
// line and column, and changes nothing on any host.
func badInput(t *testing.T, e *eeLab) {
	t.Helper()
	for _, tt := range []struct {
		name string
		edit func(string) string
		want []string
	}{
		{"a mirror that is also the master", func(s string) string {
			return strings.Replace(s, e.addr["web4"]+`"`, e.addr["web1"]+`"`, 1)
		}, []string{"recipes/expressionengine.hcl:", "Assertion failed: mirror_is_master", "web4 has the master's address"}},
		{"a missing required param", func(s string) string {
			return strings.Replace(s, "    db_password = var.ee_db_password\n", "", 1)
		}, []string{"cluster.hcl:", "Missing param", `needs param "db_password"`}},
		{"a dns node that is not in the config", func(s string) string {
			return strings.Replace(s, `domain      = "site.example"`, `domain      = "site.example"`+"\n    dns         = \"ns9\"", 1)
		}, []string{"recipes/expressionengine.hcl:", "No node to run on", `runs on "ns9"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			e.writeConfig(t, dir, tt.edit)
			r := e.shoal(t, dir, "apply", "--yes")
			flat := strings.Join(strings.Fields(r.stderr), " ")
			if r.code != 1 {
				t.Errorf("exit %d, want 1\n%s", r.code, r.stderr)
			}
			if !regexp.MustCompile(`\.hcl:\d+:\d+: `).MatchString(r.stderr) {
				t.Errorf("no file:line:col in:\n%s", r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(flat, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
	for _, h := range []string{"web1", "web2", "web3", "web4", "dns"} {
		if got := e.run(t, h, "ls -d /etc/cron.d/shoal-* /etc/shoal /usr/local/lib/shoal /etc/bind/shoal /root/.ssh/shoal-* 2>/dev/null || true"); got != "" {
			t.Errorf("%s: bad input changed the host: %s", h, got)
		}
	}
}
