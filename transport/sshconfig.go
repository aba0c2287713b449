package transport

import (
	"context"
	"os/exec"
	"sync"
)

// hostConfig is what ssh_config makes of one destination, in the words
// `ssh -G` prints: what OpenSSH expands only when it uses a value
// (IdentityFile, CertificateFile, ProxyCommand, ProxyJump,
// GlobalKnownHostsFile, HostKeyAlias) is kept as written, the rest is
// expanded.
type hostConfig struct {
	Host                     string // as asked for (%n)
	Hostname                 string
	User                     string
	Port                     int
	IdentityFiles            []string
	IdentitiesOnly           bool
	IdentityAgent            string // "": SSH_AUTH_SOCK; "none", "SSH_AUTH_SOCK", "$VAR" or a path
	CertificateFiles         []string
	ProxyJump                string // "[user@]host[:port][,…]"
	ProxyCommand             string
	UserKnownHostsFiles      []string
	GlobalKnownHostsFiles    []string
	StrictHostKeyChecking    string // "true", "false", "ask" or "accept-new", as ssh -G says
	HostKeyAlias             string
	HashKnownHosts           bool
	ConnectTimeout           int // seconds; 0: none
	ServerAliveInterval      int // seconds; 0: off
	ServerAliveCountMax      int
	HostKeyAlgorithms        []string
	PubkeyAcceptedAlgorithms []string
}

// configQuery is one destination as `ssh` would be asked for it: a host
// (alias or address) and what its command line fixes before ssh_config
// is read (-l, -p), since Match and %-tokens see those.
type configQuery struct {
	Host string
	User string // "": ssh_config's, else the local user
	Port int    // 0: ssh_config's, else 22
}

// configResolver turns a query into settings the way OpenSSH would.
type configResolver interface {
	resolve(ctx context.Context, q configQuery) (hostConfig, error)
	// source names the resolver where shoal says where a setting came
	// from: "ssh -G" or "shoal's ssh_config reader".
	source() string
}

// newConfigResolver is OpenSSH itself (ssh -G) when an ssh client is in
// PATH, else shoal's own reader of the same files. path is ssh's -F: ""
// for ~/.ssh/config then /etc/ssh/ssh_config.
func newConfigResolver(path string, local localUser) configResolver {
	if ssh, err := exec.LookPath("ssh"); err == nil {
		return &opensshResolver{ssh: ssh, configFile: path}
	}
	return &readerResolver{configFile: path, local: local}
}

// configCache resolves each distinct query once per run, however many
// nodes and jump chains ask for it; concurrent askers share the one
// resolution in flight.
type configCache struct {
	resolver configResolver
	mu       sync.Mutex
	entries  map[configQuery]*cachedConfig
}

type cachedConfig struct {
	ready chan struct{} // closed once cfg or err is set
	cfg   hostConfig
	err   error
}

func newConfigCache(r configResolver) *configCache {
	return &configCache{resolver: r, entries: map[configQuery]*cachedConfig{}}
}

func (c *configCache) get(ctx context.Context, q configQuery) (hostConfig, error) {
	c.mu.Lock()
	e, found := c.entries[q]
	if !found {
		e = &cachedConfig{ready: make(chan struct{})}
		c.entries[q] = e
	}
	c.mu.Unlock()
	if !found {
		e.cfg, e.err = c.resolver.resolve(ctx, q)
		close(e.ready)
	}
	select {
	case <-e.ready:
	case <-ctx.Done():
		return hostConfig{}, ctx.Err()
	}
	cfg := e.cfg
	// Each caller gets slices of its own: overrides must not leak.
	cfg.IdentityFiles = append([]string(nil), cfg.IdentityFiles...)
	cfg.CertificateFiles = append([]string(nil), cfg.CertificateFiles...)
	return cfg, e.err
}
