package transport

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testDialer resolves with shoal's own reader of config, for a local user
// alice whose home is home: what ssh -G would say is the parity test's
// business, how settings become endpoints is this file's.
func testDialer(t *testing.T, config string, o Options) (*dialer, string) {
	t.Helper()
	home := t.TempDir()
	path := filepath.Join(home, "config")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	o.SSHConfig = path
	local := localUser{name: "alice", home: home, uid: "1000", host: "laptop.example", shortHost: "laptop"}
	return &dialer{opts: o, local: local, configs: newConfigCache(&readerResolver{configFile: path, local: local}),
		hostKeys: &hostKeys{}, jumps: &jumpPool{}}, home
}

// hop is what a test checks of an endpoint.
type hop struct {
	Addr       string // user@host:port
	Keys       []string
	KnownHosts []string
	AcceptNew  bool
	Timeout    time.Duration
	Proxy      string
}

func hopOf(e endpoint, home string) hop {
	h := hop{Addr: e.String(), AcceptNew: e.acceptNew, Timeout: e.connectTimeout, Proxy: e.proxyCommand}
	for _, id := range e.identityFiles {
		p := strings.Replace(id.path, home, "~", 1)
		if id.named {
			p += " (named)"
		}
		h.Keys = append(h.Keys, p)
	}
	for _, f := range e.knownHosts {
		h.KnownHosts = append(h.KnownHosts, strings.Replace(f, home, "~", 1))
	}
	return h
}

