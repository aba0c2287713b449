// Package transport owns how shoal reaches nodes: the Host interface steps
// run scripts through, one SSH connection per node carrying many sessions
// (known_hosts verification, agent and identity files, ~/.ssh/config,
// ProxyJump, timeouts, keepalives, sudo), and Local for tests.
//
// Dial and DialAll resolve a Target the way OpenSSH would (Target fields,
// then ssh_config, then defaults), verify the host key against known_hosts
// (asking only for the key types known for that host; unknown keys are
// accepted only with Options.AcceptNewHostKeys, changed keys never), and
// authenticate with ssh-agent and unencrypted identity files. DialAll
// shares jump host connections between the nodes of a run.
//
// Conn.Run sends the script on stdin to `sh -s` (never on a command line),
// wrapped so that sh parses all of it before running any of it, its
// commands read /dev/null, and a watchdog kills its process group if the
// session closes first (ctx cancelled, connection lost). Sessions on one
// Conn are limited (Options.MaxSessions) so parallel Runs queue instead of
// hitting sshd's MaxSessions.
//
// It must not know about plans, steps or rendering, and never prompts.
package transport
