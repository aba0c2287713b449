package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/shoal-sh/shoal/block"
	"github.com/shoal-sh/shoal/facts"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/transport"
)

// Two ed25519 public keys for tests built from data.
const (
	testClientKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHjn7lSpBhADWtxL/kHtOVUQWYdW+YAGQW9QALBnFhYM"
	testHostKey   = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN7xDmPFykWwyuXPdCDlae/rrzyEiuBtlLacsFcdR+Z+"
)

func assetsTrust() *SSHTrust {
	return &SSHTrust{
		Site: "ee", Name: "assets", Client: "web2", Server: "web1", Address: "web1", User: "root",
		Key: "/root/.ssh/shoal-ee-assets", Command: "rrsync -ro /var/www/ee/assets", Purpose: "rrsync -ro /var/www/ee/assets", RRsync: "/var/www/ee/assets",
		From: []string{"10.0.0.12"},
	}
}

func TestSSHTrustRefusesBadInput(t *testing.T) {
	dir := cty.StringVal("/var/www/ee/assets")
	for _, tt := range []struct {
		name   string
		values map[string]cty.Value
		want   string
	}{
		{"nothing to run", map[string]cty.Value{"to": cty.StringVal("primary")}, "What may the key run?"},
		{"sftp false is nothing", map[string]cty.Value{"to": cty.StringVal("primary"), "sftp": cty.False}, "What may the key run?"},
		{"two commands", map[string]cty.Value{"to": cty.StringVal("primary"), "rrsync": dir, "command": cty.StringVal("true")}, "rrsync and command are both set"},
		{"rrsync and sftp", map[string]cty.Value{"to": cty.StringVal("primary"), "rrsync": dir, "sftp": cty.True}, "rrsync and sftp are both set"},
		{"relative rrsync", map[string]cty.Value{"to": cty.StringVal("primary"), "rrsync": cty.StringVal("assets")}, "Invalid rrsync folder"},
		{"rrsync climbing out", map[string]cty.Value{"to": cty.StringVal("primary"), "rrsync": cty.StringVal("/var/www/../../etc")}, "Invalid rrsync folder"},
		{"relative key", map[string]cty.Value{"to": cty.StringVal("primary"), "rrsync": dir, "key": cty.StringVal(".ssh/mirror")}, "Invalid key"},
		{"public key as key", map[string]cty.Value{"to": cty.StringVal("primary"), "rrsync": dir, "key": cty.StringVal("/root/.ssh/id.pub")}, "Invalid key"},
		{"two-line command", map[string]cty.Value{"to": cty.StringVal("primary"), "command": cty.StringVal("a\nb")}, "Invalid command"},
		{"user", map[string]cty.Value{"to": cty.StringVal("primary"), "rrsync": dir, "user": cty.StringVal("root; rm")}, "Invalid user"},
		{"to", map[string]cty.Value{"to": cty.StringVal("web 1"), "rrsync": dir}, "Invalid to"},
		{"from", map[string]cty.Value{"to": cty.StringVal("primary"), "rrsync": dir, "from": cty.ListVal([]cty.Value{cty.StringVal(`10.0.0.1",command="sh`)})}, "Invalid from"},
		{"address", map[string]cty.Value{"to": cty.StringVal("primary"), "rrsync": dir, "address": cty.StringVal("web*")}, "Invalid address"},
		{"secret", map[string]cty.Value{"to": cty.StringVal("primary"), "command": cty.StringVal("backup --token hunter22").Mark(block.SensitiveMark)}, "Sensitive value in ssh_trust"},
		{"sftp as root", map[string]cty.Value{"to": cty.StringVal("files"), "sftp": cty.True}, "SFTP as root"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := diagText(KindOf("ssh_trust").Check(testDecl("ssh_trust", "x", tt.values)))
			if !strings.Contains(got, tt.want) {
				t.Errorf("diagnostics %q, want %q", got, tt.want)
			}
		})
	}
	for _, values := range []map[string]cty.Value{
		{"to": cty.StringVal("primary"), "rrsync": dir},
		{"to": cty.StringVal("files"), "sftp": cty.True, "user": cty.StringVal("nas"), "key": cty.StringVal("/etc/shoal/nas.key")},
		{"to": cty.StringVal("backup"), "command": cty.StringVal(`tar -C "/var/www" -cf - .`), "from": cty.ListVal([]cty.Value{cty.StringVal("10.0.0.0/24")})},
	} {
		if diags := KindOf("ssh_trust").Check(testDecl("ssh_trust", "x", values)); len(diags) > 0 {
			t.Errorf("a good block %v: %s", values, diagText(diags))
		}
	}
}

