package transport

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestResolveRoute(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	config := `
Host bastion
    HostName 192.0.2.1
    User jump
    Port 2200
    IdentityFile ~/.ssh/bastion_key

Host inner
    ProxyJump bastion

Host web?
    HostName %h.example.net
    IdentityFile ~/.ssh/%r_key
    IdentityFile /keys/second
    UserKnownHostsFile ~/.ssh/kh_a ~/.ssh/kh_b
    StrictHostKeyChecking no
    ConnectTimeout 3

Host files
    ProxyJump none
`
	tests := []struct {
		name   string
		target Target
		opts   Options
		want   route
	}{
		{
			name:   "defaults",
			target: Target{Node: "db", Host: "10.0.0.9"},
			want: route{node: "db", dest: endpoint{host: "10.0.0.9", port: 22, user: "root",
				identityFiles:  []string{home + "/.ssh/id_ed25519", home + "/.ssh/id_ecdsa", home + "/.ssh/id_rsa"},
				knownHosts:     []string{home + "/.ssh/known_hosts", "/etc/ssh/ssh_known_hosts"},
				connectTimeout: 10 * time.Second}},
		},
		{
			name:   "alias with tokens, several files, accept-new from StrictHostKeyChecking=no",
			target: Target{Node: "web1", Host: "web1", User: "deploy"},
			want: route{node: "web1", dest: endpoint{host: "web1.example.net", port: 22, user: "deploy",
				identityFiles: []string{home + "/.ssh/deploy_key", "/keys/second"}, explicitIDs: true,
				knownHosts:     []string{home + "/.ssh/kh_a", home + "/.ssh/kh_b", "/etc/ssh/ssh_known_hosts"},
				acceptNew:      true,
				connectTimeout: 3 * time.Second}},
		},
		{
			name:   "options and target fields win over ssh_config",
			target: Target{Node: "web1", Host: "web1", Port: 2222, IdentityFile: "/k/id"},
			opts:   Options{KnownHosts: []string{"/k/known"}, ConnectTimeout: time.Second},
			want: route{node: "web1", dest: endpoint{host: "web1.example.net", port: 2222, user: "root",
				identityFiles: []string{"/k/id"}, explicitIDs: true,
				knownHosts: []string{"/k/known"}, acceptNew: true, connectTimeout: time.Second}},
		},
		{
			name:   "jump chain: the first hop's own ProxyJump comes first; hops borrow the node's key",
			target: Target{Node: "files", Host: "files", Jump: "admin@inner:2022,[2001:db8::1]:23", IdentityFile: "/k/id"},
			opts:   Options{KnownHosts: []string{"/k/known"}},
			want: route{node: "files",
				jumps: []endpoint{
					{host: "192.0.2.1", port: 2200, user: "jump", identityFiles: []string{home + "/.ssh/bastion_key"}, explicitIDs: true},
					{host: "inner", port: 2022, user: "admin", identityFiles: []string{"/k/id"}, explicitIDs: true},
					{host: "2001:db8::1", port: 23, user: "root", identityFiles: []string{"/k/id"}, explicitIDs: true},
				},
				dest: endpoint{host: "files", port: 22, user: "root", identityFiles: []string{"/k/id"}, explicitIDs: true}},
		},
		{
			name:   "ProxyJump none in ssh_config",
			target: Target{Node: "files", Host: "files", IdentityFile: "/k/id"},
			opts:   Options{KnownHosts: []string{"/k/known"}},
			want:   route{node: "files", dest: endpoint{host: "files", port: 22, user: "root", identityFiles: []string{"/k/id"}, explicitIDs: true}},
		},
	}
	path := filepath.Join(home, "config")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.SSHConfig = path
			sc, err := loadSSHConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := resolveRoute(tt.target, tt.opts, sc)
			if err != nil {
				t.Fatal(err)
			}
			// Fill what every case shares so the table shows only what differs.
			fill := func(e *endpoint) {
				if e.knownHosts == nil {
					e.knownHosts = tt.opts.KnownHosts
				}
				if e.connectTimeout == 0 {
					e.connectTimeout = 10 * time.Second
				}
			}
			fill(&tt.want.dest)
			for i := range tt.want.jumps {
				fill(&tt.want.jumps[i])
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(route{}, endpoint{})); diff != "" {
				t.Errorf("route (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveRouteRefuses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	os.WriteFile(path, []byte("Host loop\n    ProxyJump loop\n"), 0o600)
	sc, err := loadSSHConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		target Target
		want   string
	}{
		{Target{Node: "web1", Host: "loop"}, `web1: ProxyJump "loop": more than 8 nested jump hosts`},
		{Target{Node: "web1", Host: ""}, "web1: no host to connect to"},
		{Target{Node: "web1", Host: "a", Jump: "root@"}, `web1: ProxyJump "root@": no host`},
		{Target{Node: "web1", Host: "a", Jump: "b:ssh"}, `web1: ProxyJump "b:ssh": bad port`},
	}
	for _, tt := range tests {
		_, err := resolveRoute(tt.target, Options{}, sc)
		if err == nil || err.Error() != tt.want {
			t.Errorf("resolveRoute(%+v) error = %v, want %s", tt.target, err, tt.want)
		}
	}
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	tail := &tailBuffer{max: 5}
	for _, s := range []string{"abc", "defg", "h"} {
		tail.Write([]byte(s))
	}
	if got := tail.String(); got != "defgh" {
		t.Errorf("tail = %q, want %q", got, "defgh")
	}
}
