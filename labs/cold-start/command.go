package coldstart

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/rie"
	"github.com/computeladder/computeladder/harness/cost"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/targets"
)

// Results names the lab's result files in results/<run-id>/.
const Results = "cold-start"

// Lab is the cold-start lab's command, `computeladder scenario cold-start`.
func Lab() kit.Lab {
	var (
		keepAlive      time.Duration
		burst, prewarm int
		memoryMB       int
		short          bool
	)
	return kit.Scenario[Result]{
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
Results go to results/<run-id>/cold-start.json, cold-start.md and
report.html (its charts); everything is torn down, also on error and Ctrl-C.`,
		Example: `  computeladder scenario cold-start
  computeladder scenario cold-start --burst 8 --keep-alive 5s --memory 1769
  computeladder scenario cold-start --short`,
		Results:     Results,
		FlagOptions: []kit.FlagOption{kit.WithArchHelp("architecture the function is built for, runs and is priced for: amd64 (x86_64) or arm64 (default: the Docker engine's)")},
		Flags: func(fl *pflag.FlagSet) {
			fl.DurationVar(&keepAlive, "keep-alive", DefaultKeepAlive, "how long an idle environment stays warm (Lambda: minutes, undocumented)")
			fl.IntVar(&burst, "burst", DefaultBurst, "requests sent at once")
			fl.IntVar(&prewarm, "prewarm", 0, "environments kept warm before the second burst (0: as many as --burst)")
			fl.IntVar(&memoryMB, "memory", 0, "function memory in MB, 128-10240 (0: 128); CPU follows memory")
			fl.BoolVar(&short, "short", false, "smoke-test size: keep-alive 2s, burst of 4")
		},
		Run: func(c *kit.Call) (*Result, error) {
			if short {
				keepAlive, burst = ShortKeepAlive, ShortBurst
			}
			if prewarm == 0 {
				prewarm = burst
			}
			if keepAlive < 100*time.Millisecond || keepAlive > 10*time.Minute {
				return nil, kit.Usage(fmt.Errorf("--keep-alive %s: use 100ms to 10m", keepAlive))
			}
			if burst < 2 || burst > 50 || prewarm < 1 || prewarm > 50 {
				return nil, kit.Usage(fmt.Errorf("--burst %d, --prewarm %d: use a burst of 2 to 50 and 1 to 50 pre-warmed environments", burst, prewarm))
			}
			if memoryMB != 0 && (memoryMB < rie.DefaultMemoryMB || memoryMB > rie.MaxMemoryMB) {
				return nil, kit.Usage(fmt.Errorf("--memory %d: Lambda allows %d to %d MB", memoryMB, rie.DefaultMemoryMB, rie.MaxMemoryMB))
			}
			if err := c.Check(); err != nil {
				return nil, err
			}
			ctx := c.Cmd.Context()
			fn, err := targets.LocalAs[Function](ctx, deployers.Lambda, targets.Options{KeepAlive: keepAlive, MaxConcurrency: MaxConcurrency(burst, prewarm)})
			if err != nil {
				return nil, err
			}
			defer targets.Close(fn)
			s, err := c.Start([]deployers.Deployer{fn})
			if err != nil {
				return nil, err
			}
			// The warm pool is priced for the architecture the function runs.
			a, err := cost.ParseArch(s.Artifacts.Arch)
			if err != nil {
				return nil, err
			}
			return Run(ctx, Config{
				RunID: s.RunID, Spec: deployers.Spec{Artifacts: s.Artifacts, MemoryMB: memoryMB}, Function: fn,
				KeepAlive: keepAlive, Burst: burst, Prewarm: prewarm, Arch: a, Logf: s.Logf,
			})
		},
		Markdown: Markdown,
		HTML:     HTML,
		Verdict:  func(r *Result) error { return r.Claims.Verdict() },
		Needs:    kit.Needs{Variants: []deployers.Variant{deployers.Lambda}},
	}.Lab()
}
