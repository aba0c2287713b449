package transport

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// parityCases are ssh_config files for which shoal's reader must resolve
// exactly what `ssh -G` does, field by field. want pins what the case is
// about in ssh -G's own words, so that the two cannot agree on a mistake
// unnoticed. $DIR is the case's directory; "config" is passed as -F.
var parityCases = []struct {
	name  string
	files map[string]string
	query configQuery
	want  map[string]string // ssh -G keyword → value
	fails bool              // ssh -G refuses the config, and so must the reader
}{
	{
		name:  "defaults",
		files: map[string]string{"config": "# nothing\n"},
		query: configQuery{Host: "10.0.0.9"},
		want: map[string]string{"hostname": "10.0.0.9", "port": "22", "stricthostkeychecking": "ask",
			"identityfile":         "~/.ssh/id_rsa ~/.ssh/id_ecdsa ~/.ssh/id_ecdsa_sk ~/.ssh/id_ed25519 ~/.ssh/id_ed25519_sk ~/.ssh/id_xmss ~/.ssh/id_dsa",
			"globalknownhostsfile": "/etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2", "connecttimeout": "none",
			"serveraliveinterval": "0", "serveralivecountmax": "3", "identitiesonly": "no", "hashknownhosts": "no"},
	},
	{
		name: "Host wildcards, %h in HostName, Port, first value wins",
		files: map[string]string{"config": `
Host web?
    HostName %h.example.net
    Port 2222
    User deploy

Host *
    User nobody
    Port 22
`},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"hostname": "web1.example.net", "port": "2222", "user": "deploy"},
	},
	{
		name: "negated Host pattern and keyword=value forms",
		files: map[string]string{"config": `
Host *.example.net !db.example.net
  User=web
Host db.example.net
  User = dba
Host *
  Port= 2200   # a comment
`},
		query: configQuery{Host: "db.example.net"},
		want:  map[string]string{"user": "dba", "port": "2200"},
	},
	{
		name: "upper-case alias: HostName lower-cased, patterns case-sensitive",
		files: map[string]string{"config": `
Host WEB1
    HostName Web1.Example.NET
Host web1
    User lower
`},
		query: configQuery{Host: "WEB1"},
		want:  map[string]string{"hostname": "web1.example.net"},
	},
	{
		name: "Include: absolute, glob, inside a Host block",
		files: map[string]string{
			"config": `
Host inc
    Include $DIR/conf.d/*.conf
Host other
    Include $DIR/never.conf
Host *
    User fallback
`,
			"conf.d/10-first.conf":  "HostName 10.1.1.1\nHost *\nPort 2022\n",
			"conf.d/20-second.conf": "HostName 10.2.2.2\nUser included\n",
			"never.conf":            "Host *\nUser never\n",
		},
		query: configQuery{Host: "inc"},
		want:  map[string]string{"hostname": "10.1.1.1", "port": "2022", "user": "included"},
	},
	{
		name: "IdentityFile: ~, %d, %r, %h kept as written, in order, duplicates once",
		files: map[string]string{"config": `
Host web1
    User deploy
    IdentityFile ~/.ssh/%r_key
    IdentityFile %d/keys/%h
    IdentityFile "$DIR/with space"
Host *
    IdentityFile ~/.ssh/%r_key
    IdentityFile /keys/shared
`},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"identityfile": "~/.ssh/%r_key %d/keys/%h $DIR/with space /keys/shared"},
	},
	{
		name: "two UserKnownHostsFiles with tokens, GlobalKnownHostsFile as written",
		files: map[string]string{"config": `
Host web1
    HostName 10.0.0.1
    User deploy
    Port 2200
    UserKnownHostsFile ~/.ssh/kh_%h_%p $DIR/kh_%r_%u_%n
    GlobalKnownHostsFile /etc/ssh/kh_%h
`},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"globalknownhostsfile": "/etc/ssh/kh_%h"},
	},
	{
		name: "ProxyJump: hops as written, an address in brackets",
		files: map[string]string{"config": `
Host files
    ProxyJump admin@bastion:2022,10.0.0.1:23
Host bastion
    ProxyCommand nc %h %p
`},
		query: configQuery{Host: "files"},
		want:  map[string]string{"proxyjump": "admin@bastion:2022,[10.0.0.1]:23", "proxycommand": ""},
	},
	{
		name: "ProxyCommand as written; a later ProxyJump loses",
		files: map[string]string{"config": `
Host web1
    ProxyCommand ssh -W %h:%p bastion   # not a comment: part of the command
Host *
    ProxyJump other
`},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"proxycommand": "ssh -W %h:%p bastion   # not a comment: part of the command", "proxyjump": ""},
	},
	{
		name: "ProxyJump first disables a later ProxyCommand",
		files: map[string]string{"config": `
Host web1
    ProxyJump bastion
    ProxyCommand nc %h %p
`},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"proxyjump": "bastion", "proxycommand": ""},
	},
	{
		name: "ProxyJump none, then a ProxyCommand",
		files: map[string]string{"config": `
Host web1
    ProxyJump none
Host *
    ProxyCommand nc %h %p
    ProxyJump bastion
`},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"proxyjump": "", "proxycommand": "nc %h %p"},
	},
	{
		name: "Match host sees HostName, not the alias",
		files: map[string]string{"config": `
Host web1
    HostName 10.0.0.11
Match host 10.0.0.*
    User deploy
Match host web1
    Port 2222
`},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"user": "deploy", "port": "22"},
	},
	{
		name: "Match originalhost and a second criterion",
		files: map[string]string{"config": `
Host web1
    HostName 10.0.0.11
Match originalhost web1 host 10.0.0.11
    User both
Match originalhost web2
    Port 2
`},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"user": "both", "port": "22"},
	},
	{
		name: "Match host X localuser <someone else> is two criteria",
		files: map[string]string{"config": `
Match host web1 localuser nobody-here
    User wrong
Match host web1 !localuser nobody-here
    Port 2201
`},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"port": "2201"},
	},
	{
		name: "Match user sees -l",
		files: map[string]string{"config": `
Match user deploy
    Port 2202
`},
		query: configQuery{Host: "web1", User: "deploy"},
		want:  map[string]string{"user": "deploy", "port": "2202"},
	},
	{
		name: "Match user sees the User set so far",
		files: map[string]string{"config": `
Host web1
    User admin
Match user adm*
    IdentityFile ~/.ssh/admin
`},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"identityfile": "~/.ssh/admin"},
	},
	{
		name: "Match exec with tokens; a failing exec; exec skipped after a failed criterion",
		files: map[string]string{"config": `
Host web1
    HostName 10.0.0.11
Match exec "test %h = 10.0.0.11 && test %n = web1"
    User execd
Match exec false
    Port 2
Match host nomatch exec "touch $DIR/ran"
    Port 3
`},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"user": "execd", "port": "22"},
	},
	{
		name: "Match all and Match final",
		files: map[string]string{"config": `
Host web1
    HostName 10.0.0.11
Match final host 10.0.0.11
    User final
Match all
    Port 2203
`},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"user": "final", "port": "2203"},
	},
	{
		name: "-p wins over Port; HostName with -l",
		files: map[string]string{"config": `
Host web1
    Port 2222
    User config
`},
		query: configQuery{Host: "web1", User: "cli", Port: 2200},
		want:  map[string]string{"port": "2200", "user": "cli"},
	},
	{
		name: "authentication: IdentitiesOnly, CertificateFile, IdentityAgent none",
		files: map[string]string{"config": `
Host web1
    IdentitiesOnly yes
    IdentityFile ~/.ssh/deploy
    CertificateFile ~/.ssh/deploy-cert.pub
    CertificateFile %d/ca/%r.pub
    IdentityAgent none
`},
		query: configQuery{Host: "web1"},
		want: map[string]string{"identitiesonly": "yes", "identityagent": "none",
			"certificatefile": "~/.ssh/deploy-cert.pub %d/ca/%r.pub"},
	},
	{
		name: "agent-only keys: IdentityAgent path with tokens",
		files: map[string]string{"config": `
Host web1
    IdentityAgent ~/agent.%h.sock
Host web2
    IdentityAgent $SSH_AUTH_SOCK
Host web3
    IdentityAgent SSH_AUTH_SOCK
`},
		query: configQuery{Host: "web1"},
	},
	{
		name: "host keys: HostKeyAlias, HashKnownHosts, StrictHostKeyChecking accept-new",
		files: map[string]string{"config": `
Host web1
    HostKeyAlias web-cluster
    HashKnownHosts yes
    StrictHostKeyChecking accept-new
`},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"hostkeyalias": "web-cluster", "hashknownhosts": "yes", "stricthostkeychecking": "accept-new"},
	},
	{
		name:  "StrictHostKeyChecking no",
		files: map[string]string{"config": "StrictHostKeyChecking no\n"},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"stricthostkeychecking": "false"},
	},
	{
		name: "timeouts: ConnectTimeout with units, ServerAlive*",
		files: map[string]string{"config": `
Host web1
    ConnectTimeout 1m30s
    ServerAliveInterval 20
    ServerAliveCountMax 5
`},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"connecttimeout": "90", "serveraliveinterval": "20", "serveralivecountmax": "5"},
	},
	{
		name: "algorithms: + appends, - removes by pattern",
		files: map[string]string{"config": `
Host web1
    HostKeyAlgorithms +ssh-rsa
    PubkeyAcceptedKeyTypes -*-cert-v01@openssh.com,sk-*
`},
		query: configQuery{Host: "web1"},
		want: map[string]string{
			"pubkeyacceptedalgorithms": "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256"},
	},
	{
		name: "algorithms: ^ puts first, a list with patterns replaces",
		files: map[string]string{"config": `
Host web1
    HostKeyAlgorithms ^ssh-rsa,rsa-sha2-256
    PubkeyAcceptedAlgorithms ssh-ed25519*,rsa-sha2-*
`},
		query: configQuery{Host: "web1"},
		want: map[string]string{
			"pubkeyacceptedalgorithms": "ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,rsa-sha2-256,rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512,rsa-sha2-512-cert-v01@openssh.com"},
	},
	{
		name:  "ProxyJump as an ssh:// URI; tabs and = around values; Match criteria in any case",
		files: map[string]string{"config": "Host web1\n\tProxyJump\t=\tssh://jump@bastion:2222\nMatch Host web1 !HOST other\n\tUser\t= cased\n"},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"proxyjump": "jump@bastion:2222", "user": "cased"},
	},
	{
		name: "none: IdentityFile, UserKnownHostsFile, HostKeyAlias, ProxyCommand",
		files: map[string]string{"config": `
Host web1
    IdentityFile none
    UserKnownHostsFile none
    GlobalKnownHostsFile none
    HostKeyAlias none
    ProxyCommand none
    ConnectTimeout 0
`},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"identityfile": "none", "userknownhostsfile": "none", "proxycommand": ""},
	},
	{
		name:  "an unsupported Match criterion is an error",
		files: map[string]string{"config": "Match color blue\n    User x\n"},
		query: configQuery{Host: "web1"},
		fails: true,
	},
	{
		name:  "a port is a number or a service",
		files: map[string]string{"config": "Host web1\n    Port http\n"},
		query: configQuery{Host: "web1"},
		want:  map[string]string{"port": "80"},
	},
	{
		name:  "a bad port is an error",
		files: map[string]string{"config": "Port nosuch\n"},
		query: configQuery{Host: "web1"},
		fails: true,
	},
	{
		name:  "an unknown algorithm is an error",
		files: map[string]string{"config": "HostKeyAlgorithms ssh-ed25519,no-such-algorithm\n"},
		query: configQuery{Host: "web1"},
		fails: true,
	},
	{
		name:  "unbalanced quotes are an error",
		files: map[string]string{"config": "IdentityFile \"/keys/a\n"},
		query: configQuery{Host: "web1"},
		fails: true,
	},
}

