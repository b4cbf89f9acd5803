package localfriction

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/targets"
)

// Results names the lab's result files in results/<run-id>/.
const Results = "local-friction"

// Lab is the lab's command, `computeladder scenario local-friction`.
func Lab() kit.Lab {
	var (
		timeout, idle time.Duration
		short         bool
	)
	return kit.Scenario[Result]{
		Use:   "local-friction",
		Short: "What the local function backend gets wrong compared with Lambda, each difference shown",
		Long: `Deploys the function locally (the Lambda Runtime Interface Emulator, one
container per execution environment, behind the project's Function URL
gateway) and shows, through the gateway and straight at an environment's
emulator, where it differs from Lambda: the REPORT line's Init Duration,
Duration and Max Memory Used; the memory size; no IAM on the gateway; the
event's shape; a function error and a timeout on the bare emulator; two
invokes at once; no freeze between invokes. Each row says what Lambda does
(with its AWS source) and what the project does about it.
Results go to results/<run-id>/local-friction.json, local-friction.md and
report.html (the table and its charts); everything is torn down, also on
error and Ctrl-C. Exits 1 when a claim does not hold.`,
		Example: `  computeladder scenario local-friction
  computeladder scenario local-friction --timeout 3s --idle 5s
  computeladder scenario local-friction --short`,
		Results: Results,
		Flags: func(fl *pflag.FlagSet) {
			fl.DurationVar(&timeout, "timeout", DefaultTimeout, "function timeout, whole seconds from 1s to 1m")
			fl.DurationVar(&idle, "idle", DefaultIdle, "how long an environment sits idle between two readings of its state (0 to 1m)")
			fl.BoolVar(&short, "short", false, "smoke-test size: timeout 1s, idle 1s")
		},
		Run: func(c *kit.Call) (*Result, error) {
			if short {
				timeout, idle = time.Second, time.Second
			}
			if timeout < time.Second || timeout > time.Minute || timeout%time.Second != 0 {
				return nil, kit.Usage(fmt.Errorf("--timeout %s: use whole seconds from 1s to 1m", timeout))
			}
			if idle < 0 || idle > time.Minute {
				return nil, kit.Usage(fmt.Errorf("--idle %s: use 0 to 1m", idle))
			}
			if err := c.Check(); err != nil {
				return nil, err
			}
			ctx := c.Cmd.Context()
			root, err := artifact.ModuleRoot(ctx, "go")
			if err != nil {
				return nil, err
			}
			fn, err := targets.LocalAs[Function](ctx, deployers.Lambda, targets.Options{MaxConcurrency: MaxConcurrency})
			if err != nil {
				return nil, err
			}
			defer targets.Close(fn)
			s, err := c.Start([]deployers.Deployer{fn})
			if err != nil {
				return nil, err
			}
			return Run(ctx, Config{
				RunID: s.RunID, Spec: deployers.Spec{Artifacts: s.Artifacts}, Function: fn,
				Timeout: timeout, Idle: idle, ModuleRoot: root, Logf: s.Logf,
			})
		},
		Markdown: Markdown,
		HTML:     HTML,
		Verdict:  func(r *Result) error { return r.Claims.Verdict() },
		Needs:    kit.Needs{Variants: []deployers.Variant{deployers.Lambda}},
	}.Lab()
}
