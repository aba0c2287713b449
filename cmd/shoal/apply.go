package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/shoal-sh/shoal/cluster"
	"github.com/shoal-sh/shoal/plan"
	"github.com/shoal-sh/shoal/tui"
)

type applyOptions struct {
	failFast    bool
	forceUnlock bool
}

func newApplyCommand(g *globalOptions) *cobra.Command {
	o := &applyOptions{}
	cmd := &cobra.Command{
		Use:   "apply [PLANFILE]",
		Short: "Make the changes a plan shows, after confirmation",
		Long: `Make the changes a plan shows, after confirmation.

In a terminal apply shows the plan and asks first (a saved plan too).
Without one (stdin is not a terminal, or --json) it cannot ask: it needs
--yes or a saved plan, and otherwise refuses with exit 1 before connecting.
A prompt never goes into a piped stdout: the line prompt is on stderr, and
the interactive review runs only when stdin and stdout are terminals.`,
		Example: `  shoal apply                 # plan, review, confirm, watch
  shoal apply --yes --json    # CI: no prompt, NDJSON events
  shoal apply community.plan  # exactly a saved plan; refused if the hosts changed since`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return exitFor(o.run(cmd, g, args)) },
	}
	cmd.Flags().BoolVarP(&g.yes, "yes", "y", false, "apply without asking (and without the interactive UI)")
	cmd.Flags().BoolVar(&o.failFast, "fail-fast", false, "stop starting new steps after the first failure")
	cmd.Flags().BoolVar(&o.forceUnlock, "force-unlock", false, "break a lock left by an apply that is gone")
	return cmd
}

func (o *applyOptions) run(cmd *cobra.Command, g *globalOptions, args []string) int {
	// Without a terminal to ask on, only --yes or a saved plan approves:
	// refuse before connecting, as Terraform does.
	canAsk := !g.json && isTerminal(g.stdin)
	var saved *plan.Plan
	if len(args) == 1 {
		var err error
		if saved, err = readPlan(args[0]); err != nil {
			fmt.Fprintln(g.stderr, "shoal:", err)
			return exitError
		}
	}
	if !g.yes && saved == nil && !canAsk {
		why := "stdin is not a terminal"
		if g.json {
			why = "--json leaves no terminal to ask on"
		}
		fmt.Fprintf(g.stderr, "shoal: apply needs approval and %s: pass --yes, or apply a saved plan (shoal plan -out FILE, then shoal apply FILE)\n", why)
		return exitError
	}
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	v := newViews(g)
	s, err := startSession(ctx, g, v)
	if err != nil {
		return exitError
	}
	defer s.close()
	unlock, err := s.lock(ctx, o.forceUnlock)
	if err != nil {
		fmt.Fprintln(g.stderr, "shoal:", err)
		var held *cluster.LockHeldError
		if errors.As(err, &held) {
			return exitRefused
		}
		return exitError
	}
	defer func() {
		if err := unlock(); err != nil {
			fmt.Fprintln(g.stderr, "shoal:", err)
		}
	}()

	// Plan with the nodes locked: what apply carries out is the plan of
	// hosts no other apply is changing, and a saved plan is carried out
	// only if the hosts still are what it was made from.
	p := s.plan(ctx)
	if saved != nil {
		if why := staleReason(saved, p); why != "" {
			fmt.Fprintf(g.stderr, "shoal: refusing the saved plan %s: %s. Run `shoal plan` again.\n", args[0], why)
			return exitRefused
		}
		p = saved
	}

	stdout, _ := g.stdout.(*os.File)
	useTUI := stdout != nil && tui.UseTUI(g.stdin, stdout, g.yes) && !g.json
	shown := s.redactor.Plan(p) // p runs; its redacted copy is what anyone sees
	refused := len(p.Failed()) > 0 || len(p.Conflicts()) > 0
	if !useTUI || refused || !p.HasChanges() {
		v.plan(shown) // the UI reviews only a plan that can be applied and changes something
	}
	switch {
	case len(p.Failed()) > 0:
		fmt.Fprintf(g.stderr, "shoal: %d node(s) could not be planned; fix them or leave them out with --target\n", len(p.Failed()))
		return exitError
	case len(p.Conflicts()) > 0:
		fmt.Fprintf(g.stderr, "shoal: refusing to apply: %d conflict(s) would put data at risk (see the plan)\n", len(p.Conflicts()))
		return exitRefused
	case !p.HasChanges():
		return exitOK
	}

	runner, combine := cluster.Runner(s.compiled.Entries, s.hosts)
	execute := func(ctx context.Context, hook plan.Hook, stop <-chan struct{}) plan.Summary {
		summary := plan.Execute(ctx, p, runner, s.redactor.Hook(hook), plan.ExecOptions{Parallel: g.parallel, FailFast: o.failFast, Stop: stop, Combine: combine})
		return s.redactor.Summary(summary)
	}

	var summary plan.Summary
	if useTUI {
		res, err := tui.Run(ctx, shown, execute, tui.Options{Site: siteNames(s), NoColor: g.noColor, FailFast: o.failFast})
		if err != nil {
			fmt.Fprintln(g.stderr, "shoal:", err)
			return exitError
		}
		if !res.Approved {
			fmt.Fprintln(g.stderr, "Apply cancelled; nothing changed.")
			return exitOK
		}
		summary = res.Summary
	} else {
		if !g.yes && canAsk {
			if !confirm(g) {
				fmt.Fprintln(g.stderr, "Apply cancelled; nothing changed.")
				return exitOK
			}
		}
		stop := stopOnInterrupt(g, cancel)
		summary = execute(ctx, v.hook(), stop)
	}
	if summary.Failed > 0 || summary.Stopped {
		return exitError
	}
	return exitOK
}

// staleReason says why a saved plan no longer fits the hosts, or "".
func staleReason(saved, fresh *plan.Plan) string {
	if saved.ConfigDigest != fresh.ConfigDigest {
		return "the configuration changed since it was made"
	}
	now := map[string]string{}
	for _, n := range fresh.Nodes {
		now[n.Name] = n.FactsDigest
	}
	var changed []string
	for _, n := range saved.Nodes {
		if now[n.Name] != n.FactsDigest {
			changed = append(changed, n.Name)
		}
	}
	if len(changed) > 0 {
		return "the hosts changed since it was made (" + strings.Join(changed, ", ") + ")"
	}
	return ""
}

// confirm asks on stderr, so stdout (a log, a pipe) holds only the plan
// and the apply.
func confirm(g *globalOptions) bool {
	fmt.Fprint(g.stderr, "\nApply these changes? Only 'yes' or 'y' proceeds: ")
	line, _ := bufio.NewReader(g.stdin).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}

// stopOnInterrupt: the first Ctrl-C starts nothing new and lets running
// steps finish; the second cancels them.
func stopOnInterrupt(g *globalOptions, cancel context.CancelFunc) <-chan struct{} {
	stop := make(chan struct{})
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt)
	var once sync.Once
	go func() {
		<-sig
		once.Do(func() { close(stop) })
		fmt.Fprintln(g.stderr, "\nshoal: stopping after the steps in flight; Ctrl-C again to cancel them")
		<-sig
		cancel()
	}()
	return stop
}

func siteNames(s *session) string {
	var names []string
	for _, site := range s.cfg.Sites {
		names = append(names, site.Name)
	}
	return strings.Join(names, ", ")
}