func TestSSHConfigParityWithOpenSSH(t *testing.T) {
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but no ssh client: the parity test needs OpenSSH as its oracle")
		}
		t.Skip("no ssh client to compare with")
	}
	for _, tc := range parityCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				path := filepath.Join(dir, name)
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, []byte(strings.ReplaceAll(content, "$DIR", dir)), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			config := filepath.Join(dir, "config")
			ctx := context.Background()
			openssh, err := (&opensshResolver{ssh: ssh, configFile: config}).resolve(ctx, tc.query)
			reader, readerErr := (&readerResolver{configFile: config, local: currentLocalUser()}).resolve(ctx, tc.query)
			if tc.fails {
				if err == nil || readerErr == nil {
					t.Fatalf("ssh -G error %v, shoal's reader error %v: both should fail", err, readerErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ssh -G: %v", err)
			}
			if readerErr != nil {
				t.Fatalf("shoal's reader: %v", readerErr)
			}
			for key, want := range tc.want {
				want = strings.ReplaceAll(want, "$DIR", dir)
				if got := sshGField(openssh, key); got != want {
					t.Errorf("ssh -G says %s %q, the case expects %q", key, got, want)
				}
			}
			if diff := cmp.Diff(openssh, reader); diff != "" {
				t.Errorf("shoal's reader differs from ssh -G (-ssh +shoal):\n%s", diff)
			}
			if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
				t.Error("a Match exec ran after a criterion before it failed")
			}
		})
	}
}

