// Package transport owns how shoal reaches nodes: the Host interface steps
// run scripts through, one SSH connection per node carrying many sessions
// (known_hosts verification, agent, identity files and certificates,
// ~/.ssh/config, ProxyJump, ProxyCommand, timeouts, keepalives, sudo),
// and Local for tests.
//
// Dial and DialAll reach a Target as OpenSSH's ssh would. Its settings
// come from `ssh -G` when an ssh client is in PATH (one process per
// distinct host and user/port, run in parallel by the dials and cached
// for the run), so Match, Include, tokens, canonicalisation and defaults
// are OpenSSH's own; without one, from shoal's reader of the same files,
// which follows OpenSSH 9.2 (sshconfig_reader.go says what it leaves
// out) and is held to ssh -G field by field by the parity test. The node
// block's user, port, jump and identity_file win, as ssh -l, -p, -J and -i
// would (identity_file replaces ssh_config's list rather than adding to
// it). ProxyJump chains share their jump host connections
// across the nodes of a run; a ProxyCommand runs (tokens expanded) with
// its stderr sent to Options.Log and is ended with the connection.
//
// Keys are offered in ssh's order: CertificateFile certificates, the
// agent's keys (IdentityAgent; those IdentityFile names too, so an
// encrypted key works through the agent; the others unless
// IdentitiesOnly), then the identity files, each with its -cert.pub;
// PubkeyAcceptedAlgorithms filters them. An AuthError lists the keys
// tried and those left out. Host keys are checked against known_hosts
// under HostKeyAlias or [host]:port (falling back to the host alone for
// a non-22 port, as ssh does), asking only for the key types known for
// the host; an unknown key is recorded (hashed under HashKnownHosts) only
// with Options.AcceptNewHostKeys or StrictHostKeyChecking accept-new/no,
// and a changed key is always refused, even with StrictHostKeyChecking
// no. Describe works all of this out without connecting, for `shoal
// ssh-config`.
//
// Conn.Run sends the script on stdin to `sh -s` (never on a command line),
// wrapped so that sh parses all of it before running any of it, its
// commands read /dev/null, and a watchdog kills its process group if the
// session closes first (ctx cancelled, connection lost). Sessions on one
// Conn are limited (Options.MaxSessions) so parallel Runs queue instead of
// hitting sshd's MaxSessions.
//
// It must not know about plans, steps or rendering, never prompts, and
// never writes to the terminal: what it has to say goes to Options.Log.
package transport
