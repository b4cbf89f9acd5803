package checkout

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/cost"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/targets"
	"github.com/computeladder/computeladder/labs/connection-storm/pgserver"
)

// Results names the lab's result files in results/<run-id>/.
const Results = "checkout"

// Lab is the checkout-API lab's command, `computeladder scenario checkout`;
// `computeladder sweep` also finds the PostgreSQL servers it left.
func Lab() kit.Lab {
	var (
		rate, burst, rounds, pool, clients      int
		duration, warmup, keepAlive, throughput time.Duration
		short                                   bool
	)
	return kit.Scenario[Result]{
		Use:   "checkout",
		Short: "The checkout API on a function, traced (cold-start stall, connections exhausted, the bill), then on a container: the decision",
		Long: `Starts a throwaway PostgreSQL (max_connections 20, 3 reserved: 17 seats) and
deploys the app, with a pool of --pool connections per instance, on the
local function (keep-alive --keep-alive, up to --burst environments), then
on one local container. On each:
  1. --rate POST /checkout a second for --warmup (excluded), then for
     --duration, a quiet gap past the
     keep-alive, and the same again: the function's tail stalls on new
     environments after the gap;
  2. --rounds spikes of --burst concurrent POST /orders, on the function
     once it has scaled to zero (no environment live, every seat free):
     its environments, a pool each, run PostgreSQL out of connections (503);
  3. on the container, --clients closed-loop clients for --throughput: its
     capacity, which sizes the always-on bill.
Then the month's bill at --rate: Lambda against as many Fargate tasks as
the rate needs, the crossover, and the decision the figures support.
Results go to results/<run-id>/checkout.json, checkout.md and the page
report.html; everything (the deployments, PostgreSQL and its directory)
is torn down, also on error and Ctrl-C.`,
		Example: `  computeladder scenario checkout
  computeladder scenario checkout --rate 100 --duration 20s --rounds 3
  computeladder scenario checkout --short`,
		Results:     Results,
		FlagOptions: []kit.FlagOption{kit.WithArchHelp("architecture the app is built for, runs and is priced for: amd64 (x86_64) or arm64 (default: the Docker engine's)")},
		Flags: func(fl *pflag.FlagSet) {
			fl.IntVar(&rate, "rate", DefaultRate, "steady POST /checkout per second, and the rate the month is billed at")
			fl.DurationVar(&duration, "duration", DefaultDuration, "steady traffic before and after the gap, each")
			fl.DurationVar(&warmup, "warmup", DefaultWarmup, "traffic at --rate before the first stretch, excluded (the environments steady traffic needs start there); 0 for none")
			fl.DurationVar(&keepAlive, "keep-alive", DefaultKeepAlive, "the function's keep-alive; the gap is 1.5 s longer")
			fl.IntVar(&burst, "burst", DefaultBurst, "concurrent POST /orders per spike (and the function's concurrency limit)")
			fl.IntVar(&rounds, "rounds", DefaultRounds, "order spikes per variant")
			fl.IntVar(&pool, "pool", DefaultPoolSize, "connection pool size per instance (DB_POOL_SIZE)")
			fl.IntVar(&clients, "clients", DefaultClients, "closed-loop clients measuring the container's throughput")
			fl.DurationVar(&throughput, "throughput", DefaultThroughput, "how long the throughput is measured")
			fl.BoolVar(&short, "short", false, "smoke-test size: 3 s of traffic each side of the gap, one order spike")
		},
		Run: func(c *kit.Call) (*Result, error) {
			if short {
				duration, rounds = ShortDuration, ShortRounds
			}
			if rate < 1 || rate > 2000 || duration < time.Second || duration > 10*time.Minute || warmup < 0 || warmup > time.Minute || keepAlive < 500*time.Millisecond || keepAlive > 10*time.Minute ||
				burst < 2 || burst > 30 || rounds < 1 || rounds > 20 || pool < 1 || pool > 20 || clients < 1 || clients > 100 || throughput < 500*time.Millisecond || throughput > time.Minute {
				return nil, kit.Usage(fmt.Errorf("--rate %d, --duration %s, --warmup %s, --keep-alive %s, --burst %d, --rounds %d, --pool %d, --clients %d, --throughput %s: use a rate of 1-2000, 1s-10m of traffic, 0-1m of warm-up, a keep-alive of 500ms-10m, a burst of 2-30, 1-20 rounds, a pool of 1-20, 1-100 clients and 500ms-1m of throughput",
					rate, duration, warmup, keepAlive, burst, rounds, pool, clients, throughput))
			}
			if warmup == 0 {
				warmup = NoWarmup // Config's zero is the default
			}
			if err := c.Check(); err != nil {
				return nil, err
			}
			ctx := c.Cmd.Context()
			gw, subnet, err := pgserver.Bridge(ctx)
			if err != nil {
				return nil, err
			}
			fn, err := targets.LocalAs[Function](ctx, deployers.Lambda, targets.Options{KeepAlive: keepAlive, MaxConcurrency: burst})
			if err != nil {
				return nil, err
			}
			defer targets.Close(fn)
			ctr, err := targets.Local(ctx, deployers.Container, targets.Options{})
			if err != nil {
				return nil, err
			}
			defer targets.Close(ctr)
			s, err := c.Start([]deployers.Deployer{fn, ctr}, pgserver.Sweeper{})
			if err != nil {
				return nil, err
			}
			a, err := cost.ParseArch(s.Artifacts.Arch)
			if err != nil {
				return nil, err
			}
			return Run(ctx, Config{
				RunID: s.RunID, Spec: deployers.Spec{Artifacts: s.Artifacts},
				Function: fn, Container: ctr, DBHost: gw, DBNet: subnet,
				Rate: rate, Duration: duration, Warmup: warmup, KeepAlive: keepAlive, Burst: burst, Rounds: rounds, PoolSize: pool,
				Clients: clients, ThroughputFor: throughput, Arch: a, Logf: s.Logf,
			})
		},
		Markdown: Markdown,
		HTML:     HTML,
		Verdict:  func(r *Result) error { return r.Claims.Verdict() },
		Sweepers: []kit.Sweeper{pgserver.Sweeper{}},
		Needs: kit.Needs{
			Variants: []deployers.Variant{deployers.Lambda, deployers.Container},
			Prereqs:  []targets.Prereq{pgserver.Postgres},
		},
	}.Lab()
}
