// Package sshtest runs an in-process SSH server on 127.0.0.1 for tests of
// the transport: exec requests run with this machine's `sh -c`; host
// keys, authorized keys and a user certificate authority are chosen by
// the test; direct-tcpip forwarding can be switched on to act as a
// ProxyJump host; and the server counts what it saw (connections,
// sessions, commands, users, keys offered) so tests can assert on it.
//
// It must never listen on anything but loopback, and never be used outside
// tests.
package sshtest
