package transport

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// endpoint is one SSH server to authenticate to, with every setting
// resolved from the Target, the Options and ssh_config.
type endpoint struct {
	host           string // address to dial (ssh_config HostName applied)
	port           int
	user           string
	identityFiles  []string
	explicitIDs    bool // identity files were named, not OpenSSH's defaults
	knownHosts     []string
	acceptNew      bool
	connectTimeout time.Duration
}

func (e endpoint) addr() string { return net.JoinHostPort(e.host, strconv.Itoa(e.port)) }

// String is "user@host:port", as messages show an endpoint.
func (e endpoint) String() string { return e.user + "@" + e.addr() }

// route is the node's endpoint and the jump hosts before it, in dial order.
type route struct {
	node  string
	jumps []endpoint
	dest  endpoint
}

var defaultIdentityFiles = []string{"~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"}

const maxJumpDepth = 8

// resolveRoute works out how to reach t the way OpenSSH would.
func resolveRoute(t Target, o Options, sc *sshConfig) (route, error) {
	if t.Host == "" {
		return route{}, fmt.Errorf("%s: no host to connect to", t.Node)
	}
	dest := resolveEndpoint(t.Host, t.User, t.Port, t.IdentityFile, "", o, sc)
	jump := t.Jump
	if jump == "" {
		jump = sc.get(t.Host, "ProxyJump")
	}
	jumps, err := resolveJumps(jump, t.IdentityFile, o, sc, 0)
	if err != nil {
		return route{}, fmt.Errorf("%s: %w", t.Node, err)
	}
	return route{node: t.Node, jumps: jumps, dest: dest}, nil
}

// resolveJumps turns a ProxyJump value into endpoints; the first hop's own
// ProxyJump (from ssh_config) comes before it, as with OpenSSH. A hop that
// ssh_config gives no IdentityFile uses the node's identity file, if any.
func resolveJumps(spec, nodeIdentity string, o Options, sc *sshConfig, depth int) ([]endpoint, error) {
	if spec == "" || strings.EqualFold(spec, "none") {
		return nil, nil
	}
	if depth >= maxJumpDepth {
		return nil, fmt.Errorf("ProxyJump %q: more than %d nested jump hosts", spec, maxJumpDepth)
	}
	var jumps []endpoint
	for i, hop := range strings.Split(spec, ",") {
		user, host, port, err := parseHop(strings.TrimSpace(hop))
		if err != nil {
			return nil, err
		}
		if i == 0 {
			before, err := resolveJumps(sc.get(host, "ProxyJump"), nodeIdentity, o, sc, depth+1)
			if err != nil {
				return nil, err
			}
			jumps = append(jumps, before...)
		}
		jumps = append(jumps, resolveEndpoint(host, user, port, "", nodeIdentity, o, sc))
	}
	return jumps, nil
}

// parseHop splits "[user@]host[:port]" (host may be "[v6]").
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
	}
	if host == "" {
		return "", "", 0, fmt.Errorf("ProxyJump %q: no host", hop)
	}
	return user, host, port, nil
}

// resolveEndpoint applies ssh_config and defaults to what the config says.
// identityFile overrides ssh_config; fallbackIdentity is used only when
// ssh_config names none.
func resolveEndpoint(alias, user string, port int, identityFile, fallbackIdentity string, o Options, sc *sshConfig) endpoint {
	e := endpoint{host: alias, port: port, user: user}
	if hn := sc.get(alias, "HostName"); hn != "" {
		e.host = strings.ReplaceAll(hn, "%h", alias)
	}
	if e.user == "" {
		e.user = sc.get(alias, "User")
	}
	if e.user == "" {
		e.user = "root"
	}
	if e.port == 0 {
		e.port, _ = strconv.Atoi(sc.get(alias, "Port"))
	}
	if e.port == 0 {
		e.port = 22
	}

	ids := sc.getAll(alias, "IdentityFile")
	if identityFile != "" {
		ids = []string{identityFile}
	}
	if len(ids) == 0 && fallbackIdentity != "" {
		ids = []string{fallbackIdentity}
	}
	e.explicitIDs = len(ids) > 0
	if !e.explicitIDs {
		ids = defaultIdentityFiles
	}
	for _, id := range ids {
		e.identityFiles = append(e.identityFiles, expandPath(id, e.host, e.user))
	}

	e.knownHosts = o.KnownHosts
	if len(e.knownHosts) == 0 {
		user := strings.Fields(sc.get(alias, "UserKnownHostsFile"))
		if len(user) == 0 {
			user = []string{"~/.ssh/known_hosts"}
		}
		global := strings.Fields(sc.get(alias, "GlobalKnownHostsFile"))
		if len(global) == 0 {
			global = []string{"/etc/ssh/ssh_known_hosts"}
		}
		for _, f := range append(user, global...) {
			e.knownHosts = append(e.knownHosts, expandPath(f, e.host, e.user))
		}
	}

	switch strings.ToLower(sc.get(alias, "StrictHostKeyChecking")) {
	case "no", "off", "accept-new":
		e.acceptNew = true // never for a changed key: see verifyHostKey
	}
	e.acceptNew = e.acceptNew || o.AcceptNewHostKeys

	e.connectTimeout = o.ConnectTimeout
	if e.connectTimeout == 0 {
		if secs, err := strconv.Atoi(sc.get(alias, "ConnectTimeout")); err == nil && secs > 0 {
			e.connectTimeout = time.Duration(secs) * time.Second
		}
	}
	if e.connectTimeout == 0 {
		e.connectTimeout = defaultConnectTimeout
	}
	return e
}
