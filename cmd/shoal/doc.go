// Command shoal turns one installed PHP site into a multi-server cluster,
// declaratively, over SSH. Each command lives in its own file: flags →
// options → run(ctx) int, where the int is the exit code (0 ok, 1 error,
// 2 plan has changes with --detailed-exitcode, 3 refused for safety).
package main
