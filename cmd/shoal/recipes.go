package main

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/shoal-sh/shoal/hcl"
	"github.com/shoal-sh/shoal/steps"
)

func newRecipesCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recipes",
		Short: "List the recipes: built in, and defined in the config directory",
		Example: `  shoal recipes
  shoal recipes show dolphin`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(g, newViews(g))
			if err != nil {
				return err
			}
			var names []string
			for n := range cfg.Recipes {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				r := cfg.Recipes[n]
				fmt.Fprintf(g.stdout, "%-18s %3d dynamic, %2d cache, %2d steps  %s\n", n, len(r.BlocksOf("dynamic_dir")), len(r.BlocksOf("cache_dir")), countSteps(r), r.Description)
			}
			return nil
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "show NAME",
		Short: "Print a recipe fully resolved (after extends and the sites' additions)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(g, newViews(g))
			if err != nil {
				return err
			}
			b, err := cfg.RecipeHCL(args[0])
			if err != nil {
				return err
			}
			_, err = g.stdout.Write(b)
			return err
		},
	})
	return cmd
}

// countSteps counts a recipe's blocks that are steps (cron, file, ...).
func countSteps(r *hcl.Recipe) int {
	n := 0
	for _, b := range r.Blocks {
		if k := steps.KindOf(b.Kind); k != nil && k.IsStep {
			n++
		}
	}
	return n
}
