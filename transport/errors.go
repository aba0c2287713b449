package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// DialError is a node that could not be reached: the TCP connection or the
// SSH handshake failed or timed out.
type DialError struct {
	Node    string
	Addr    string // "host:port", with " via user@jump:port" when jumping
	Stage   string // "dial" or "handshake"
	Timeout time.Duration
	Err     error
}

func (e *DialError) Error() string {
	return fmt.Sprintf("%s (%s): %s: %s", e.Node, e.Addr, e.Stage, e.reason())
}

func (e *DialError) Unwrap() error { return e.Err }

func (e *DialError) reason() string {
	var netErr net.Error
	if errors.Is(e.Err, context.DeadlineExceeded) || errors.Is(e.Err, os.ErrDeadlineExceeded) ||
		(errors.As(e.Err, &netErr) && netErr.Timeout()) {
		if e.Stage == "handshake" {
			return fmt.Sprintf("timed out after %s (the port accepts TCP but did not complete an SSH handshake)", e.Timeout)
		}
		return fmt.Sprintf("timed out after %s", e.Timeout)
	}
	var errno syscall.Errno
	if errors.As(e.Err, &errno) {
		return errno.Error()
	}
	var dnsErr *net.DNSError
	if errors.As(e.Err, &dnsErr) {
		return "cannot resolve " + dnsErr.Name + ": " + dnsErr.Err
	}
	return strings.TrimPrefix(e.Err.Error(), "ssh: ")
}

// AuthError is a server that refused every key shoal offered.
type AuthError struct {
	Node     string
	Endpoint string   // "user@host:port"
	Tried    []string // the keys offered, in order: files, certificates, "agent key <comment>"
	Skipped  []string // keys not offered, with why
	Why      string   // "authentication refused", or what else ended it
	Err      error
}

func (e *AuthError) Error() string {
	tried := "no keys: no agent and no identity file"
	if len(e.Tried) > 0 {
		tried = "tried " + strings.Join(e.Tried, ", ")
	}
	if len(e.Skipped) > 0 {
		tried += "; skipped " + strings.Join(e.Skipped, ", ")
	}
	return fmt.Sprintf("%s (%s): %s (%s)", e.Node, e.Endpoint, e.Why, tried)
}

func (e *AuthError) Unwrap() error { return e.Err }

// UnknownHostKeyError is a host whose key no known_hosts file holds.
type UnknownHostKeyError struct {
	Node        string
	Addr        string // "host:port" as checked against known_hosts
	KeyType     string // e.g. "ssh-ed25519"
	Fingerprint string // "SHA256:…"
	KnownHosts  string // the file an accepted key would be added to
}

func (e *UnknownHostKeyError) Error() string {
	return fmt.Sprintf("%s (%s): unknown host key %s %s; if that fingerprint is right, rerun with --accept-new-host-keys to add it to %s",
		e.Node, e.Addr, e.KeyType, e.Fingerprint, tildeHome(e.KnownHosts))
}

// HostKeyChangedError is a host offering a key other than the one
// known_hosts holds for it: refused, always.
type HostKeyChangedError struct {
	Node        string
	Addr        string
	KeyType     string
	Fingerprint string // of the key offered
	File        string // known_hosts file holding the old key
	Line        int
}

func (e *HostKeyChangedError) Error() string {
	return fmt.Sprintf("%s (%s): HOST KEY CHANGED: offered %s %s, but %s:%d holds another key for this host; "+
		"if the host was reinstalled, remove that line (ssh-keygen -R) and verify the new key",
		e.Node, e.Addr, e.KeyType, e.Fingerprint, tildeHome(e.File), e.Line)
}
