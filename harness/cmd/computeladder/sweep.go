package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
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
the state directory — and removes them. With --run-id only that run's;
with --dry-run it lists them and removes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runID != "" {
				if err := deployers.ValidateRunID(runID); err != nil {
					return usagef(err)
				}
			}
			switch target {
			case "local", "localstack", "aws":
			default:
				return usagef(fmt.Errorf("--target %q: use local, localstack or aws", target))
			}
			set, err := targets.OpenForSweep(cmd.Context(), target, targets.Options{Endpoint: endpoint, Region: region})
			if err != nil {
				return err
			}
			defer set.Close()
			return sweep(cmd.Context(), set, runID, dryRun, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be removed; remove nothing")
	cmd.Flags().StringVar(&runID, "run-id", "", "only this run's resources (default: every run's)")
	cmd.Flags().StringVar(&target, "target", "local", "where to sweep: local, localstack or aws (by the computeladder:run-id tag)")
	cmd.Flags().StringVar(&endpoint, "endpoint", "", "AWS-compatible endpoint URL (localstack and other emulators)")
	cmd.Flags().StringVar(&region, "region", "", "AWS region (default: the standard chain's)")
	return cmd
}

// sweep lists or removes every variant's leftovers. A backend that cannot
// be reached (say, Docker is stopped) is reported and the others still run.
func sweep(ctx context.Context, set *targets.Set, runID string, dryRun bool, w io.Writer) error {
	var errs []error
	total := 0
	for _, v := range deployers.Variants {
		d := set.Deployers[v]
		if d == nil {
			continue
		}
		var rs []deployers.Resource
		var err error
		if dryRun {
			rs, err = d.List(ctx, runID)
		} else {
			rs, err = d.Sweep(ctx, runID)
		}
		for _, r := range rs {
			verb := "removed"
			if dryRun {
				verb = "would remove"
			}
			fmt.Fprintf(w, "%s %s: %s\n", verb, v, r)
		}
		total += len(rs)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %w", v, d.Info().Name, err))
		}
	}
	if total == 0 {
		fmt.Fprintln(w, "nothing to sweep")
	}
	return errors.Join(errs...)
}

// forceSweep makes a second Ctrl-C sweep runID on set before exiting.
func forceSweep(set *targets.Set, runID string, w io.Writer) {
	f := func() {
		fmt.Fprintf(w, "computeladder: second interrupt: sweeping run %s\n", runID)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := sweep(ctx, set, runID, false, w); err != nil {
			fmt.Fprintf(w, "computeladder: sweep: %v (run `computeladder sweep --run-id %s` again)\n", err, runID)
		}
	}
	onSecondInterrupt.Store(&f)
}
