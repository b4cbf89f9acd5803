// Package storm is the connection-storm lab's scenario: serverless
// functions exhausting a database's connections.
//
// A throwaway PostgreSQL (see pgserver) admits max_connections (20) minus
// the superuser's reserved ones (3): 17 for the app. Each instance of the
// app opens its own fixed pool of DB_POOL_SIZE (5) connections. The
// scenario sends bursts of concurrent POST /orders to
//
//   - storm: the function (the local rie deployer) with up to Burst (12)
//     execution environments, one pool each: 12 × 5 = 60 wanted connections
//     for 17 seats, so the database refuses some and the app answers 503
//     database_unavailable;
//   - shared: one container with one pool of 5 for the same load: requests
//     queue for a connection, none is refused;
//
// and then the fixes, each with its figures: a pool of 1 per environment
// (12 × 1 ≤ 17), capped concurrency (few environments; the platform
// throttles the rest with 429 instead of the database refusing them) and a
// pooling proxy (PgBouncer in transaction mode: 60 client connections share
// 10 server connections).
//
// Run tears everything down on every path (also when ctx ends) through
// kit.Run: the deployments, PgBouncer and PostgreSQL (its directory
// removed), then it lists by run id what is left, on the deployers and on
// disk (pgserver.Sweeper), and sweeps it.
package storm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/rie"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/results"
	"github.com/computeladder/computeladder/labs/connection-storm/pgserver"
)

// Defaults of Config, and the --short mode's.
const (
	DefaultBurst          = 12
	DefaultRounds         = 3
	DefaultPoolSize       = 5
	DefaultCappedLimit    = 3
	DefaultBouncerPool    = 10
	DefaultMaxConnections = 20
	DefaultReserved       = 3
	ShortRounds           = 2
	drainTimeout          = 15 * time.Second
)

// Case names.
const (
	CaseStorm   = "storm"
	CaseShared  = "shared-pool"
	CasePoolOne = "fix-pool-of-1"
	CaseCapped  = "fix-capped-concurrency"
	CaseBouncer = "fix-pgbouncer"
)

// Environmenter is the rie deployer's view of a deployment's execution
// environments (optional: used to count them).
type Environmenter interface {
	Environments(ctx context.Context, d *deployers.Deployment) ([]rie.Environment, error)
}

// Config is one run of the scenario.
type Config struct {
	RunID string
	// Spec is used for every deployment; RunID and Env are set by Run.
	Spec deployers.Spec
	// Function must allow at least Burst environments; Capped allows
	// CappedLimit (both rie deployers in the lab). Capped may be nil when
	// Fixes is false.
	Function, Capped deployers.Deployer
	Container        deployers.Deployer
	// DBHost is the address the deployed app reaches the host's
	// PostgreSQL on (the Docker bridge's gateway), and DBNet the network
	// pg_hba.conf admits (the bridge's subnet).
	DBHost, DBNet string
	// Burst concurrent requests, Rounds times; PoolSize per instance.
	Burst, Rounds, PoolSize int
	// CappedLimit is Capped's concurrency limit (for the report).
	CappedLimit int
	// MaxConnections and Reserved configure the server.
	MaxConnections, Reserved int
	// Fixes runs the three fixes after the storm and the shared pool.
	Fixes bool
	// Bouncer runs the PgBouncer fix (needs pgbouncer); BouncerPool is its
	// server-side pool.
	Bouncer     bool
	BouncerPool int
	// Logf prints progress (nil: quiet).
	Logf func(format string, a ...any)
}

func (c *Config) defaults() error {
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	if c.Function == nil || c.Container == nil || (c.Fixes && c.Capped == nil) {
		return errors.New("storm: need a function and a container deployer (and a capped function for the fixes)")
	}
	if err := deployers.ValidateRunID(c.RunID); err != nil {
		return fmt.Errorf("storm: %w", err)
	}
	if c.DBHost == "" || c.DBNet == "" {
		return errors.New("storm: need the address and network the containers reach the host on (the Docker bridge)")
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Burst, DefaultBurst)
	def(&c.Rounds, DefaultRounds)
	def(&c.PoolSize, DefaultPoolSize)
	def(&c.CappedLimit, DefaultCappedLimit)
	def(&c.MaxConnections, DefaultMaxConnections)
	def(&c.Reserved, DefaultReserved)
	def(&c.BouncerPool, DefaultBouncerPool)
	if c.Burst < 2 || c.Rounds < 1 || c.PoolSize < 1 {
		return fmt.Errorf("storm: burst %d, rounds %d, pool %d: use a burst of at least 2, 1 round and a pool of 1", c.Burst, c.Rounds, c.PoolSize)
	}
	return nil
}

// Run runs the scenario. A result that is not nil is worth writing, also
// with an error: it holds what was measured and the teardown's outcome.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	res := &Result{Header: results.NewHeader(cfg.RunID),
		Burst: cfg.Burst, Rounds: cfg.Rounds, PoolSize: cfg.PoolSize, DBHost: cfg.DBHost,
		Postgres: Postgres{MaxConnections: cfg.MaxConnections, Reserved: cfg.Reserved, Available: cfg.MaxConnections - cfg.Reserved},
	}
	s := &session{cfg: cfg, run: kit.NewRun(cfg.RunID), hc: &http.Client{
		Timeout: 60 * time.Second,
		// One TCP connection per concurrent request, and none kept idle
		// between rounds beyond the burst.
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: cfg.Burst},
	}}
	defer s.hc.CloseIdleConnections()
	// Everything made goes, on every path, even after Ctrl-C: the
	// deployments, then (OnFinish, last first) PgBouncer and PostgreSQL
	// with its directory.
	defer func() {
		td := s.run.Finish(ctx)
		res.FlatTeardown = td.Flat()
		s.cfg.Logf("all       teardown   %s", kit.Summary(td))
	}()
	err := s.session(ctx, res)
	res.judge()
	return res, err
}

