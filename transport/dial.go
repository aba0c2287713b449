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
	config   *sshConfig
	hostKeys *hostKeys
	jumps    *jumpPool
}

func newDialer(o Options) (*dialer, error) {
	sc, err := loadSSHConfig(o.SSHConfig)
	if err != nil {
		return nil, err
	}
	return &dialer{opts: o, config: sc, hostKeys: &hostKeys{}, jumps: &jumpPool{}}, nil
}

// Dial opens one SSH connection to t (through its jump hosts, if any),
// verifying host keys and authenticating. Runs on the Conn share it.
// Use DialAll for many nodes: it also shares jump host connections.
func Dial(ctx context.Context, t Target, o Options) (*Conn, error) {
	d, err := newDialer(o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.Node, err)
	}
	return d.dial(ctx, t)
}

// DialAll dials every target, at most parallel at once (≤0: all at once),
// and returns the connections and the errors, both keyed by node name.
// Every node's error is collected; one failure does not stop the others.
func DialAll(ctx context.Context, ts []Target, o Options, parallel int) (map[string]*Conn, map[string]error) {
	conns := map[string]*Conn{}
	errs := map[string]error{}
	d, err := newDialer(o)
	if err != nil {
		for _, t := range ts {
			errs[t.Node] = fmt.Errorf("%s: %w", t.Node, err)
		}
		return conns, errs
	}
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
	r, err := resolveRoute(t, d.opts, d.config)
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
		chain += ">" + e.String()
		previous := via
		client, opened, release, err := d.jumps.acquire(chain, func() (*ssh.Client, error) {
			return d.connect(ctx, previous, e, "jump host", e.addr())
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
	if len(r.jumps) > 0 {
		addr += " via " + r.jumps[len(r.jumps)-1].String()
	}
	client, err := d.connect(ctx, via, r.dest, t.Node, addr)
	if err != nil {
		releaseJumps()
		return nil, err
	}
	return newConn(t, r.dest, client, releaseJumps, dials, d.opts), nil
}

// connect makes the TCP connection to e (directly, or as a channel through
// via) and the SSH handshake over it, both within e's connect timeout.
// name and addr are how messages show the node.
func (d *dialer) connect(ctx context.Context, via *ssh.Client, e endpoint, name, addr string) (*ssh.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, e.connectTimeout)
	defer cancel()
	fail := func(stage string, err error) error {
		return &DialError{Node: name, Addr: addr, Stage: stage, Timeout: e.connectTimeout, Err: err}
	}

	var raw net.Conn
	var err error
	if via == nil {
		raw, err = (&net.Dialer{}).DialContext(ctx, "tcp", e.addr())
	} else {
		raw, err = via.DialContext(ctx, "tcp", e.addr())
	}
	if err != nil {
		return nil, fail("dial", err)
	}

	check, algos, err := d.hostKeys.callback(name, e)
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
	sshConn, chans, reqs, err := ssh.NewClientConn(raw, e.addr(), config)
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
		if strings.Contains(err.Error(), "unable to authenticate") {
			return nil, &AuthError{Node: name, Endpoint: e.user + "@" + addr, Tried: creds.tried, Skipped: creds.skipped, Err: err}
		}
		return nil, fail("handshake", err)
	}
	return ssh.NewClient(sshConn, chans, reqs), nil
}