func TestSSHTrustAuthorizedLine(t *testing.T) {
	tr := assetsTrust()
	want := `restrict,from="10.0.0.12",command="rrsync -ro /var/www/ee/assets" ` + testClientKey + ` shoal:ee/assets/web2`
	if got := tr.authorizedLine(testClientKey); got != want {
		t.Errorf("line:\n got %s\nwant %s", got, want)
	}
	tr.From, tr.Command = nil, `tar -C "/srv/my dir" -cf - .`
	want = `restrict,command="tar -C \"/srv/my dir\" -cf - ." ` + testClientKey + ` shoal:ee/assets/web2`
	if got := tr.authorizedLine(testClientKey); got != want {
		t.Errorf("a command with quotes:\n got %s\nwant %s", got, want)
	}
}

// The known_hosts line is hashed as OpenSSH hashes it: ssh-keygen -F
// finds it under the name, and the plan recognises it.
func TestSSHTrustHostLineIsOpenSSHs(t *testing.T) {
	tr := assetsTrust()
	tr.Address = "Web1.example.com"
	line := tr.hostLine(testHostKey, bytes.Repeat([]byte{7}, 20))
	if !strings.HasPrefix(line, "|1|") || strings.Contains(line, "example") {
		t.Fatalf("not hashed: %s", line)
	}
	kh := filepath.Join(t.TempDir(), "known_hosts")
	failOn(t, os.WriteFile(kh, []byte(line+"\n"), 0o644))
	out, err := exec.Command("ssh-keygen", "-F", "web1.example.com", "-f", kh).CombinedOutput()
	if err != nil || !strings.Contains(string(out), testHostKey) {
		t.Errorf("ssh-keygen -F does not find the line: %v\n%s", err, out)
	}
	cl := trustClient{hostLines: []string{line}}
	if !cl.records("web1.example.com", testHostKey) {
		t.Error("the line is not recognised")
	}
	if cl.records("web3.example.com", testHostKey) || cl.records("web1.example.com", testClientKey) {
		t.Error("the line is taken for another name or key")
	}
	if !(trustClient{hostLines: []string{"web1,10.0.0.11 " + testHostKey + " shoal:ee/assets"}}).records("web1", testHostKey) {
		t.Error("a plain line is not recognised")
	}
}

func TestSSHTrustScriptsGolden(t *testing.T) {
	tr := assetsTrust()
	goldenScript(t, "ssh_trust", "generate-key", tr.keyScript(sshTrustPayload{Generate: true, HostKey: testHostKey}))
	goldenScript(t, "ssh_trust", "check-key", tr.keyScript(sshTrustPayload{Key: testClientKey, HostKey: testHostKey}))
	goldenScript(t, "ssh_trust", "authorize", tr.authorizeScript(testClientKey, testHostKey))
	goldenScript(t, "ssh_trust", "known-hosts", tr.knownHostsScript(tr.hostLine(testHostKey, bytes.Repeat([]byte{7}, 20))))
	goldenScript(t, "ssh_trust", "fact-client", tr.clientFact().Command())
	goldenScript(t, "ssh_trust", "fact-server", tr.serverFact().Command())
}

