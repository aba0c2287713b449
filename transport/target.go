package transport

import "time"

// Target is how to reach one node, as its HCL node block says. Its fields
// win over ~/.ssh/config as ssh's command line does (-l, -p, -J, -i);
// empty fields fall back to ssh_config, then to OpenSSH's defaults.
type Target struct {
	Node         string // node name, used in every message
	Host         string // address or ~/.ssh/config alias
	User         string // "" → ssh_config User, else the local user name (as ssh)
	Port         int    // 0 → ssh_config Port, else 22
	IdentityFile string // "" → ssh_config IdentityFile(s), else OpenSSH's default files; replaces, not adds
	Jump         string // ProxyJump "[user@]host[:port][,…]", hosts may be aliases; "" → ssh_config's ProxyJump or ProxyCommand; "none" → direct
	Sudo         bool   // run scripts under `sudo -n`
}

// Options apply to every connection of a run.
type Options struct {
	// SSHConfig is "" for ~/.ssh/config then /etc/ssh/ssh_config, or one
	// file read alone (ssh -F).
	SSHConfig string
	// KnownHosts are the known_hosts files; empty means ssh_config's
	// UserKnownHostsFile and GlobalKnownHostsFile (OpenSSH's defaults:
	// ~/.ssh/known_hosts, ~/.ssh/known_hosts2, /etc/ssh/ssh_known_hosts,
	// /etc/ssh/ssh_known_hosts2). New keys are appended to the first one.
	KnownHosts []string
	// AcceptNewHostKeys is StrictHostKeyChecking=accept-new: an unknown
	// host key is recorded and trusted. A changed key is always refused.
	AcceptNewHostKeys bool
	// ConnectTimeout bounds dial plus handshake; 0 → ssh_config
	// ConnectTimeout, else 10s.
	ConnectTimeout time.Duration
	// KeepAlive is how often the connection is probed; three probes
	// unanswered close it. 0 → ssh_config ServerAliveInterval and
	// ServerAliveCountMax, else 15s and 3.
	KeepAlive time.Duration
	// MaxSessions bounds concurrent sessions per connection (sshd allows
	// 10 by default); further Runs queue. 0 → 8.
	MaxSessions int
	// Log receives what a node's connection has to say outside any Run:
	// a ProxyCommand's stderr, line by line. node is "" for what concerns
	// the whole run (which ssh_config resolver is in use, when it is not
	// ssh -G). nil: discarded.
	Log func(node, line string)
}

const (
	defaultConnectTimeout = 10 * time.Second
	defaultKeepAlive      = 15 * time.Second
	defaultKeepAliveMax   = 3
	defaultMaxSessions    = 8
)

func (o Options) maxSessions() int {
	if o.MaxSessions > 0 {
		return o.MaxSessions
	}
	return defaultMaxSessions
}

func (o Options) log(node, line string) {
	if o.Log != nil {
		o.Log(node, line)
	}
}