func (s *session) session(ctx context.Context, res *Result) error {
	c := s.cfg
	c.Logf("postgres  start      max_connections %d, %d reserved: %d for the app, on 127.0.0.1 and %s", c.MaxConnections, c.Reserved, c.MaxConnections-c.Reserved, c.DBHost)
	// Tracked before it starts: a server a failed start left is found by
	// its directory.
	s.run.Track(pgserver.Sweeper{})
	s.run.OnFinish(func(context.Context) error { return s.pg.Stop() })
	s.run.OnFinish(func(context.Context) error { return s.bouncer.Stop() })
	var err error
	s.pg, err = pgserver.Start(ctx, pgserver.Options{
		RunID: c.RunID, Listen: []string{"127.0.0.1", c.DBHost}, AllowNets: []string{c.DBNet},
		MaxConnections: c.MaxConnections, ReservedConnections: c.Reserved,
	})
	if err != nil {
		return err
	}
	steps := []struct {
		name, variant, what string
		dp                  deployers.Deployer
		pool, limit         int
		bouncer, run        bool
	}{
		{CaseStorm, "lambda", "one pool per execution environment", c.Function, c.PoolSize, c.Burst, false, true},
		{CaseShared, "container", "one instance, one shared pool", c.Container, c.PoolSize, 0, false, true},
		{CasePoolOne, "lambda", "a pool of 1 per environment", c.Function, 1, c.Burst, false, c.Fixes},
		{CaseCapped, "lambda", "concurrency capped", c.Capped, c.PoolSize, c.CappedLimit, false, c.Fixes},
		{CaseBouncer, "lambda", "PgBouncer (transaction mode) in front", c.Function, c.PoolSize, c.Burst, true, c.Fixes && c.Bouncer},
	}
	for _, st := range steps {
		if !st.run {
			continue
		}
		cs := Case{Name: st.name, Variant: st.variant, Description: st.what, PoolSize: st.pool, MaxConcurrency: st.limit}
		dsn := s.pg.DSNFor(c.DBHost)
		if st.bouncer {
			c.Logf("pgbouncer start      transaction mode, %d server connections", c.BouncerPool)
			if s.bouncer, err = s.pg.StartBouncer(ctx, c.BouncerPool); err != nil {
				return err
			}
			dsn, cs.BouncerPool = s.bouncer.DSNFor(c.DBHost), c.BouncerPool
		}
		err := s.runCase(ctx, st.dp, dsn, &cs)
		res.Cases = append(res.Cases, cs)
		if err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
	}
	return nil
}

// session is one run of the scenario; run holds what it made.
type session struct {
	cfg     Config
	hc      *http.Client
	run     *kit.Run
	pg      *pgserver.Server
	bouncer *pgserver.Bouncer
}

// runCase deploys the app with the pool and database URL, sends the bursts,
// records the figures, and tears the deployment down (its pools close) and
// waits for the server to see its connections go.
func (s *session) runCase(ctx context.Context, dp deployers.Deployer, dsn string, cs *Case) error {
	c := s.cfg
	spec := c.Spec
	spec.Env = map[string]string{"DATABASE_URL": dsn, "DB_POOL_SIZE": fmt.Sprint(cs.PoolSize)}
	for k, v := range c.Spec.Env {
		spec.Env[k] = v
	}
	if cs.Variant == "lambda" && spec.Timeout == 0 {
		// Cold starts of a dozen environments at once on a small machine
		// take seconds: the lab measures the database's refusals, not
		// Lambda's 3 s default timeout.
		spec.Timeout = 30 * time.Second
	}
	c.Logf("%-9s deploy     %s: %s, pool %d", cs.Variant, cs.Name, cs.Description, cs.PoolSize)
	d, err := s.run.Deploy(ctx, dp, spec)
	if err != nil {
		return err
	}
	for r := 1; r <= c.Rounds; r++ {
		rd := Burst(ctx, s.hc, d.URL, c.Burst)
		rd.Round = r
		rd.ServerConnections = s.appConnections(ctx)
		cs.add(rd)
		c.Logf("%-9s round %d/%d %d × POST /orders: %d created, %d database_unavailable (503), %d throttled (429), %d other; app connections on the server: %d",
			cs.Variant, r, c.Rounds, c.Burst, rd.Created, rd.DBUnavailable, rd.Throttled, rd.Other, rd.ServerConnections)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if en, ok := dp.(Environmenter); ok {
		if envs, err := en.Environments(ctx, d); err == nil {
			cs.Environments = len(envs)
		}
	} else {
		cs.Environments = 1
	}
	cs.WantedConnections = cs.Environments * cs.PoolSize
	c.Logf("%-9s %-10s %d instance(s) × pool %d = %d wanted connections for %d seats; peak %d held",
		cs.Variant, "summary", cs.Environments, cs.PoolSize, cs.WantedConnections, c.MaxConnections-c.Reserved, cs.PeakServerConnections)
	if err := s.run.Teardown(ctx, d); err != nil {
		return fmt.Errorf("teardown: %w", err)
	}
	if s.bouncer != nil {
		err := s.bouncer.Stop()
		s.bouncer = nil
		if err != nil {
			return err
		}
	}
	// Each case starts with every seat free.
	return s.pg.Drain(ctx, drainTimeout)
}

// appConnections counts the app role's connections on the server, -1
// when the count fails (the server's admin connection holds a reserved
// slot, so it should not).
func (s *session) appConnections(ctx context.Context) int {
	n, err := s.pg.AppConnections(ctx)
	if err != nil {
		return -1
	}
	return n
}