// trustFacts are the two facts of assetsTrust as their commands would
// print them: a key or none on web2, a server whose root has ~/.ssh.
func trustFacts(key string, serverExtra ...string) fixedFacts {
	tr := assetsTrust()
	client := "keygen\nkey " + key + "\nknown_hosts /root/.ssh/known_hosts\nkh-file file\n"
	server := "hostkey " + testHostKey + "\nrrsync\nsshd read\nsshd authorizedkeysfile .ssh/authorized_keys .ssh/authorized_keys2\nsshd subsystem sftp internal-sftp\nsshd strictmodes yes\n" +
		"user root:x:0:0:root:/root:/bin/bash\nhome dir 700 0\ndir dir 700 0\nfile file 600 0\n" + strings.Join(serverExtra, "\n")
	return fixedFacts{
		"web2": {tr.clientFact().Key(): {Output: client}},
		"web1": {tr.serverFact().Key(): {Output: server}},
	}
}

func TestSSHTrustPlansFromFacts(t *testing.T) {
	tr := assetsTrust()
	line := tr.authorizedLine(testClientKey)
	hashed := tr.hostLine(testHostKey, bytes.Repeat([]byte{1}, 20))
	withHostLine := func(f fixedFacts) fixedFacts {
		k := tr.clientFact().Key()
		f["web2"][k] = facts.Section{Output: f["web2"][k].Output + "kh " + hashed + "\n"}
		return f
	}
	for _, tt := range []struct {
		name    string
		facts   fixedFacts
		action  plan.Action
		summary string // the summary, or the reason of a no-op or conflict
		details []string
		payload sshTrustPayload
	}{
		{"fresh", trustFacts("absent"), plan.Create,
			"generate a key on web2 (/root/.ssh/shoal-ee-assets), authorize it on web1 as root for rrsync -ro /var/www/ee/assets, record web1's host key",
			[]string{
				"web1 /root/.ssh/authorized_keys:",
				`  + restrict,from="10.0.0.12",command="rrsync -ro /var/www/ee/assets" <the new key> shoal:ee/assets/web2`,
				"web2 /root/.ssh/known_hosts:",
				"  + web1 ssh-ed25519 SHA256:r138poJ5XbgQu+UJkxzsAtq8J/Q2c9ZPiXmpg3G/1LA shoal:ee/assets (name hashed)",
			},
			sshTrustPayload{Generate: true, HostKey: testHostKey, Record: true}},
		{"converged", withHostLine(trustFacts(testClientKey, "line "+line)), plan.NoOp,
			"web2's key /root/.ssh/shoal-ee-assets is authorized on web1 as root for rrsync -ro /var/www/ee/assets; web1's host key is recorded", nil, sshTrustPayload{}},
		{"a new key replaces the old line", withHostLine(trustFacts(testClientKey, "line restrict,command=\"rrsync -ro /old\" "+testHostKey+" shoal:ee/assets/web2")), plan.Update,
			"authorize web2's key on web1 as root for rrsync -ro /var/www/ee/assets (replacing its old line)",
			[]string{
				"web1 /root/.ssh/authorized_keys:",
				`  - restrict,command="rrsync -ro /old" ssh-ed25519 SHA256:r138poJ5XbgQu+UJkxzsAtq8J/Q2c9ZPiXmpg3G/1LA shoal:ee/assets/web2`,
				`  + restrict,from="10.0.0.12",command="rrsync -ro /var/www/ee/assets" ssh-ed25519 SHA256:xSIbiWZfFMKdcwoqaFvyeEM+jIKny8CAyM00NaxKarU shoal:ee/assets/web2`,
			},
			sshTrustPayload{Key: testClientKey, HostKey: testHostKey}},
		{"another client's line is not this one's", withHostLine(trustFacts(testClientKey, "line "+strings.Replace(line, "/web2", "/web3", 1))), plan.Update,
			"authorize web2's key on web1 as root for rrsync -ro /var/www/ee/assets", nil, sshTrustPayload{Key: testClientKey, HostKey: testHostKey}},
		{"host key not recorded", trustFacts(testClientKey, "line "+line), plan.Update,
			"record web1's host key", nil, sshTrustPayload{Key: testClientKey, HostKey: testHostKey, Record: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tr.Diff(context.Background(), tt.facts)
			failOn(t, err)
			got := c.Summary
			if c.Action == plan.NoOp || c.Action == plan.Conflict {
				got = c.Reason
			}
			if c.Action != tt.action || got != tt.summary {
				t.Fatalf("got %s %q\nwant %s %q", c.Action, got, tt.action, tt.summary)
			}
			if tt.details != nil {
				if d := cmp.Diff(tt.details, c.Details); d != "" {
					t.Errorf("details (-want +got):\n%s", d)
				}
			}
			if c.Action == plan.NoOp {
				return
			}
			p, err := plan.DecodePayload[sshTrustPayload](c)
			failOn(t, err)
			if d := cmp.Diff(tt.payload, p, cmp.AllowUnexported(sshTrustPayload{})); d != "" {
				t.Errorf("payload (-want +got):\n%s", d)
			}
		})
	}
}

