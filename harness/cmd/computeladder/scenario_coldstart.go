package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/rie"
	"github.com/computeladder/computeladder/harness/cost"
	"github.com/computeladder/computeladder/harness/targets"
	coldstart "github.com/computeladder/computeladder/labs/cold-start"
)

func newScenarioColdStartCmd() *cobra.Command {
	var (
		keepAlive        time.Duration
		burst, prewarm   int
		memoryMB         int
		arch, runID, out string
		short, quiet, js bool
	)
	cmd := &cobra.Command{
		Use:   "cold-start",
		Short: "An idle function goes cold; a burst starts new environments; pre-warming removes the stall, at a price",
		Long: `On the local function (RIE, one container per execution environment):
  1. a warm request, then idle past the keep-alive: the next request lands
     on a new environment (whoami cold=true, a new instance id) and is slow;
  2. --burst requests at once on one warm environment: each extra one
     starts a new environment (a cold start), with its Init Duration;
  3. --prewarm environments started ahead (provisioned concurrency,
     minimum instances), then the same burst: no cold start, and what
     keeping them warm costs per month.
Results go to results/<run-id>/cold-start.json and cold-start.md; everything
is torn down, also on error and Ctrl-C.`,
		Example: `  computeladder scenario cold-start
  computeladder scenario cold-start --burst 8 --keep-alive 5s --memory 1769
  computeladder scenario cold-start --short`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if short {
				keepAlive, burst = coldstart.ShortKeepAlive, coldstart.ShortBurst
			}
			if prewarm == 0 {
				prewarm = burst
			}
			if runID != "" {
				if err := deployers.ValidateRunID(runID); err != nil {
					return usagef(err)
				}
			}
			if keepAlive < 100*time.Millisecond || keepAlive > 10*time.Minute {
				return usagef(fmt.Errorf("--keep-alive %s: use 100ms to 10m", keepAlive))
			}
			if burst < 2 || burst > 50 || prewarm < 1 || prewarm > 50 {
				return usagef(fmt.Errorf("--burst %d, --prewarm %d: use a burst of 2 to 50 and 1 to 50 pre-warmed environments", burst, prewarm))
			}
			if memoryMB != 0 && (memoryMB < rie.DefaultMemoryMB || memoryMB > rie.MaxMemoryMB) {
				return usagef(fmt.Errorf("--memory %d: Lambda allows %d to %d MB", memoryMB, rie.DefaultMemoryMB, rie.MaxMemoryMB))
			}
			if err := validArch(arch); err != nil {
				return err
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
			if err := targets.CheckLocal(ctx, []deployers.Variant{deployers.Function}); err != nil {
				return err
			}
			fn, err := rie.New(rie.WithKeepAlive(keepAlive), rie.WithMaxConcurrency(coldstart.MaxConcurrency(burst, prewarm)))
			if err != nil {
				return err
			}
			defer fn.Close()
			arts, runID, err := prepareScenario(cmd, arch, runID, say, map[deployers.Variant]deployers.Deployer{deployers.Function: fn})
			if err != nil {
				return err
			}
			// The warm pool is priced for the architecture the function runs.
			a, err := cost.ParseArch(arts.Arch)
			if err != nil {
				return err
			}
			res, runErr := coldstart.Run(ctx, coldstart.Config{
				RunID: runID, Spec: deployers.Spec{Artifacts: arts, MemoryMB: memoryMB}, Function: fn,
				KeepAlive: keepAlive, Burst: burst, Prewarm: prewarm, Arch: a, Logf: say,
			})
			return emitScenario(cmd, out, runID, res, runErr, js, coldstart.Write, coldstart.Markdown, say)
		},
	}
	fl := cmd.Flags()
	fl.DurationVar(&keepAlive, "keep-alive", coldstart.DefaultKeepAlive, "how long an idle environment stays warm (Lambda: minutes, undocumented)")
	fl.IntVar(&burst, "burst", coldstart.DefaultBurst, "requests sent at once")
	fl.IntVar(&prewarm, "prewarm", 0, "environments kept warm before the second burst (0: as many as --burst)")
	fl.IntVar(&memoryMB, "memory", 0, "function memory in MB, 128-10240 (0: 128); CPU follows memory")
	fl.StringVar(&arch, "arch", "", "architecture the function is built for, runs and is priced for: amd64 (x86_64) or arm64 (default: the Docker engine's)")
	fl.BoolVar(&short, "short", false, "smoke-test size: keep-alive 2s, burst of 4")
	fl.BoolVarP(&quiet, "quiet", "q", false, "print no progress, only the result")
	fl.BoolVar(&js, "json", false, "print cold-start.json to stdout instead of the summary")
	fl.StringVar(&runID, "run-id", "", "run id to label resources with (default: generated)")
	fl.StringVar(&out, "out", "results", "directory for results/<run-id>/")
	return cmd
}
