package transport

import "time"

// Target is how to reach one node, as its HCL node block says. Empty fields
// fall back to ~/.ssh/config, then to OpenSSH's defaults.
type Target struct {
	Node         string // node name, used in every message
	Host         string // address or ~/.ssh/config alias
	User         string // "" → ssh_config User, else root
	Port         int    // 0 → ssh_config Port, else 22
	IdentityFile string // "" → ssh_config IdentityFile(s), else ~/.ssh/id_ed25519, id_ecdsa, id_rsa
	Jump         string // ProxyJump "[user@]host[:port][,…]", hosts may be aliases; "" → ssh_config; "none" → direct
	Sudo         bool   // run scripts under `sudo -n`
}

// Options apply to every connection of a run.
type Options struct {
	// SSHConfig is "" for ~/.ssh/config then /etc/ssh/ssh_config, or one
	// file read alone (like ssh -F).
	SSHConfig string
	// KnownHosts are the known_hosts files; empty means ssh_config
	// UserKnownHostsFile, else ~/.ssh/known_hosts, plus
	// /etc/ssh/ssh_known_hosts. New keys are appended to the first one.
	KnownHosts []string
	// AcceptNewHostKeys is StrictHostKeyChecking=accept-new: an unknown
	// host key is recorded and trusted. A changed key is always refused.
	AcceptNewHostKeys bool
	// ConnectTimeout bounds dial plus handshake; 0 → ssh_config
	// ConnectTimeout, else 10s.
	ConnectTimeout time.Duration
	// KeepAlive is how often the connection is probed; a probe unanswered
	// for three times that long closes it. 0 → 15s.
	KeepAlive time.Duration
	// MaxSessions bounds concurrent sessions per connection (sshd allows
	// 10 by default); further Runs queue. 0 → 8.
	MaxSessions int
}

const (
	defaultConnectTimeout = 10 * time.Second
	defaultKeepAlive      = 15 * time.Second
	defaultMaxSessions    = 8
)

func (o Options) keepAlive() time.Duration {
	if o.KeepAlive > 0 {
		return o.KeepAlive
	}
	return defaultKeepAlive
}

func (o Options) maxSessions() int {
	if o.MaxSessions > 0 {
		return o.MaxSessions
	}
	return defaultMaxSessions
}