// What makes the trust unsafe or useless is a conflict naming the node,
// what is wrong and the fix; nothing is written.
func TestSSHTrustConflicts(t *testing.T) {
	swap := func(f fixedFacts, node, old, new string) fixedFacts {
		for k, sec := range f[node] {
			f[node][k] = facts.Section{Output: strings.Replace(sec.Output, old, new, 1)}
		}
		return f
	}
	for _, tt := range []struct {
		name  string
		facts fixedFacts
		sftp  bool
		want  string
	}{
		{".ssh is a link", swap(trustFacts("absent"), "web1", "dir dir 700 0", "dir link /etc"), false, "web1: /root/.ssh is not a folder (a symlink to /etc)"},
		{"authorized_keys is a link", swap(trustFacts("absent"), "web1", "file file 600 0", "file link /etc/shadow"), false, "authorized_keys is not a regular file (a symlink to /etc/shadow)"},
		{"the key is a link", trustFacts("link"), false, "web2: /root/.ssh/shoal-ee-assets is a symlink"},
		{"a key with a passphrase", trustFacts("unusable"), false, "shoal never overwrites a key"},
		{"no such user", swap(trustFacts("absent"), "web1", "user root:x:0:0:root:/root:/bin/bash", "user absent"), false, "web1 has no user root"},
		{"no home", swap(trustFacts("absent"), "web1", "home dir 700 0", "home absent"), false, "web1: root's home folder /root does not exist"},
		{"nologin", swap(trustFacts("absent"), "web1", ":/bin/bash", ":/usr/sbin/nologin"), false, "shell is /usr/sbin/nologin"},
		{"nologin is fine for sftp", swap(trustFacts("absent"), "web1", ":/bin/bash", ":/usr/sbin/nologin"), true, ""},
		{"no rrsync", swap(trustFacts("absent"), "web1", "rrsync\n", ""), false, "web1 has no rrsync"},
		{"no host key", swap(trustFacts("absent"), "web1", "hostkey "+testHostKey, "hostkey absent"), false, "web1: has no /etc/ssh/ssh_host_ed25519_key.pub"},
		{"another keys file", swap(trustFacts("absent"), "web1", "authorizedkeysfile .ssh/authorized_keys .ssh/authorized_keys2", "authorizedkeysfile /etc/ssh/keys/%u"), false, "reads keys from /etc/ssh/keys/%u"},
		{"no sftp subsystem", swap(trustFacts("absent"), "web1", "sshd subsystem sftp internal-sftp\n", ""), true, "has no sftp Subsystem"},
		{"group-writable .ssh", swap(trustFacts("absent"), "web1", "dir dir 700 0", "dir dir 770 0"), false, "/root/.ssh is mode 0770"},
		{"strict modes off", swap(swap(trustFacts("absent"), "web1", "dir dir 700 0", "dir dir 770 0"), "web1", "strictmodes yes", "strictmodes no"), false, ""},
		{"no ssh-keygen", swap(trustFacts("absent"), "web2", "keygen\n", ""), false, "web2 has no ssh-keygen"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tr := assetsTrust()
			if tt.sftp {
				tr.Command, tr.Purpose, tr.RRsync, tr.SFTP = "internal-sftp", "SFTP only", "", true
			}
			c, err := tr.Diff(context.Background(), tt.facts)
			failOn(t, err)
			if tt.want == "" {
				if c.Action == plan.Conflict {
					t.Errorf("conflict: %s", c.Reason)
				}
				return
			}
			if c.Action != plan.Conflict || !strings.Contains(c.Reason, tt.want) {
				t.Errorf("got %s %q, want a conflict saying %q", c.Action, c.Reason, tt.want)
			}
		})
	}
}

