package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/docker"
	"github.com/computeladder/computeladder/deployers/rie"
	"github.com/computeladder/computeladder/harness/targets"
	storm "github.com/computeladder/computeladder/labs/connection-storm"
	"github.com/computeladder/computeladder/labs/connection-storm/pgserver"
)

func newScenarioStormCmd() *cobra.Command {
	var (
		burst, rounds, pool, capped int
		runID, out, arch            string
		short, quiet, js, noBouncer bool
	)
	cmd := &cobra.Command{
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
Results go to results/<run-id>/storm.json and storm.md; everything (the
deployments, PgBouncer, PostgreSQL and its directory) is torn down, also on
error and Ctrl-C.`,
		Example: `  computeladder scenario connection-storm
  computeladder scenario connection-storm --short`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if short {
				rounds = storm.ShortRounds
			}
			if runID != "" {
				if err := deployers.ValidateRunID(runID); err != nil {
					return usagef(err)
				}
			}
			if err := validArch(arch); err != nil {
				return err
			}
			if burst < 2 || burst > 30 || rounds < 1 || rounds > 20 || pool < 1 || pool > 20 || capped < 1 || capped >= burst {
				return usagef(fmt.Errorf("--burst %d, --rounds %d, --pool %d, --capped %d: use a burst of 2-30, 1-20 rounds, a pool of 1-20 and a cap below the burst", burst, rounds, pool, capped))
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
			if _, err := pgserver.BinDir(); err != nil {
				return err
			}
			bouncer := !short && !noBouncer
			if _, err := pgserver.BouncerPath(); bouncer && err != nil {
				return fmt.Errorf("%w (or pass --no-pgbouncer to skip that fix)", err)
			}
			gw, subnet, err := storm.Bridge(ctx)
			if err != nil {
				return err
			}
			fn, err := rie.New(rie.WithMaxConcurrency(burst))
			if err != nil {
				return err
			}
			defer fn.Close()
			capFn, err := rie.New(rie.WithMaxConcurrency(capped))
			if err != nil {
				return err
			}
			defer capFn.Close()
			ctr, err := docker.New()
			if err != nil {
				return err
			}
			defer ctr.Close()
			arts, runID, err := prepareScenario(cmd, arch, runID, say, map[deployers.Variant]deployers.Deployer{deployers.Function: fn, deployers.Container: ctr})
			if err != nil {
				return err
			}
			res, runErr := storm.Run(ctx, storm.Config{
				RunID: runID, Spec: deployers.Spec{Artifacts: arts},
				Function: fn, Capped: capFn, Container: ctr, DBHost: gw, DBNet: subnet,
				Burst: burst, Rounds: rounds, PoolSize: pool, CappedLimit: capped,
				Fixes: !short, Bouncer: bouncer, Logf: say,
			})
			return emitScenario(cmd, out, runID, res, runErr, js, storm.Write, storm.Markdown, say)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&burst, "burst", storm.DefaultBurst, "concurrent POST /orders per round (and the function's concurrency limit)")
	fl.IntVar(&rounds, "rounds", storm.DefaultRounds, "bursts per case")
	fl.IntVar(&pool, "pool", storm.DefaultPoolSize, "connection pool size per instance (DB_POOL_SIZE)")
	fl.IntVar(&capped, "capped", storm.DefaultCappedLimit, "the capped function's concurrency limit")
	fl.BoolVar(&noBouncer, "no-pgbouncer", false, "skip the PgBouncer fix (when pgbouncer is not installed)")
	fl.BoolVar(&short, "short", false, "smoke-test size: the storm and the shared pool only, 2 rounds")
	fl.BoolVarP(&quiet, "quiet", "q", false, "print no progress, only the result")
	fl.BoolVar(&js, "json", false, "print storm.json to stdout instead of the summary")
	fl.StringVar(&runID, "run-id", "", "run id to label resources with (default: generated)")
	fl.StringVar(&out, "out", "results", "directory for results/<run-id>/")
	fl.StringVar(&arch, "arch", "", archHelp)
	return cmd
}
