package main

import "strings"

// longSingleDash rewrites Terraform's spelling of plan's file flag,
// `-out FILE` (as SPEC and `shoal help plan` write it), to `--out FILE`:
// pflag would read `-out` as `-o ut` and take FILE for an argument.
// Arguments after `--` are left alone.
func longSingleDash(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		if a == "--" {
			break
		}
		if a == "-out" || strings.HasPrefix(a, "-out=") {
			out[i] = "-" + a
		}
	}
	return out
}
