package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/shoal-sh/shoal/plan"
)

type planOptions struct {
	out              string
	detailedExitcode bool
}

func newPlanCommand(g *globalOptions) *cobra.Command {
	o := &planOptions{}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Compare the live hosts with the configuration and show what apply would change",
		Example: `  shoal plan
  shoal plan -out community.plan && shoal apply community.plan
  shoal plan --detailed-exitcode   # CI drift check: 0 no changes, 2 changes, 3 refused, 1 error`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return exitFor(o.run(cmd, g)) },
	}
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "save the plan to FILE for `shoal apply FILE`")
	cmd.Flags().BoolVar(&o.detailedExitcode, "detailed-exitcode", false, "exit 2 when there are changes, 3 when apply would refuse them (conflicts), 0 when none")
	return cmd
}

func (o *planOptions) run(cmd *cobra.Command, g *globalOptions) int {
	ctx := cmd.Context()
	v := newViews(g)
	s, err := startSession(ctx, g, v)
	if err != nil {
		return exitError
	}
	defer s.close()
	p := s.plan(ctx)
	v.plan(s.redactor.Plan(p))
	if o.out != "" {
		if err := savePlan(o.out, s.redactor.Saved(p)); err != nil {
			fmt.Fprintln(g.stderr, "shoal:", err)
			return exitError
		}
		if !g.json {
			fmt.Fprintf(g.stdout, "\nSaved the plan to %s: `shoal apply %s` carries out exactly this.\n", o.out, o.out)
		}
	}
	switch {
	case len(p.Failed()) > 0:
		return exitError
	case o.detailedExitcode && len(p.Conflicts()) > 0:
		return exitRefused
	case o.detailedExitcode && p.HasChanges():
		return exitChanges
	}
	return exitOK
}

func savePlan(path string, p *plan.Plan) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("saving the plan: %w", err)
	}
	return os.Rename(tmp, path)
}

func readPlan(path string) (*plan.Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the saved plan: %w", err)
	}
	var p plan.Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s is not a shoal plan: %w", path, err)
	}
	if p.Version != plan.PlanVersion {
		return nil, fmt.Errorf("%s is a version %d plan; this shoal reads version %d", path, p.Version, plan.PlanVersion)
	}
	return &p, nil
}

// exitFor turns a run's exit code into cobra's error return.
func exitFor(code int) error {
	if code == exitOK {
		return nil
	}
	return exitCode(code)
}
