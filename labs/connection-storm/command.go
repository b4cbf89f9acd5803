package storm

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/targets"
	"github.com/computeladder/computeladder/labs/connection-storm/pgserver"
)

// Results names the lab's result files in results/<run-id>/.
const Results = "storm"

// Lab is the connection-storm lab's command, `computeladder scenario
// connection-storm`; `computeladder sweep` also finds the PostgreSQL
// servers it left.
func Lab() kit.Lab {
	var (
		burst, rounds, pool, capped int
		short, noBouncer            bool
	)
	return kit.Scenario[Result]{
		Use:   "connection-storm",
		Short: "Function environments exhausting a database's connections, and the fixes",
		Long: `Starts a throwaway PostgreSQL (max_connections 20, 3 reserved: 17 seats for
the app) on 127.0.0.1 and the Docker bridge's gateway, then sends --rounds
bursts of --burst concurrent POST /orders (each stores an order) to:
  storm                   the local function, up to --burst execution
                          environments, each with its own pool of --pool
                          connections: more wanted than seats, 503s
  shared-pool             one container, one pool of --pool: no errors
and the fixes (not with --short):
  fix-pool-of-1           a pool of 1 per environment
  fix-capped-concurrency  at most --capped environments: 429s instead
  fix-pgbouncer           PgBouncer in transaction mode in front
Results go to results/<run-id>/storm.json, storm.md and report.html (its
charts); everything (the
deployments, PgBouncer, PostgreSQL and its directory) is torn down, also on
error and Ctrl-C.`,
		Example: `  computeladder scenario connection-storm
  computeladder scenario connection-storm --short`,
		Results: Results,
		Flags: func(fl *pflag.FlagSet) {
			fl.IntVar(&burst, "burst", DefaultBurst, "concurrent POST /orders per round (and the function's concurrency limit)")
			fl.IntVar(&rounds, "rounds", DefaultRounds, "bursts per case")
			fl.IntVar(&pool, "pool", DefaultPoolSize, "connection pool size per instance (DB_POOL_SIZE)")
			fl.IntVar(&capped, "capped", DefaultCappedLimit, "the capped function's concurrency limit")
			fl.BoolVar(&noBouncer, "no-pgbouncer", false, "skip the PgBouncer fix (when pgbouncer is not installed)")
			fl.BoolVar(&short, "short", false, "smoke-test size: the storm and the shared pool only, 2 rounds")
		},
		Run: func(c *kit.Call) (*Result, error) {
			if short {
				rounds = ShortRounds
			}
			if burst < 2 || burst > 30 || rounds < 1 || rounds > 20 || pool < 1 || pool > 20 || capped < 1 || capped >= burst {
				return nil, kit.Usage(fmt.Errorf("--burst %d, --rounds %d, --pool %d, --capped %d: use a burst of 2-30, 1-20 rounds, a pool of 1-20 and a cap below the burst", burst, rounds, pool, capped))
			}
			if err := c.Check(); err != nil {
				return nil, err
			}
			bouncer := !short && !noBouncer
			if bouncer {
				if err := targets.CheckPrereqs("connection-storm", pgserver.PgBouncer); err != nil {
					return nil, &targets.PrereqError{Msg: err.Error() + " (or pass --no-pgbouncer to skip that fix)"}
				}
			}
			ctx := c.Cmd.Context()
			gw, subnet, err := pgserver.Bridge(ctx)
			if err != nil {
				return nil, err
			}
			var deps [3]deployers.Deployer // the function, the capped one, the container
			defer func() { _ = targets.Close(deps[:]...) }()
			for i, o := range []struct {
				v deployers.Variant
				n int
			}{{deployers.Lambda, burst}, {deployers.Lambda, capped}, {deployers.Container, 0}} {
				if deps[i], err = targets.Local(ctx, o.v, targets.Options{MaxConcurrency: o.n}); err != nil {
					return nil, err
				}
			}
			fn, capFn, ctr := deps[0], deps[1], deps[2]
			s, err := c.Start([]deployers.Deployer{fn, ctr}, pgserver.Sweeper{})
			if err != nil {
				return nil, err
			}
			return Run(ctx, Config{
				RunID: s.RunID, Spec: deployers.Spec{Artifacts: s.Artifacts},
				Function: fn, Capped: capFn, Container: ctr, DBHost: gw, DBNet: subnet,
				Burst: burst, Rounds: rounds, PoolSize: pool, CappedLimit: capped,
				Fixes: !short, Bouncer: bouncer, Logf: s.Logf,
			})
		},
		Markdown: Markdown,
		HTML:     HTML,
		Verdict:  func(r *Result) error { return r.Claims.Verdict() },
		Sweepers: []kit.Sweeper{pgserver.Sweeper{}},
		Needs: kit.Needs{
			Variants: []deployers.Variant{deployers.Lambda, deployers.Container},
			Prereqs:  []targets.Prereq{pgserver.Postgres},
			Optional: []targets.Prereq{pgserver.PgBouncer}, // --no-pgbouncer skips it
		},
	}.Lab()
}
