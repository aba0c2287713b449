// Package shell quotes values for POSIX sh. Every remote path and argument
// shoal sends goes through Quote; nothing user-supplied is interpolated raw.
package shell
