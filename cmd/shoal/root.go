package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	dir        string
	vars       []string
	varFiles   []string
	targets    []string
	parallel   int
	json       bool
	noColor    bool
	acceptNew  bool
	yes        bool
	sshConfig  string
	knownHosts string

	stdin  *os.File
	stdout io.Writer
	stderr io.Writer
}

// execute runs shoal with args and returns the exit code.
func execute(ctx context.Context, args []string, stdin *os.File, stdout, stderr io.Writer) int {
	g := &globalOptions{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCommand(ctx, g)
	root.SetArgs(longSingleDash(args))
	err := root.ExecuteContext(ctx)
	var code exitCode
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &code):
		return int(code)
	default:
		fmt.Fprintln(g.stderr, "shoal:", err)
		return exitError
	}
}

func newRootCommand(ctx context.Context, g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:   "shoal",
		Short: "Turn one installed PHP site into a multi-server cluster, over SSH",
		Long: `shoal reads HCL files describing nodes, shared storage and a site built from an
app recipe (Dolphin, ExpressionEngine, eZ Platform, Drupal/Aegir, WordPress, or
one of your own), compares them with the live hosts over SSH and makes exactly
the changes needed: dynamic folders moved to shared storage and linked, the
tree replicated from the primary, caches purged, fstab/exports written, and
the files, lines, cron jobs, commands, packages, services, keys, DNS records
and snapshots the recipe declares. docs/recipes.md describes the recipe
language.

Start with a throwaway lab:   shoal lab up && shoal -C fixtures/dolphin plan`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	f := root.PersistentFlags()
	f.StringVarP(&g.dir, "chdir", "C", ".", "config directory: every *.hcl in it is read")
	f.StringArrayVar(&g.vars, "var", nil, "set a variable: --var name=value (repeatable)")
	f.StringArrayVar(&g.varFiles, "var-file", nil, "read variables from an HCL file (repeatable)")
	f.StringArrayVar(&g.targets, "target", nil, "only plan/apply these nodes (repeatable)")
	f.IntVar(&g.parallel, "parallel", 50, "nodes worked on at once")
	f.BoolVar(&g.json, "json", false, "NDJSON events on stdout (\"v\":1) instead of text")
	f.BoolVar(&g.noColor, "no-color", os.Getenv("NO_COLOR") != "", "no colours (also NO_COLOR)")
	f.BoolVar(&g.acceptNew, "accept-new-host-keys", false, "trust and record unknown host keys (never changed ones), like StrictHostKeyChecking=accept-new")
	f.StringVarP(&g.sshConfig, "ssh-config", "F", os.Getenv("SHOAL_SSH_CONFIG"), "ssh_config file to use instead of ~/.ssh/config (like ssh -F; also SHOAL_SSH_CONFIG)")
	f.StringVar(&g.knownHosts, "known-hosts", "", "known_hosts file to use instead of ssh_config's UserKnownHostsFile / ~/.ssh/known_hosts")

	root.AddCommand(
		newValidateCommand(g),
		newFmtCommand(g),
		newPlanCommand(g),
		newApplyCommand(g),
		newRecipesCommand(g),
		newSSHConfigCommand(g),
		newVersionCommand(g),
		NewLabCommand(),
	)
	return root
}
