package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/docker"
	"github.com/computeladder/computeladder/deployers/rie"
	"github.com/computeladder/computeladder/harness/targets"
	"github.com/computeladder/computeladder/labs/state"
)

func newScenarioStateCmd() *cobra.Command {
	var (
		seq, workers, perWorker int
		runID, out, arch        string
		short, quiet, js        bool
	)
	cmd := &cobra.Command{
		Use:   "state",
		Short: "The in-memory counter of /whoami across instances, cold starts and redeploys",
		Long: `GET /whoami reports requests_served, a counter kept in the instance's memory.
On the local function: --sequential requests count up on one environment;
a forced cold start gives a new environment whose counter starts at 1;
--workers clients × --per-worker requests at once spread over several
environments, each with its own counter. On the local container: one
instance counts every request until a redeploy starts it again at 1.
Results go to results/<run-id>/state.json and state.md; everything is torn
down, also on error and Ctrl-C.`,
		Example: `  computeladder scenario state
  computeladder scenario state --workers 8 --per-worker 10`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if short {
				seq, workers, perWorker = state.ShortSequential, state.ShortWorkers, state.ShortPerWorker
			}
			if runID != "" {
				if err := deployers.ValidateRunID(runID); err != nil {
					return usagef(err)
				}
			}
			if err := validArch(arch); err != nil {
				return err
			}
			if seq < 2 || seq > 1000 || workers < 2 || workers > 50 || perWorker < 1 || perWorker > 1000 {
				return usagef(fmt.Errorf("--sequential %d, --workers %d, --per-worker %d: use 2-1000 sequential, 2-50 workers, 1-1000 requests each", seq, workers, perWorker))
			}
			ctx := cmd.Context()
			var prog *progress
			if !quiet {
				prog = newProgress(cmd.ErrOrStderr())
			}
			say := func(format string, a ...any) {
				if prog != nil {
					prog.printf(format, a...)
				}
			}
			if err := targets.CheckLocal(ctx, []deployers.Variant{deployers.Function, deployers.Container}); err != nil {
				return err
			}
			fn, err := rie.New(rie.WithMaxConcurrency(workers + 1))
			if err != nil {
				return err
			}
			defer fn.Close()
			ctr, err := docker.New()
			if err != nil {
				return err
			}
			defer ctr.Close()
			arts, runID, err := prepareScenario(cmd, arch, runID, say, map[deployers.Variant]deployers.Deployer{deployers.Function: fn, deployers.Container: ctr})
			if err != nil {
				return err
			}
			res, runErr := state.Run(ctx, state.Config{
				RunID: runID, Spec: deployers.Spec{Artifacts: arts}, Function: fn, Container: ctr,
				Sequential: seq, Workers: workers, PerWorker: perWorker, Logf: say,
			})
			return emitScenario(cmd, out, runID, res, runErr, js, state.Write, state.Markdown, say)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&seq, "sequential", state.DefaultSequential, "requests sent one after the other")
	fl.IntVar(&workers, "workers", state.DefaultWorkers, "clients sending at the same time")
	fl.IntVar(&perWorker, "per-worker", state.DefaultPerWorker, "requests each client sends")
	fl.BoolVar(&short, "short", false, "smoke-test size: 3 sequential, 3 clients × 3 requests")
	fl.BoolVarP(&quiet, "quiet", "q", false, "print no progress, only the result")
	fl.BoolVar(&js, "json", false, "print state.json to stdout instead of the summary")
	fl.StringVar(&runID, "run-id", "", "run id to label resources with (default: generated)")
	fl.StringVar(&out, "out", "results", "directory for results/<run-id>/")
	fl.StringVar(&arch, "arch", "", archHelp)
	return cmd
}