// TestSSHConfigParityWithoutF compares the two on the user's and the
// system's own files, as a run without -F reads them.
func TestSSHConfigParityWithoutF(t *testing.T) {
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("no ssh client to compare with")
	}
	q := configQuery{Host: "some-host.example"}
	openssh, err := (&opensshResolver{ssh: ssh}).resolve(context.Background(), q)
	if err != nil {
		t.Fatalf("ssh -G: %v", err)
	}
	reader, err := (&readerResolver{local: currentLocalUser()}).resolve(context.Background(), q)
	if err != nil {
		t.Fatalf("shoal's reader: %v", err)
	}
	if diff := cmp.Diff(openssh, reader); diff != "" {
		t.Errorf("shoal's reader differs from ssh -G (-ssh +shoal):\n%s", diff)
	}
}

// sshGField is one field as ssh -G prints it ("" when it prints none).
func sshGField(c hostConfig, key string) string {
	yesNo := map[bool]string{true: "yes", false: "no"}
	switch key {
	case "hostname":
		return c.Hostname
	case "user":
		return c.User
	case "port":
		return strconv.Itoa(c.Port)
	case "identityfile":
		return strings.Join(c.IdentityFiles, " ")
	case "certificatefile":
		return strings.Join(c.CertificateFiles, " ")
	case "identitiesonly":
		return yesNo[c.IdentitiesOnly]
	case "identityagent":
		return c.IdentityAgent
	case "proxyjump":
		return c.ProxyJump
	case "proxycommand":
		return c.ProxyCommand
	case "userknownhostsfile":
		return strings.Join(c.UserKnownHostsFiles, " ")
	case "globalknownhostsfile":
		return strings.Join(c.GlobalKnownHostsFiles, " ")
	case "stricthostkeychecking":
		return c.StrictHostKeyChecking
	case "hostkeyalias":
		return c.HostKeyAlias
	case "hashknownhosts":
		return yesNo[c.HashKnownHosts]
	case "connecttimeout":
		if c.ConnectTimeout == 0 {
			return "none"
		}
		return strconv.Itoa(c.ConnectTimeout)
	case "serveraliveinterval":
		return strconv.Itoa(c.ServerAliveInterval)
	case "serveralivecountmax":
		return strconv.Itoa(c.ServerAliveCountMax)
	case "hostkeyalgorithms":
		return strings.Join(c.HostKeyAlgorithms, ",")
	case "pubkeyacceptedalgorithms":
		return strings.Join(c.PubkeyAcceptedAlgorithms, ",")
	}
	panic("sshGField: unknown key " + key)
}

func TestSSHGThatHangsTimesOut(t *testing.T) {
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("no ssh client")
	}
	config := filepath.Join(t.TempDir(), "config")
	os.WriteFile(config, []byte("Match exec \"sleep 10\"\n    User never\n"), 0o600)
	r := &opensshResolver{ssh: ssh, configFile: config, timeout: 200 * time.Millisecond}
	start := time.Now()
	_, err = r.resolve(context.Background(), configQuery{Host: "web1"})
	want := "ssh -G web1: no answer within 200ms (a Match exec that does not return?)"
	if err == nil || err.Error() != want || time.Since(start) > 5*time.Second {
		t.Errorf("error %v after %s, want %q at once", err, time.Since(start), want)
	}
}