// trustLab is a client and a server on this machine: getent is a fake
// that gives root (the client's account) and alice (the server's) homes
// in a temporary folder, owned by whoever runs the test.
type trustLab struct {
	dir, clientHome, serverHome string
	hosts                       map[string]transport.Host
}

func newTrustLab(t *testing.T) *trustLab {
	t.Helper()
	dir := t.TempDir()
	l := &trustLab{dir: dir, clientHome: filepath.Join(dir, "client-root"), serverHome: filepath.Join(dir, "server-alice")}
	for _, d := range []string{l.clientHome, l.serverHome, filepath.Join(dir, "bin")} {
		failOn(t, os.Mkdir(d, 0o755))
	}
	ids := fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid())
	getent := fmt.Sprintf(`#!/bin/sh
[ "$1" = passwd ] || exit 2
case "$2" in
root) echo 'root:x:%s:root:%s:/bin/sh' ;;
alice) echo 'alice:x:%s:Alice:%s:/bin/sh' ;;
*) exit 2 ;;
esac
`, ids, l.clientHome, ids, l.serverHome)
	failOn(t, os.WriteFile(filepath.Join(dir, "bin", "getent"), []byte(getent), 0o755))
	t.Setenv("PATH", filepath.Join(dir, "bin")+":"+os.Getenv("PATH"))
	l.hosts = map[string]transport.Host{"web1": &transport.Local{NodeName: "web1"}, "web2": &transport.Local{NodeName: "web2"}}
	return l
}

func (l *trustLab) trust(t *testing.T) *SSHTrust {
	t.Helper()
	if _, err := os.Stat(hostKeyFile); err != nil {
		t.Fatalf("this machine has no %s (install openssh-server): %v", hostKeyFile, err)
	}
	mirror := filepath.Join(l.dir, "assets")
	failOn(t, os.MkdirAll(mirror, 0o755))
	return &SSHTrust{
		Site: "ee", Name: "assets", Client: "web2", Server: "web1", Address: "web1.example", User: "alice",
		Key: filepath.Join(l.clientHome, "keys", "shoal-ee-assets"), Command: "rrsync -ro " + mirror, Purpose: "rrsync -ro " + mirror, RRsync: mirror,
	}
}

func (l *trustLab) plan(t *testing.T, tr *SSHTrust) *plan.Change {
	t.Helper()
	c, err := tr.Diff(context.Background(), facts.NewSet(l.hosts))
	failOn(t, err)
	return c
}

func (l *trustLab) apply(t *testing.T, tr *SSHTrust, c *plan.Change) error {
	t.Helper()
	return tr.ApplyHosts(context.Background(), l.hosts, c, &recorder{})
}

func (l *trustLab) authorizedKeys(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(l.serverHome, ".ssh", "authorized_keys"))
	failOn(t, err)
	return string(b)
}

