package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/targets"
)

func newSweepCmd() *cobra.Command {
	var dryRun, force bool
	var ttl time.Duration
	var runID, target, endpoint, region string
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Remove what killed runs left behind (found by their run-id labels)",
		Long: `Sweep finds every resource that carries a computeladder run id — Docker
containers and images labelled computeladder.run-id, microVMs recorded in
the state directory, and on --target local what the labs start besides
(the connection-storm lab's PostgreSQL servers, by their directories) — and
removes them. With --run-id only that run's; with --dry-run it lists them
and removes nothing.

It never removes a run that is still alive. Every resource records its
owner — the host, pid and process start time of the computeladder that
created it (label computeladder.owner, AWS tag computeladder:owner) — and
a run is skipped, with a line that says so, when any of its resources has
an owner that:
  - runs on this host: a process with that pid is running and started at
    the recorded time (so a pid reused since does not count);
  - runs on another host (a cloud resource created elsewhere, whose process
    cannot be checked from here): is younger than --ttl.
A resource with no owner recorded is swept. --force removes live runs too.`,
		Example: `  computeladder sweep --dry-run
  computeladder sweep --run-id 20261130-101500-a1b2c3 --force
  computeladder sweep --target aws --region eu-west-1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runID != "" {
				if err := deployers.ValidateRunID(runID); err != nil {
					return kit.Usage(err)
				}
			}
			if err := kit.ValidTarget(target); err != nil {
				return err
			}
			if ttl <= 0 {
				return kit.Usage(fmt.Errorf("--ttl %s: must be positive", ttl))
			}
			set, err := targets.OpenForSweep(cmd.Context(), target, targets.Options{Endpoint: endpoint, Region: region})
			if err != nil {
				return err
			}
			defer set.Close()
			return kit.SweepLeftovers(cmd.Context(), sweepers(set), kit.SweepOptions{RunID: runID, DryRun: dryRun, Force: force, TTL: ttl}, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be removed; remove nothing")
	cmd.Flags().BoolVar(&force, "force", false, "remove runs whose owner is still running too")
	cmd.Flags().DurationVar(&ttl, "ttl", deployers.DefaultOwnerTTL, "how long a run owned by a process on another host is left alone")
	cmd.Flags().StringVar(&runID, "run-id", "", "only this run's resources (default: every run's)")
	cmd.Flags().StringVar(&target, "target", "local", "where to sweep: local, localstack or aws (by the computeladder:run-id tag)")
	cmd.Flags().StringVar(&endpoint, "endpoint", "", "AWS-compatible endpoint URL (localstack and other emulators)")
	cmd.Flags().StringVar(&region, "region", "", "AWS region (default: the standard chain's)")
	return cmd
}

// sweepers are set's deployers, in the variants' order, and on the local
// target what the labs start on this machine besides deployments.
func sweepers(set *targets.Set) []kit.Sweeper {
	var out []kit.Sweeper
	for _, v := range deployers.Variants {
		if d := set.Deployers[v]; d != nil {
			out = append(out, d)
		}
	}
	if set.Target == "local" {
		out = append(out, labSweepers()...)
	}
	return out
}
