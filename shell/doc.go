// Package shell quotes values for POSIX sh and frames a script's output in
// sections. Every remote path and argument shoal sends goes through Quote;
// nothing user-supplied is interpolated raw. Marker is the one writer and
// parser of the section lines that facts and combined step scripts print.
package shell