// TestSSHTrustConvergesOnAHost sets a trust up between two "nodes" of
// this machine: the first apply generates the key, authorizes it beside
// lines shoal did not write, and records the host key; the plan is then
// empty. A deleted key is generated again and its line replaced, not
// added.
func TestSSHTrustConvergesOnAHost(t *testing.T) {
	l := newTrustLab(t)
	tr := l.trust(t)
	ssh := filepath.Join(l.serverHome, ".ssh")
	failOn(t, os.Mkdir(ssh, 0o700))
	theirs := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN7xDmPFykWwyuXPdCDlae/rrzyEiuBtlLacsFcdR+Z+ alice@laptop\n# a comment\n"
	failOn(t, os.WriteFile(filepath.Join(ssh, "authorized_keys"), []byte(theirs), 0o644))
	kh := filepath.Join(l.clientHome, ".ssh", "known_hosts")
	failOn(t, os.Mkdir(filepath.Dir(kh), 0o700))
	known := "files,10.0.0.5 " + testHostKey + "\n"
	failOn(t, os.WriteFile(kh, []byte(known), 0o644))

	c := l.plan(t, tr)
	if c.Action != plan.Create {
		t.Fatalf("first plan: %s %s %s", c.Action, c.Summary, c.Reason)
	}
	failOn(t, l.apply(t, tr, c))
	if again := l.plan(t, tr); again.Action != plan.NoOp {
		t.Fatalf("after apply: %s %s", again.Action, again.Summary)
	}
	ak := l.authorizedKeys(t)
	pub := strings.Fields(readOrFail(t, tr.Key+".pub"))
	wantLine := tr.authorizedLine(pub[0] + " " + pub[1])
	if ak != theirs+wantLine+"\n" {
		t.Errorf("authorized_keys:\n%s\nwant the old lines and then\n%s", ak, wantLine)
	}
	if st, err := os.Stat(filepath.Join(ssh, "authorized_keys")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("authorized_keys mode: %v %v", st.Mode(), err)
	}
	if bak := readOrFail(t, filepath.Join(ssh, "authorized_keys.shoal.bak")); bak != theirs {
		t.Errorf("backup: %q", bak)
	}
	if st, err := os.Stat(tr.Key); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("private key: %v %v", st, err)
	}
	if b := readOrFail(t, kh); !strings.HasPrefix(b, known) || strings.Count(b, "\n") != 2 {
		t.Errorf("known_hosts: want the old line and one more:\n%s", b)
	}
	if st, err := os.Stat(kh); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("known_hosts mode changed: %v %v", st.Mode(), err)
	}
	if out, err := exec.Command("ssh-keygen", "-F", "web1.example", "-f", kh).CombinedOutput(); err != nil || !strings.Contains(string(out), strings.Fields(readOrFail(t, hostKeyFile))[1]) {
		t.Errorf("known_hosts has no entry for web1.example with this machine's host key: %v\n%s", err, out)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(ssh, ".shoal-*")); len(leftovers) > 0 {
		t.Errorf("staging folders left behind: %v", leftovers)
	}

	// The key is lost: a new one replaces the old line.
	failOn(t, os.Remove(tr.Key))
	c = l.plan(t, tr)
	if c.Action != plan.Create || !strings.Contains(c.Summary, "generate a key") || !strings.Contains(c.Summary, "replacing its old line") {
		t.Fatalf("plan after the key was deleted: %s %q", c.Action, c.Summary)
	}
	failOn(t, l.apply(t, tr, c))
	if again := l.plan(t, tr); again.Action != plan.NoOp {
		t.Fatalf("after regenerating: %s %s", again.Action, again.Summary)
	}
	pub2 := strings.Fields(readOrFail(t, tr.Key+".pub"))
	if pub2[1] == pub[1] {
		t.Fatal("the key was not generated again")
	}
	if ak := l.authorizedKeys(t); ak != theirs+tr.authorizedLine(pub2[0]+" "+pub2[1])+"\n" {
		t.Errorf("authorized_keys after a new key:\n%s", ak)
	}
}

