package transport

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// endpoint is one SSH server to authenticate to, with every setting
// resolved from the Target, the Options and ssh_config.
type endpoint struct {
	alias             string // the name asked for (%n)
	host              string // address to dial (HostName applied)
	port              int
	user              string
	identityFiles     []identityFile
	certificateFiles  []string
	identitiesOnly    bool
	agent             string // socket path; "" for no agent
	knownHosts        []string
	hostKeyAlias      string
	hashKnownHosts    bool
	acceptNew         bool
	hostKeyAlgorithms []string
	pubkeyAlgorithms  []string
	proxyCommand      string // run to reach this endpoint; only ever the first of a route
	connectTimeout    time.Duration
	keepAlive         time.Duration
	keepAliveMax      int // unanswered keepalives before the connection counts as dead; 0: never

	sources map[string]string // setting → where it came from, for `shoal ssh-config`
}

// identityFile is a private key file to offer (or, with only its .pub
// present, a key to find in the agent).
type identityFile struct {
	path  string // expanded
	named bool   // named by ssh_config or the node block, not one of OpenSSH's defaults
}

func (e endpoint) addr() string { return net.JoinHostPort(e.host, strconv.Itoa(e.port)) }

// String is "user@host:port", as messages show an endpoint.
func (e endpoint) String() string { return e.user + "@" + e.addr() }

// route is the node's endpoint and the jump hosts before it, in dial order.
// The first of them may be reached through a ProxyCommand.
type route struct {
	node  string
	jumps []endpoint
	dest  endpoint
}

const (
	maxJumpDepth = 8
	// Where a setting came from, beside the resolver's own name.
	fromNodeBlock = "node block"
	fromFlag      = "command line"
	fromDefault   = "shoal's default"
)

// resolveRoute works out how to reach t the way OpenSSH would: the node
// block's user, port, jump and identity_file first (as ssh -l, -p, -J, -i
// would), then ssh_config, then defaults.
func (d *dialer) resolveRoute(ctx context.Context, t Target) (route, error) {
	if t.Host == "" {
		return route{}, fmt.Errorf("%s: no host to connect to", t.Node)
	}
	cfg, err := d.configs.get(ctx, configQuery{Host: t.Host, User: t.User, Port: t.Port})
	if err != nil {
		return route{}, fmt.Errorf("%s: %w", t.Node, err)
	}
	jumpFixed := t.Jump != ""
	switch {
	case strings.EqualFold(t.Jump, "none"):
		cfg.ProxyJump, cfg.ProxyCommand = "", ""
	case jumpFixed:
		cfg.ProxyJump, cfg.ProxyCommand = t.Jump, ""
	}
	dest, err := d.endpointFor(cfg, fixed{user: t.User, port: t.Port, identityFile: t.IdentityFile, by: fromNodeBlock})
	if err != nil {
		return route{}, fmt.Errorf("%s: %w", t.Node, err)
	}
	jumps, proxy, err := d.reachBefore(ctx, cfg, dest, t.IdentityFile, 0)
	if err != nil {
		return route{}, fmt.Errorf("%s: %w", t.Node, err)
	}
	dest.proxyCommand = proxy
	if jumpFixed {
		dest.sources["via"] = fromNodeBlock
	}
	return route{node: t.Node, jumps: jumps, dest: dest}, nil
}

// reachBefore returns what comes before e, whose settings cfg holds: the
// jump hosts of its ProxyJump in dial order (the first hop's own
// ProxyJump or ProxyCommand first, as `ssh -J` does), or the ProxyCommand
// that reaches e itself. A jump host is also offered the node's
// identity_file.
func (d *dialer) reachBefore(ctx context.Context, cfg hostConfig, e endpoint, lend string, depth int) ([]endpoint, string, error) {
	tokens := e.tokens(d.local)
	if cfg.ProxyJump == "" {
		if cfg.ProxyCommand == "" {
			return nil, "", nil
		}
		cmd, err := expandTokens(cfg.ProxyCommand, tokens.proxyTokens())
		if err != nil {
			return nil, "", fmt.Errorf("ProxyCommand: %w", err)
		}
		return nil, cmd, nil
	}
	if depth >= maxJumpDepth {
		return nil, "", fmt.Errorf("ProxyJump %q: more than %d nested jump hosts", cfg.ProxyJump, maxJumpDepth)
	}
	spec, err := expandTokens(cfg.ProxyJump, tokens.proxyTokens())
	if err != nil {
		return nil, "", fmt.Errorf("ProxyJump: %w", err)
	}
	var jumps []endpoint
	for i, hop := range strings.Split(spec, ",") {
		user, host, port, err := parseHop(strings.TrimSpace(hop))
		if err != nil {
			return nil, "", err
		}
		hopCfg, err := d.configs.get(ctx, configQuery{Host: host, User: user, Port: port})
		if err != nil {
			return nil, "", err
		}
		j, err := d.endpointFor(hopCfg, fixed{user: user, port: port, lend: lend, by: "ProxyJump"})
		if err != nil {
			return nil, "", fmt.Errorf("jump host %s: %w", host, err)
		}
		if i == 0 {
			before, proxy, err := d.reachBefore(ctx, hopCfg, j, lend, depth+1)
			if err != nil {
				return nil, "", err
			}
			j.proxyCommand = proxy
			jumps = append(jumps, before...)
		}
		jumps = append(jumps, j)
	}
	return jumps, "", nil
}

