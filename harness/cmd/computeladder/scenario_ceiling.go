package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/harness/targets"
	ceiling "github.com/computeladder/computeladder/labs/execution-ceiling"
)

func newScenarioCeilingCmd() *cobra.Command {
	var (
		timeout, job time.Duration
		short, quiet bool
		memoryMB     int
		accel, arch  string
		runID        string
		outDir       string
	)
	cmd := &cobra.Command{
		Use:   "execution-ceiling",
		Short: "A job longer than the function timeout fails on the function, completes on the container and the VM",
		Long: `Deploys the VM, the container and the function (with --timeout) locally,
one after the other, and sends each POST /jobs {"seconds": J} with J (--job)
longer than the function timeout, reading the NDJSON progress stream as it
arrives. The function also gets a job of half its timeout, which completes
but delivers all its lines at once at the end (a buffered response).
Results go to results/<run-id>/execution-ceiling.json and .md; everything
is torn down, also on error and on Ctrl-C.

Exit codes: 0 the claim held, 1 a variant failed or the claim did not
hold, 2 bad input or a missing prerequisite (nothing created).`,
		Example: `  computeladder scenario execution-ceiling
  computeladder scenario execution-ceiling --timeout 10s --job 15s
  computeladder scenario execution-ceiling --short`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if short {
				if !cmd.Flags().Changed("timeout") {
					timeout = ceiling.ShortFunctionTimeout
				}
				if !cmd.Flags().Changed("job") {
					job = ceiling.ShortJob
				}
			}
			if runID != "" {
				if err := deployers.ValidateRunID(runID); err != nil {
					return usagef(err)
				}
			}
			if err := validArch(arch); err != nil {
				return err
			}
			if err := validAccel(accel, arch); err != nil {
				return err
			}
			ctx := cmd.Context()
			stderr := cmd.ErrOrStderr()
			var prog *progress
			if !quiet {
				prog = newProgress(stderr)
			}
			say := func(format string, a ...any) {
				if prog != nil {
					prog.printf(format, a...)
				}
			}
			if runID == "" {
				runID = newRunID()
			}
			cfg := ceiling.Config{RunID: runID, FunctionTimeout: timeout, Job: job, MemoryMB: memoryMB}
			if err := cfg.ValidateSettings(); err != nil {
				return usagef(err)
			}

			set, err := targets.Open(ctx, "local", deployers.Variants, targets.Options{Accel: accel})
			if err != nil {
				return err
			}
			defer set.Close()
			arches, err := targets.Arches(ctx, "local", deployers.Variants, arch)
			if err != nil {
				return err
			}
			one, err := targets.OneArch(arches)
			if err != nil {
				return usagef(err)
			}
			say("building artifacts for linux/%s (cached when nothing changed)", one)
			arts, err := artifact.Build(ctx, artifact.Options{Arch: one})
			if err != nil {
				return fmt.Errorf("build: %w", err)
			}
			say("run %s: function timeout %s, job %s", runID, timeout, job)
			forceSweep(set, runID, stderr)

			cfg.Deployers, cfg.Artifacts = set.Deployers, arts
			if prog != nil {
				cfg.Observer = prog
			}
			res, runErr := ceiling.Run(ctx, cfg)
			if res == nil {
				return runErr
			}
			dir := filepath.Join(outDir, runID)
			path, err := ceiling.Write(dir, res)
			if err != nil {
				return errors.Join(runErr, err)
			}
			if err := ceiling.Markdown(cmd.OutOrStdout(), res); err != nil {
				return errors.Join(runErr, err)
			}
			say("results: %s (and %s)", path, ceiling.MarkdownFile)
			if runErr == nil && !res.Claim.Holds {
				runErr = errors.New("the claim did not hold: see the failed checks above")
			}
			return runErr
		},
	}
	fl := cmd.Flags()
	fl.DurationVar(&timeout, "timeout", ceiling.DefaultFunctionTimeout, "the function's timeout: whole seconds, 1s to 15m (Lambda's default is 3s)")
	fl.DurationVar(&job, "job", ceiling.DefaultJob, "the job's length: longer than --timeout, at most 15m")
	fl.BoolVar(&short, "short", false, "quick run for the smoke test: --timeout 1s --job 2s unless given")
	fl.IntVar(&memoryMB, "memory", 0, "memory in MB for the VM, container and function (0: each backend's default)")
	fl.StringVar(&accel, "accel", "auto", accelHelp)
	fl.StringVar(&arch, "arch", "", archHelp)
	fl.StringVar(&runID, "run-id", "", "run id to label resources with (default: generated)")
	fl.StringVar(&outDir, "out", "results", "directory for results/<run-id>/")
	fl.BoolVarP(&quiet, "quiet", "q", false, "print no progress, only the summary")
	return cmd
}