// Apply re-checks what the plan saw: a key that appeared, a key that
// changed, and a link planted in the server user's ~/.ssh after the plan
// are refused (exit 3), and nothing is written through the link.
func TestSSHTrustApplyRefusesWhatChangedSinceThePlan(t *testing.T) {
	l := newTrustLab(t)
	tr := l.trust(t)
	c := l.plan(t, tr)
	if c.Action != plan.Create {
		t.Fatalf("plan: %s %s %s", c.Action, c.Summary, c.Reason)
	}

	failOn(t, os.MkdirAll(filepath.Dir(tr.Key), 0o700))
	runOrFail(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", tr.Key)
	planted := readOrFail(t, tr.Key)
	expectExit3(t, l.apply(t, tr, c), "appeared since the plan")
	if readOrFail(t, tr.Key) != planted {
		t.Error("the key found at apply time was overwritten")
	}

	c = l.plan(t, tr) // authorize the key now there
	failOn(t, os.Remove(tr.Key))
	runOrFail(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", tr.Key)
	expectExit3(t, l.apply(t, tr, c), "changed since the plan")

	c = l.plan(t, tr)
	victim := filepath.Join(l.dir, "victim")
	failOn(t, os.WriteFile(victim, []byte("precious\n"), 0o644))
	failOn(t, os.MkdirAll(filepath.Join(l.serverHome, ".ssh"), 0o700))
	failOn(t, os.Symlink(victim, filepath.Join(l.serverHome, ".ssh", "authorized_keys")))
	expectExit3(t, l.apply(t, tr, c), "not a regular file (a symlink?)")
	if b := readOrFail(t, victim); b != "precious\n" {
		t.Errorf("written through the link: %q", b)
	}
	if again := l.plan(t, tr); again.Action != plan.Conflict || !strings.Contains(again.Reason, "a symlink to "+victim) {
		t.Errorf("the next plan: %s %q", again.Action, again.Reason)
	}

	failOn(t, os.Remove(filepath.Join(l.serverHome, ".ssh", "authorized_keys")))
	failOn(t, os.Remove(filepath.Join(l.serverHome, ".ssh")))
	failOn(t, os.Symlink(l.dir, filepath.Join(l.serverHome, ".ssh")))
	expectExit3(t, l.apply(t, tr, c), "not a folder (a symlink?)")
	if _, err := os.Stat(filepath.Join(l.dir, "authorized_keys")); err == nil {
		t.Error("authorized_keys written through a linked ~/.ssh")
	}
}

func expectExit3(t *testing.T, err error, want string) {
	t.Helper()
	var exit *transport.ExitError
	if !errors.As(err, &exit) || exit.Status != 3 || !strings.Contains(err.Error(), want) {
		t.Errorf("apply: %v; want exit 3 saying %q", err, want)
	}
}

func readOrFail(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	failOn(t, err)
	return string(b)
}

func runOrFail(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// An apply interrupted after the key was made (before the server heard of
// it) leaves a state the next plan finishes: authorize, not generate.
func TestSSHTrustFinishesAnInterruptedApply(t *testing.T) {
	l := newTrustLab(t)
	tr := l.trust(t)
	c := l.plan(t, tr)
	p, err := plan.DecodePayload[sshTrustPayload](c)
	failOn(t, err)
	failOn(t, l.hosts["web2"].Run(context.Background(), transport.Command{Script: tr.keyScript(p)})) // then the connection drops

	c = l.plan(t, tr)
	if c.Action != plan.Update || strings.Contains(c.Summary, "generate") || !strings.HasPrefix(c.Summary, "authorize web2's key on web1") {
		t.Fatalf("plan after an interrupted apply: %s %q", c.Action, c.Summary)
	}
	key := readOrFail(t, tr.Key)
	failOn(t, l.apply(t, tr, c))
	if again := l.plan(t, tr); again.Action != plan.NoOp {
		t.Fatalf("after finishing: %s %s", again.Action, again.Summary)
	}
	if readOrFail(t, tr.Key) != key {
		t.Error("the key made by the interrupted apply was replaced")
	}
}
