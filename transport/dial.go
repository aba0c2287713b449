package transport

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
)

// dialer carries what the dials of one run share.
type dialer struct {
	opts     Options
	local    localUser
	configs  *configCache
	hostKeys *hostKeys
	jumps    *jumpPool
}

func newDialer(o Options) *dialer {
	local := currentLocalUser()
	resolver := newConfigResolver(o.SSHConfig, local)
	if _, own := resolver.(*readerResolver); own {
		o.log("", "no ssh client in PATH: ssh_config is read by "+resolver.source()+" (no CanonicalizeHostname; unknown keywords ignored)")
	}
	return &dialer{opts: o, local: local, configs: newConfigCache(resolver), hostKeys: &hostKeys{}, jumps: &jumpPool{}}
}

// Dial opens one SSH connection to t (through its jump hosts, if any),
// verifying host keys and authenticating. Runs on the Conn share it.
// Use DialAll for many nodes: it also shares jump host connections.
func Dial(ctx context.Context, t Target, o Options) (*Conn, error) {
	return newDialer(o).dial(ctx, t)
}

// DialAll dials every target, at most parallel at once (≤0: all at once),
// and returns the connections and the errors, both keyed by node name.
// Every node's error is collected; one failure does not stop the others.
func DialAll(ctx context.Context, ts []Target, o Options, parallel int) (map[string]*Conn, map[string]error) {
	conns := map[string]*Conn{}
	errs := map[string]error{}
	d := newDialer(o)
	if parallel <= 0 {
		parallel = len(ts)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, max(parallel, 1))
	for _, t := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			c, err := d.dial(ctx, t)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[t.Node] = err
				return
			}
			conns[t.Node] = c
		}()
	}
	wg.Wait()
	return conns, errs
}

func (d *dialer) dial(ctx context.Context, t Target) (*Conn, error) {
	r, err := d.resolveRoute(ctx, t)
	if err != nil {
		return nil, err
	}
	var via *ssh.Client
	var releases []func()
	releaseJumps := func() {
		for i := len(releases) - 1; i >= 0; i-- {
			releases[i]()
		}
	}
	dials, chain := 1, ""
	for _, e := range r.jumps {
		chain += ">" + e.proxyCommand + "|" + e.String()
		previous := via
		client, opened, release, err := d.jumps.acquire(chain, func() (*ssh.Client, error) {
			return d.connect(ctx, previous, e, peer{node: t.Node, name: "jump host", addr: e.addr()})
		})
		if err != nil {
			releaseJumps()
			return nil, fmt.Errorf("%s: %w", t.Node, err)
		}
		releases = append(releases, release)
		via = client
		if opened {
			dials++
		}
	}
	addr := r.dest.addr()
	switch {
	case len(r.jumps) > 0:
		addr += " via " + r.jumps[len(r.jumps)-1].String()
	case r.dest.proxyCommand != "":
		addr += " via ProxyCommand " + r.dest.proxyCommand
	}
	client, err := d.connect(ctx, via, r.dest, peer{node: t.Node, name: t.Node, addr: addr})
	if err != nil {
		releaseJumps()
		return nil, err
	}
	return newConn(t, r.dest, client, releaseJumps, dials, d.opts), nil
}

// peer is how messages show the server being connected to.
type peer struct {
	node string // the node this connection is for
	name string // the node, or "jump host"
	addr string // "host:port", with how it is reached
}

// connect makes the connection to e (over TCP, as a channel through via,
// or through e's ProxyCommand) and the SSH handshake over it, both
// within e's connect timeout.
func (d *dialer) connect(ctx context.Context, via *ssh.Client, e endpoint, p peer) (*ssh.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, e.connectTimeout)
	defer cancel()
	var proxy *proxyConn
	fail := func(stage string, err error) error {
		if proxy != nil {
			if said := proxy.said(); len(said) > 0 {
				err = fmt.Errorf("%w; the ProxyCommand said: %s", err, strings.Join(said, " / "))
			}
		}
		return &DialError{Node: p.name, Addr: p.addr, Stage: stage, Timeout: e.connectTimeout, Err: err}
	}

	var raw net.Conn
	var err error
	switch {
	case via != nil:
		raw, err = via.DialContext(ctx, "tcp", e.addr())
	case e.proxyCommand != "":
		proxy, err = startProxyCommand(e.proxyCommand, e.host, e.port, func(line string) {
			d.opts.log(p.node, "ProxyCommand: "+line)
		})
		raw = proxy
	default:
		raw, err = (&net.Dialer{}).DialContext(ctx, "tcp", e.addr())
	}
	if err != nil {
		return nil, fail("dial", err)
	}

	check, algos, err := d.hostKeys.callback(p.name, e)
	if err != nil {
		raw.Close()
		return nil, err
	}
	creds := loadCredentials(e)
	defer creds.close()
	var hostKeyErr error // already names the node; returned as is
	config := &ssh.ClientConfig{
		User: e.user,
		Auth: creds.methods(),
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			hostKeyErr = check(hostname, remote, key)
			return hostKeyErr
		},
		HostKeyAlgorithms: algos,
		ClientVersion:     "SSH-2.0-shoal",
	}

	// A peer that accepts TCP but never speaks SSH must not hang us:
	// closing the connection aborts the handshake.
	abort := context.AfterFunc(ctx, func() { raw.Close() })
	sshConn, chans, reqs, err := ssh.NewClientConn(raw, e.knownHostsAddr(), config)
	if !abort() {
		if err == nil {
			sshConn.Close()
		}
		return nil, fail("handshake", ctx.Err())
	}
	if hostKeyErr != nil {
		raw.Close()
		return nil, hostKeyErr
	}
	if err != nil {
		raw.Close()
		if refused := authRefusal(err); refused != "" {
			return nil, &AuthError{Node: p.name, Endpoint: e.user + "@" + p.addr, Tried: creds.offered(),
				Skipped: creds.skipped, Why: refused, Err: err}
		}
		return nil, fail("handshake", err)
	}
	return ssh.NewClient(sshConn, chans, reqs), nil
}

// authRefusal says why a handshake error is the server refusing every
// key, or "" when it is something else.
func authRefusal(err error) string {
	switch msg := strings.ToLower(err.Error()); {
	case strings.Contains(msg, "unable to authenticate"):
		return "authentication refused"
	case strings.Contains(msg, "too many authentication failures"):
		return "authentication refused: too many keys offered (sshd's MaxAuthTries); name the key with IdentityFile and IdentitiesOnly yes"
	}
	return ""
}
