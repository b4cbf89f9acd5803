package state

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/targets"
)

// Results names the lab's result files in results/<run-id>/.
const Results = "state"

// Lab is the state lab's command, `computeladder scenario state`.
func Lab() kit.Lab {
	var (
		seq, workers, perWorker int
		short                   bool
	)
	return kit.Scenario[Result]{
		Use:   "state",
		Short: "The in-memory counter of /whoami across instances, cold starts and redeploys",
		Long: `GET /whoami reports requests_served, a counter kept in the instance's memory.
On the local function: --sequential requests count up on one environment;
a forced cold start gives a new environment whose counter starts at 1;
--workers clients × --per-worker requests at once spread over several
environments, each with its own counter. On the local container: one
instance counts every request until a redeploy starts it again at 1.
Results go to results/<run-id>/state.json, state.md and report.html (its
charts); everything is torn down, also on error and Ctrl-C.`,
		Example: `  computeladder scenario state
  computeladder scenario state --workers 8 --per-worker 10`,
		Results: Results,
		Flags: func(fl *pflag.FlagSet) {
			fl.IntVar(&seq, "sequential", DefaultSequential, "requests sent one after the other")
			fl.IntVar(&workers, "workers", DefaultWorkers, "clients sending at the same time")
			fl.IntVar(&perWorker, "per-worker", DefaultPerWorker, "requests each client sends")
			fl.BoolVar(&short, "short", false, "smoke-test size: 3 sequential, 3 clients × 3 requests")
		},
		Run: func(c *kit.Call) (*Result, error) {
			if short {
				seq, workers, perWorker = ShortSequential, ShortWorkers, ShortPerWorker
			}
			if seq < 2 || seq > 1000 || workers < 2 || workers > 50 || perWorker < 1 || perWorker > 1000 {
				return nil, kit.Usage(fmt.Errorf("--sequential %d, --workers %d, --per-worker %d: use 2-1000 sequential, 2-50 workers, 1-1000 requests each", seq, workers, perWorker))
			}
			if err := c.Check(); err != nil {
				return nil, err
			}
			ctx := c.Cmd.Context()
			fn, err := targets.LocalAs[Function](ctx, deployers.Lambda, targets.Options{MaxConcurrency: workers + 1})
			if err != nil {
				return nil, err
			}
			defer targets.Close(fn)
			ctr, err := targets.Local(ctx, deployers.Container, targets.Options{})
			if err != nil {
				return nil, err
			}
			defer targets.Close(ctr)
			s, err := c.Start([]deployers.Deployer{fn, ctr})
			if err != nil {
				return nil, err
			}
			return Run(ctx, Config{
				RunID: s.RunID, Spec: deployers.Spec{Artifacts: s.Artifacts}, Function: fn, Container: ctr,
				Sequential: seq, Workers: workers, PerWorker: perWorker, Logf: s.Logf,
			})
		},
		Markdown: Markdown,
		HTML:     HTML,
		Verdict:  func(r *Result) error { return r.Claims.Verdict() },
		Needs:    kit.Needs{Variants: []deployers.Variant{deployers.Lambda, deployers.Container}},
	}.Lab()
}
