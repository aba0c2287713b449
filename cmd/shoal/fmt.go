package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/shoal-sh/shoal/hcl"
)

func newFmtCommand(g *globalOptions) *cobra.Command {
	var check bool
	cmd := &cobra.Command{
		Use:   "fmt [FILE...]",
		Short: "Rewrite the HCL files in canonical format",
		Example: `  shoal fmt
  shoal fmt --check   # CI: exit 1 and list the files that are not formatted`,
		RunE: func(cmd *cobra.Command, files []string) error {
			changed, err := hcl.Format(g.dir, files, check)
			if err != nil {
				return err
			}
			for _, f := range changed {
				fmt.Fprintln(g.stdout, f)
			}
			if check && len(changed) > 0 {
				fmt.Fprintf(g.stderr, "shoal: %d file(s) are not formatted; run `shoal fmt`\n", len(changed))
				return exitCode(exitError)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "change nothing; exit 1 if a file is not formatted")
	return cmd
}
