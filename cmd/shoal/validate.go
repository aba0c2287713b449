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
			cfg, err := loadConfig(g, v)
			if err != nil {
				return err
			}
			if !g.json {
				fmt.Fprintf(g.stdout, "The configuration is valid: %d nodes, %d storage, %d sites.\n", len(cfg.Nodes), len(cfg.Storages), len(cfg.Sites))
			}
			return nil
		},
	}
}
