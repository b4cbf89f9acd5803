package ceiling

import (
	"errors"
	"time"

	"github.com/spf13/pflag"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/targets"
)

// Results names the lab's result files in results/<run-id>/. Not
// results.json: that name holds a `computeladder run` document, which
// report and cost read.
const Results = "execution-ceiling"

// Lab is the execution-ceiling lab's command, `computeladder scenario
// execution-ceiling`.
func Lab() kit.Lab {
	var (
		timeout, job time.Duration
		short        bool
		memoryMB     int
	)
	return kit.Scenario[Result]{
		Use:   "execution-ceiling",
		Short: "A job longer than the function timeout fails on the function, completes on the container and the VM",
		Long: `Deploys the VM, the container and the function (with --timeout) locally,
one after the other, and sends each POST /jobs {"seconds": J} with J (--job)
longer than the function timeout, reading the NDJSON progress stream as it
arrives. The function also gets a job of half its timeout, which completes
but delivers all its lines at once at the end (a buffered response).
Results go to results/<run-id>/execution-ceiling.json and .md, and
report.html (its charts); everything is torn down, also on error and on
Ctrl-C.

Exit codes: 0 the claim held, 1 a variant failed or the claim did not
hold, 2 bad input or a missing prerequisite (nothing created).`,
		Example: `  computeladder scenario execution-ceiling
  computeladder scenario execution-ceiling --timeout 10s --job 15s
  computeladder scenario execution-ceiling --short`,
		Results:     Results,
		FlagOptions: []kit.FlagOption{kit.WithAccel()},
		Flags: func(fl *pflag.FlagSet) {
			fl.DurationVar(&timeout, "timeout", DefaultFunctionTimeout, "the function's timeout: whole seconds, 1s to 15m (Lambda's default is 3s)")
			fl.DurationVar(&job, "job", DefaultJob, "the job's length: longer than --timeout, at most 15m")
			fl.BoolVar(&short, "short", false, "quick run for the smoke test: --timeout 1s --job 2s unless given")
			fl.IntVar(&memoryMB, "memory", 0, "memory in MB for the VM, container and function (0: each backend's default)")
		},
		Run: func(c *kit.Call) (*Result, error) {
			if short {
				if !c.Cmd.Flags().Changed("timeout") {
					timeout = ShortFunctionTimeout
				}
				if !c.Cmd.Flags().Changed("job") {
					job = ShortJob
				}
			}
			// A valid run id stands in for the one Start settles.
			cfg := Config{RunID: kit.NewRunID(), FunctionTimeout: timeout, Job: job, MemoryMB: memoryMB}
			if err := cfg.ValidateSettings(); err != nil {
				return nil, kit.Usage(err)
			}
			if err := c.Check(); err != nil {
				return nil, err
			}
			ctx := c.Cmd.Context()
			set, err := targets.Open(ctx, "local", deployers.Variants, targets.Options{Accel: c.Flags.Accel})
			if err != nil {
				return nil, err
			}
			defer set.Close()
			var deps []deployers.Deployer
			for _, v := range deployers.Variants {
				deps = append(deps, set.Deployers[v])
			}
			s, err := c.Start(deps)
			if err != nil {
				return nil, err
			}
			s.Logf("run %s: function timeout %s, job %s", s.RunID, timeout, job)
			cfg.RunID, cfg.Deployers, cfg.Artifacts, cfg.Observer = s.RunID, set.Deployers, s.Artifacts, s.Progress
			return Run(ctx, cfg)
		},
		Markdown: Markdown,
		HTML:     HTML,
		Verdict: func(r *Result) error {
			if !r.Claim.Holds {
				return errors.New("the claim did not hold: see the failed checks above")
			}
			return nil
		},
		Needs: kit.Needs{Variants: deployers.Variants},
	}.Lab()
}
