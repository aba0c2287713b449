package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoal-sh/shoal/lab"
)

// NewLabCommand is `shoal lab up|down|status`: throwaway local hosts
// running real OpenSSH.
func NewLabCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Start and stop throwaway local hosts (real OpenSSH) to try configs on",
		Long: `A lab is a file server "files" (exporting /srv/nas) and web hosts web1..webN
(mounting it at /mnt/nas), each in its own network, mount and pid namespaces on
this machine, reachable with the ssh_config the lab writes. Needs root, sshd,
sshfs and iproute2.`,
		Example: `  sudo shoal lab up --web 3
  ssh -F /run/shoal-lab/ssh_config web1 hostname
  SHOAL_SSH_CONFIG=/run/shoal-lab/ssh_config shoal -C fixtures/dolphin plan
  sudo shoal lab down`,
	}
	cmd.PersistentFlags().StringVar(&dir, "dir", lab.DefaultDir, "where the lab keeps its key, ssh_config and state")
	cmd.AddCommand(newLabUpCommand(&dir), newLabDownCommand(&dir), newLabStatusCommand(&dir))
	return cmd
}

func newLabUpCommand(dir *string) *cobra.Command {
	o := lab.Options{}
	cmd := &cobra.Command{
		Use:     "up",
		Short:   "Start a lab and wait until every host answers SSH",
		Example: "  sudo shoal lab up --web 10 --storage bind\n  sudo shoal lab up --web 3 --host dns --host db",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Dir = *dir
			return runLabUp(cmd.Context(), o, cmd.OutOrStdout())
		},
	}
	cmd.Flags().IntVar(&o.Web, "web", 3, "number of web hosts")
	cmd.Flags().StringArrayVar(&o.Extra, "host", nil, "an extra host with this name and role, such as dns, db or backup (repeatable)")
	cmd.Flags().StringVar(&o.Storage, "storage", lab.StorageSSHFS, "how web hosts share files:/srv/nas: sshfs or bind")
	return cmd
}

func runLabUp(ctx context.Context, o lab.Options, out io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt) // Ctrl-C: Up cleans up what it started
	defer stop()
	start := time.Now()
	l, err := lab.Up(ctx, o)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tADDRESS\tROLES\tPID")
	for _, h := range l.Hosts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", h.Name, h.Addr, strings.Join(h.Roles, ","), h.PID)
	}
	tw.Flush()
	fmt.Fprintf(out, "\nlab up in %s: %d hosts on %s, storage %s, files in %s\n", time.Since(start).Round(time.Millisecond), len(l.Hosts), l.Bridge, l.Storage, l.Dir)
	fmt.Fprintf(out, "  ssh -F %s web1\n", l.SSHConfig)
	fmt.Fprintf(out, "  export SHOAL_SSH_CONFIG=%s   # for shoal plan/apply\n", l.SSHConfig)
	return nil
}

func newLabDownCommand(dir *string) *cobra.Command {
	return &cobra.Command{
		Use:     "down",
		Short:   "Stop the lab and remove everything it created",
		Example: "  sudo shoal lab down",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			if err := lab.Down(*dir); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "no lab left in %s (%s)\n", *dir, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
}

func newLabStatusCommand(dir *string) *cobra.Command {
	return &cobra.Command{
		Use:     "status",
		Short:   "Show which lab hosts run and answer SSH",
		Example: "  shoal lab status",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, statuses, err := lab.Status(*dir)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "HOST\tADDRESS\tPROCESS\tSSH")
			down := 0
			for _, s := range statuses {
				ssh := "answers"
				if !s.SSH {
					ssh, down = "no: "+s.Err, down+1
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Host.Name, s.Host.Addr, runningWord(s.Running), ssh)
			}
			tw.Flush()
			fmt.Fprintf(out, "\nssh_config: %s\n", l.SSHConfig)
			if down > 0 {
				return fmt.Errorf("%d of %d lab hosts do not answer SSH", down, len(statuses))
			}
			return nil
		},
	}
}

func runningWord(running bool) string {
	if running {
		return "running"
	}
	return "gone"
}