// parseHop splits "[user@]host[:port]" or "ssh://[user@]host[:port]"
// (host may be "[v6]").
func parseHop(hop string) (user, host string, port int, err error) {
	rest := strings.TrimPrefix(hop, "ssh://")
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		user, rest = rest[:at], rest[at+1:]
	}
	host = rest
	if h, p, splitErr := net.SplitHostPort(rest); splitErr == nil {
		host = h
		if port, err = strconv.Atoi(p); err != nil {
			return "", "", 0, fmt.Errorf("ProxyJump %q: bad port", hop)
		}
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(rest, "["), "]")
	}
	if host == "" {
		return "", "", 0, fmt.Errorf("ProxyJump %q: no host", hop)
	}
	return user, host, port, nil
}

// fixed are the settings decided before ssh_config is read, as ssh's
// command line would decide them (-l, -p, -i), and by what.
type fixed struct {
	user         string
	port         int
	identityFile string // replaces ssh_config's IdentityFiles
	lend         string // a key file offered as well: the node's, to its jump hosts
	by           string
}

// endpointFor settles one host's ssh_config settings, with what f fixes,
// into how to connect and authenticate.
func (d *dialer) endpointFor(cfg hostConfig, f fixed) (endpoint, error) {
	resolver := d.configs.resolver.source()
	e := endpoint{
		alias: cfg.Host, host: cfg.Hostname, port: cfg.Port, user: cfg.User,
		identitiesOnly: cfg.IdentitiesOnly, hashKnownHosts: cfg.HashKnownHosts,
		hostKeyAlgorithms: cfg.HostKeyAlgorithms, pubkeyAlgorithms: cfg.PubkeyAcceptedAlgorithms,
		sources: map[string]string{"user": resolver, "host": resolver, "port": resolver, "identities": resolver,
			"agent": resolver, "known_hosts": resolver, "host keys": resolver, "via": resolver,
			"connect timeout": resolver, "keepalive": resolver},
	}
	if f.user != "" {
		e.sources["user"] = f.by
	}
	if f.port != 0 {
		e.sources["port"] = f.by
	}
	if !strings.EqualFold(cfg.HostKeyAlias, "none") {
		e.hostKeyAlias = cfg.HostKeyAlias
	}
	tokens := e.tokens(d.local)

	files := cfg.IdentityFiles
	if f.identityFile != "" {
		files, e.sources["identities"] = []string{f.identityFile}, f.by
	}
	if f.lend != "" && !slices.Contains(files, f.lend) {
		files = append([]string{f.lend}, files...)
	}
	for _, file := range files {
		if strings.EqualFold(file, "none") {
			continue
		}
		path, err := tokens.expandPath(file)
		if err != nil {
			return endpoint{}, fmt.Errorf("IdentityFile: %w", err)
		}
		e.identityFiles = append(e.identityFiles, identityFile{path: path, named: !slices.Contains(opensshDefaultIdentityFiles, file)})
	}
	for _, file := range cfg.CertificateFiles {
		if strings.EqualFold(file, "none") {
			continue
		}
		path, err := tokens.expandPath(file)
		if err != nil {
			return endpoint{}, fmt.Errorf("CertificateFile: %w", err)
		}
		e.certificateFiles = append(e.certificateFiles, path)
	}

	e.agent = agentSocket(cfg.IdentityAgent)

	if len(d.opts.KnownHosts) > 0 {
		e.knownHosts, e.sources["known_hosts"] = d.opts.KnownHosts, fromFlag
	} else {
		for _, f := range append(slices.Clone(cfg.UserKnownHostsFiles), cfg.GlobalKnownHostsFiles...) {
			if !strings.EqualFold(f, "none") {
				e.knownHosts = append(e.knownHosts, f)
			}
		}
	}
	switch {
	case d.opts.AcceptNewHostKeys:
		e.acceptNew, e.sources["host keys"] = true, fromFlag
	case cfg.StrictHostKeyChecking == "false" || cfg.StrictHostKeyChecking == "accept-new":
		e.acceptNew = true // never for a changed key: see hostKeys.callback
	}

	e.connectTimeout = time.Duration(cfg.ConnectTimeout) * time.Second
	e.keepAlive, e.keepAliveMax = time.Duration(cfg.ServerAliveInterval)*time.Second, cfg.ServerAliveCountMax
	switch {
	case d.opts.ConnectTimeout > 0:
		e.connectTimeout, e.sources["connect timeout"] = d.opts.ConnectTimeout, fromFlag
	case e.connectTimeout == 0:
		e.connectTimeout, e.sources["connect timeout"] = defaultConnectTimeout, fromDefault
	}
	switch {
	case d.opts.KeepAlive > 0:
		e.keepAlive, e.keepAliveMax, e.sources["keepalive"] = d.opts.KeepAlive, defaultKeepAliveMax, fromFlag
	case e.keepAlive == 0: // ssh sends none by default; shoal must notice a dead host
		e.keepAlive, e.keepAliveMax, e.sources["keepalive"] = defaultKeepAlive, defaultKeepAliveMax, fromDefault
	}
	return e, nil
}

// tokens are e's %-tokens for the files and commands ssh_config names.
func (e endpoint) tokens(local localUser) connTokens {
	return connTokens{local: local, host: e.host, original: e.alias, port: e.port, user: e.user, keyAlias: e.hostKeyAlias}
}
