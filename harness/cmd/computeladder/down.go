package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/targets"
)

// downWait bounds how long down waits for the owner to tear down (an EC2
// instance takes minutes to terminate).
const downWait = 10 * time.Minute

func newDownCmd() *cobra.Command {
	var target, endpoint, region string
	cmd := &cobra.Command{
		Use:   "down RUN_ID",
		Short: "Stop a run: the `up --detach` (or other computeladder) that owns it tears it down, and what is left is swept",
		Long: `Down finds the resources of RUN_ID (by their run-id labels and tags).
When the computeladder process that owns them runs on this machine (an
` + "`up --detach`" + `, or an ` + "`up`" + ` in another terminal) it sends it SIGTERM, as Ctrl-C
would, and waits while it tears down; then it sweeps whatever of the run is
left, whoever owns it. A run id with nothing found is bad input (exit 2).`,
		Example: `  computeladder up container --detach --run-id demo
  computeladder down demo`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			runID := args[0]
			if err := deployers.ValidateRunID(runID); err != nil {
				return kit.Usage(err)
			}
			if err := kit.ValidTarget(target); err != nil {
				return err
			}
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			set, err := targets.OpenForSweep(ctx, target, targets.Options{Endpoint: endpoint, Region: region})
			if err != nil {
				return err
			}
			defer set.Close()
			ss := sweepers(set)
			found, listErr := listAll(ctx, ss, runID)
			if len(found) == 0 {
				if listErr != nil {
					return listErr
				}
				return kit.Usage(fmt.Errorf("run %s: nothing found on --target %s", runID, target))
			}
			if pid := liveOwner(found); pid != 0 {
				fmt.Fprintf(out, "stopping run %s: SIGTERM to its owner, pid %d; waiting while it tears down\n", runID, pid)
				if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
					return fmt.Errorf("signal pid %d: %w", pid, err)
				}
				if err := waitGone(ctx, found); err != nil {
					fmt.Fprintf(out, "%v: sweeping\n", err)
				} else if left, err := listAll(ctx, ss, runID); err == nil && len(left) == 0 {
					fmt.Fprintf(out, "run %s is down: its owner tore it down\n", runID)
					return nil
				}
			}
			return kit.Sweep(ctx, ss, runID, false, out)
		},
	}
	cmd.Flags().StringVar(&target, "target", "local", "where the run is: local, localstack or aws")
	cmd.Flags().StringVar(&endpoint, "endpoint", "", "AWS-compatible endpoint URL (localstack and other emulators)")
	cmd.Flags().StringVar(&region, "region", "", "AWS region (default: the standard chain's)")
	return cmd
}

// listAll is what carries runID on the sweepers' platforms.
func listAll(ctx context.Context, ss []kit.Sweeper, runID string) ([]deployers.Resource, error) {
	listed, err := kit.List(ctx, ss, runID)
	return slices.Concat(listed...), err
}

// liveOwner is the pid of the live owner on this host of any of rs (see
// deployers.OwnerLiveness), or 0.
func liveOwner(rs []deployers.Resource) int {
	me, _ := deployers.ParseOwner(deployers.Self())
	for _, r := range rs {
		o, err := deployers.ParseOwner(r.Owner)
		if err != nil || o.Host != me.Host || o.PID == me.PID {
			continue
		}
		if deployers.OwnerLiveness(r.Owner, time.Now(), deployers.DefaultOwnerTTL).Alive {
			return o.PID
		}
	}
	return 0
}

// waitGone waits until no owner of rs is alive.
func waitGone(ctx context.Context, rs []deployers.Resource) error {
	ctx, cancel := context.WithTimeout(ctx, downWait)
	defer cancel()
	for liveOwner(rs) != 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("the owner did not exit within %s", downWait)
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}