var (
	defaultKeys = []string{"~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ecdsa_sk", "~/.ssh/id_ed25519",
		"~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss", "~/.ssh/id_dsa"}
	defaultKnownHosts = []string{"~/.ssh/known_hosts", "~/.ssh/known_hosts2", "/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}
)

func TestResolveRoute(t *testing.T) {
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
    IdentityFile /keys/%L/%n
    UserKnownHostsFile ~/.ssh/kh_a ~/.ssh/kh_%h
    StrictHostKeyChecking no
    ConnectTimeout 3

Host proxied
    HostName 10.0.0.7
    User deploy
    ProxyCommand ssh -W %h:%p -l %r bastion %%

Host behind-proxied
    ProxyJump proxied

Host files
    ProxyJump none

Host matchme
    HostName 10.0.0.8

Host 10.0.0.*
    User matched-late

Match host 10.0.0.*
    User matched
`
	tests := []struct {
		name   string
		target Target
		opts   Options
		jumps  []hop
		dest   hop
	}{
		{
			name:   "defaults: the local user, OpenSSH's key files and known_hosts",
			target: Target{Node: "db", Host: "192.0.2.9"},
			dest:   hop{Addr: "alice@192.0.2.9:22", Keys: defaultKeys, KnownHosts: defaultKnownHosts, Timeout: 10 * time.Second},
		},
		{
			name:   "alias with tokens, several files, accept-new from StrictHostKeyChecking=no",
			target: Target{Node: "web1", Host: "web1", User: "deploy"},
			dest: hop{Addr: "deploy@web1.example.net:22", Keys: []string{"~/.ssh/deploy_key (named)", "/keys/laptop/web1 (named)"},
				KnownHosts: []string{"~/.ssh/kh_a", "~/.ssh/kh_web1.example.net", "/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"},
				AcceptNew:  true, Timeout: 3 * time.Second},
		},
		{
			name:   "options and the node block win over ssh_config",
			target: Target{Node: "web1", Host: "web1", Port: 2222, IdentityFile: "/k/id"},
			opts:   Options{KnownHosts: []string{"/k/known"}, ConnectTimeout: time.Second},
			dest: hop{Addr: "alice@web1.example.net:2222", Keys: []string{"/k/id (named)"},
				KnownHosts: []string{"/k/known"}, AcceptNew: true, Timeout: time.Second},
		},
		{
			name:   "Match host sees the HostName, Host the alias",
			target: Target{Node: "m", Host: "matchme"},
			dest:   hop{Addr: "matched@10.0.0.8:22", Keys: defaultKeys, KnownHosts: defaultKnownHosts, Timeout: 10 * time.Second},
		},
		{
			name:   "jump chain: the first hop's own ProxyJump comes first; hops borrow the node's key",
			target: Target{Node: "files", Host: "files", Jump: "admin@inner:2022,[2001:db8::1]:23", IdentityFile: "/k/id"},
			opts:   Options{KnownHosts: []string{"/k/known"}},
			jumps: []hop{
				{Addr: "jump@192.0.2.1:2200", Keys: []string{"/k/id (named)", "~/.ssh/bastion_key (named)"}},
				{Addr: "admin@inner:2022", Keys: append([]string{"/k/id (named)"}, defaultKeys...)},
				{Addr: "alice@[2001:db8::1]:23", Keys: append([]string{"/k/id (named)"}, defaultKeys...)},
			},
			dest: hop{Addr: "alice@files:22", Keys: []string{"/k/id (named)"}},
		},
		{
			name:   "ProxyJump none in ssh_config",
			target: Target{Node: "files", Host: "files", IdentityFile: "/k/id"},
			opts:   Options{KnownHosts: []string{"/k/known"}},
			dest:   hop{Addr: "alice@files:22", Keys: []string{"/k/id (named)"}},
		},
		{
			name:   "ProxyCommand with its tokens expanded",
			target: Target{Node: "p", Host: "proxied", IdentityFile: "/k/id"},
			opts:   Options{KnownHosts: []string{"/k/known"}},
			dest:   hop{Addr: "deploy@10.0.0.7:22", Keys: []string{"/k/id (named)"}, Proxy: "ssh -W 10.0.0.7:22 -l deploy bastion %"},
		},
		{
			name:   "a jump host reached through its ProxyCommand",
			target: Target{Node: "b", Host: "behind-proxied", IdentityFile: "/k/id"},
			opts:   Options{KnownHosts: []string{"/k/known"}},
			jumps: []hop{{Addr: "deploy@10.0.0.7:22", Keys: append([]string{"/k/id (named)"}, defaultKeys...),
				Proxy: "ssh -W 10.0.0.7:22 -l deploy bastion %"}},
			dest: hop{Addr: "alice@behind-proxied:22", Keys: []string{"/k/id (named)"}},
		},
		{
			name:   "jump = \"none\" in the node block drops ssh_config's ProxyCommand",
			target: Target{Node: "p", Host: "proxied", IdentityFile: "/k/id", Jump: "none"},
			opts:   Options{KnownHosts: []string{"/k/known"}},
			dest:   hop{Addr: "deploy@10.0.0.7:22", Keys: []string{"/k/id (named)"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, home := testDialer(t, config, tt.opts)
			r, err := d.resolveRoute(context.Background(), tt.target)
			if err != nil {
				t.Fatal(err)
			}
			// Fill what every case shares so the table shows only what differs.
			fill := func(h *hop) {
				if h.KnownHosts == nil {
					h.KnownHosts = tt.opts.KnownHosts
				}
				if h.Timeout == 0 {
					h.Timeout = 10 * time.Second
				}
			}
			fill(&tt.dest)
			var gotJumps []hop
			for i, j := range r.jumps {
				fill(&tt.jumps[i])
				gotJumps = append(gotJumps, hopOf(j, home))
			}
			if diff := cmp.Diff(tt.jumps, gotJumps); diff != "" {
				t.Errorf("jumps (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.dest, hopOf(r.dest, home)); diff != "" {
				t.Errorf("node (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveRouteRefuses(t *testing.T) {
	d, _ := testDialer(t, "Host loop\n    ProxyJump loop\nHost badtoken\n    ProxyCommand nc %x\n", Options{})
	tests := []struct {
		target Target
		want   string
	}{
		{Target{Node: "web1", Host: "loop"}, `web1: ProxyJump "loop": more than 8 nested jump hosts`},
		{Target{Node: "web1", Host: ""}, "web1: no host to connect to"},
		{Target{Node: "web1", Host: "a", Jump: "root@"}, `web1: ProxyJump "root@": no host`},
		{Target{Node: "web1", Host: "a", Jump: "b:ssh"}, `web1: ProxyJump "b:ssh": bad port`},
		{Target{Node: "web1", Host: "badtoken"}, `web1: ProxyCommand: "nc %x": unknown token %x`},
	}
	for _, tt := range tests {
		_, err := d.resolveRoute(context.Background(), tt.target)
		if err == nil || err.Error() != tt.want {
			t.Errorf("resolveRoute(%+v) error = %v, want %s", tt.target, err, tt.want)
		}
	}
}

func TestConfigCacheAsksOncePerQuery(t *testing.T) {
	counting := &countingResolver{}
	cache := newConfigCache(counting)
	ctx := context.Background()
	done := make(chan struct{})
	for range 20 {
		go func() {
			cache.get(ctx, configQuery{Host: "web1"})
			done <- struct{}{}
		}()
	}
	for range 20 {
		<-done
	}
	cache.get(ctx, configQuery{Host: "web1", User: "deploy"})
	if counting.calls != 2 {
		t.Errorf("resolver asked %d times, want 2 (one per distinct query)", counting.calls)
	}
}

type countingResolver struct{ calls int }

func (c *countingResolver) source() string { return "counting" }
func (c *countingResolver) resolve(ctx context.Context, q configQuery) (hostConfig, error) {
	c.calls++ // the cache serialises first calls per query; distinct queries here run one after another
	time.Sleep(10 * time.Millisecond)
	return hostConfig{Host: q.Host, IdentityFiles: []string{"a"}}, nil
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
