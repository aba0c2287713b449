package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newValidateCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "validate",
		Short:   "Load and check the configuration, without touching the network",
		Example: "  shoal -C fixtures/dolphin validate",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := newViews(g)
			cfg, _, err := compileConfig(g, v, nil)
			if err != nil {
				return err
			}
			if !g.json {
				fmt.Fprintf(g.stdout, "The configuration is valid: %s, %s, %s.\n",
					count(len(cfg.Nodes), "node"), count(len(cfg.Storages), "storage"), count(len(cfg.Sites), "site"))
			}
			return nil
		},
	}
}

// count says "1 node" or "3 nodes".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
