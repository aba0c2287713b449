// Package recipes holds shoal's built-in recipes as HCL files, embedded in
// the binary. It owns only the files; parsing and checking them is the job
// of package hcl, which loads them before the user's own files.
package recipes
