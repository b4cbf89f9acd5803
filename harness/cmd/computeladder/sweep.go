package main

import (
	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/targets"
)

func newSweepCmd() *cobra.Command {
	var dryRun bool
	var runID, target, endpoint, region string
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Remove what killed runs left behind (found by their run-id labels)",
		Long: `Sweep finds every resource that carries a computeladder run id — Docker
containers and images labelled computeladder.run-id, microVMs recorded in
the state directory, and on --target local what the labs start besides
(the connection-storm lab's PostgreSQL servers, by their directories) — and
removes them. With --run-id only that run's; with --dry-run it lists them
and removes nothing.`,
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
			set, err := targets.OpenForSweep(cmd.Context(), target, targets.Options{Endpoint: endpoint, Region: region})
			if err != nil {
				return err
			}
			defer set.Close()
			return kit.Sweep(cmd.Context(), sweepers(set), runID, dryRun, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be removed; remove nothing")
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
