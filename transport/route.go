package transport

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Route is how a node is reached, as `shoal ssh-config` shows it: each
// SSH server on the way in dial order, the node last.
type Route struct {
	Node string
	Hops []Hop
	Err  error // why the route could not be worked out; Hops is then empty
}

// Hop is one SSH server on a route, with the settings used for it.
type Hop struct {
	Role     string // "jump host" or "node"
	Name     string // as asked for: an ssh_config alias or an address
	Endpoint string // "user@host:port"
	Settings []Setting
}

// Setting is one resolved setting and where it came from: "node block",
// "command line", "ssh -G", "shoal's ssh_config reader" or "shoal's
// default".
type Setting struct {
	Name, Value, Source string
}

// Describe works out every target's route without connecting, and says
// which resolver reads ssh_config ("ssh -G" or shoal's own reader). Key
// files and the agent are read, as a dial would, to list the keys in the
// order they would be offered.
func Describe(ctx context.Context, ts []Target, o Options) (resolver string, routes []Route) {
	d := newDialer(o)
	routes = make([]Route, len(ts))
	var wg sync.WaitGroup
	for i, t := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			routes[i] = d.describe(ctx, t)
		}()
	}
	wg.Wait()
	return d.configs.resolver.source(), routes
}

func (d *dialer) describe(ctx context.Context, t Target) Route {
	r, err := d.resolveRoute(ctx, t)
	if err != nil {
		return Route{Node: t.Node, Err: err}
	}
	route := Route{Node: t.Node}
	var names []string
	for _, j := range r.jumps {
		route.Hops = append(route.Hops, d.describeHop("jump host", j))
		names = append(names, j.alias)
	}
	node := d.describeHop("node", r.dest)
	via := "direct"
	switch {
	case len(names) > 0:
		via = "jump host " + strings.Join(names, ", then ")
	case r.dest.proxyCommand != "":
		via = "its proxy command"
	}
	node.Settings = slices.Insert(node.Settings, 3, Setting{Name: "via", Value: via, Source: r.dest.sources["via"]})
	route.Hops = append(route.Hops, node)
	return route
}

func (d *dialer) describeHop(role string, e endpoint) Hop {
	h := Hop{Role: role, Name: e.alias, Endpoint: e.String()}
	add := func(name, value, source string) {
		h.Settings = append(h.Settings, Setting{Name: name, Value: value, Source: source})
	}
	add("user", e.user, e.sources["user"])
	add("host", e.host, e.sources["host"])
	add("port", strconv.Itoa(e.port), e.sources["port"])
	if e.proxyCommand != "" {
		add("proxy command", e.proxyCommand, e.sources["via"])
	}
	creds := loadCredentials(e)
	creds.close()
	keys := describeKeys(creds)
	if len(keys) == 0 {
		keys = []string{"none: no agent, no key file found"}
	}
	for _, k := range keys {
		add("keys", k, e.sources["identities"])
	}
	if e.identitiesOnly {
		add("keys", "IdentitiesOnly: no other agent keys", e.sources["identities"])
	}
	agent := e.agent
	if agent == "" {
		agent = "none"
	}
	add("agent", agent, e.sources["agent"])
	for _, f := range e.knownHosts {
		add("known_hosts", tildeHome(f), e.sources["known_hosts"])
	}
	if e.hostKeyAlias != "" {
		add("host key alias", e.hostKeyAlias, e.sources["host keys"])
	}
	unknown := "refused (--accept-new-host-keys records it)"
	if e.acceptNew {
		unknown = "recorded in " + tildeHome(first(e.knownHosts))
		if e.hashKnownHosts {
			unknown += ", hashed"
		}
	}
	add("unknown host key", unknown, e.sources["host keys"])
	if !slices.Equal(e.hostKeyAlgorithms, opensshDefaultKeyAlgorithms) && len(e.hostKeyAlgorithms) > 0 {
		add("host key algorithms", strings.Join(e.hostKeyAlgorithms, ","), e.sources["host keys"])
	}
	if !slices.Equal(e.pubkeyAlgorithms, opensshDefaultKeyAlgorithms) && len(e.pubkeyAlgorithms) > 0 {
		add("key algorithms", strings.Join(e.pubkeyAlgorithms, ","), e.sources["identities"])
	}
	add("connect timeout", e.connectTimeout.String(), e.sources["connect timeout"])
	add("keepalive", fmt.Sprintf("every %s, %d unanswered end it", e.keepAlive, e.keepAliveMax), e.sources["keepalive"])
	return h
}

func first(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}
