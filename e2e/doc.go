// Package e2e runs the shoal binary against a lab of real OpenSSH hosts:
// the Dolphin job end to end, re-runs that must change nothing, bad input
// that must be refused with a clear message, and faults (shoal or a
// replica's sshd killed, the file server's link down, two applies at once)
// after which nothing outside the sites and the storage has changed and
// the next apply converges. It needs root (network namespaces); with
// CI=true it fails rather than skips when the lab can't start.
package e2e
