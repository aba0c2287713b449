// Package shell builds what shoal runs on hosts. Quote returns one POSIX
// sh word; Script binds values, each quoted once, ahead of a constant
// body. Every remote path and argument goes through them; nothing
// user-supplied is interpolated raw. Marker is the one writer and parser
// of the section lines that facts and combined step scripts print.
//
// It must not import anything of shoal's.
package shell
