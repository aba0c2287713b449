// Package transport owns how shoal reaches nodes: the Host interface steps
// run scripts through, one SSH connection per node carrying many sessions
// (known_hosts verification, agent and identity files, ~/.ssh/config,
// ProxyJump, timeouts, keepalives, sudo), and Local for tests.
//
// It must not know about plans, steps or rendering.
package transport
