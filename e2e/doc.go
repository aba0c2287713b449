// Package e2e runs the shoal binary against a lab of real OpenSSH hosts:
// the Dolphin job end to end, re-runs that must change nothing, and bad
// input that must be refused with a clear message. It needs root (network
// namespaces); with CI=true it fails rather than skips when the lab can't
// start.
package e2e
