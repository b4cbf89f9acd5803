// Package checkout is the checkout-API lab: the chapter's scenario of a
// checkout API on a function, traced, then the same traffic on a
// container, and the decision the figures support.
//
// One deployment of the app serves both paths, with PostgreSQL behind
// POST /orders (pgserver: max_connections 20, 3 reserved, 17 seats; a
// pool of DB_POOL_SIZE per instance). On each of the function (the local
// rie deployer, up to Burst execution environments) and the container:
//
//  1. steady POST /checkout traffic at Rate for Duration, a quiet gap past
//     the function's keep-alive, and the same traffic again: on the
//     function the first requests after the gap wait for new execution
//     environments (the cold-start stall in the tail); the container
//     answers as before;
//  2. an order spike: Rounds bursts of Burst concurrent POST /orders
//     (labs/connection-storm's Burst), on the function once it has scaled
//     to zero (past its keep-alive, every seat free): it starts an
//     environment per concurrent request, each with its own pool, and
//     PostgreSQL runs out of connections (503 database_unavailable); the
//     container's one pool queues them;
//  3. on the container, its throughput: closed-loop clients on POST
//     /checkout (labs/ladder's ClosedLoop), the capacity that sizes the
//     always-on side of the bill;
//
// then the month's bill at Rate (harness/cost): Lambda from the warm
// requests' billed duration, against as many Fargate tasks as the rate
// needs, and the crossover.
//
// Everything is torn down on every path through kit.Run: the deployments,
// then PostgreSQL with its directory; what is left is swept by run id.
package checkout

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/cost"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/report"
	"github.com/computeladder/computeladder/harness/results"
	storm "github.com/computeladder/computeladder/labs/connection-storm"
	"github.com/computeladder/computeladder/labs/connection-storm/pgserver"
	"github.com/computeladder/computeladder/labs/ladder"
)

// Defaults of Config, and the --short mode's.
const (
	DefaultRate       = 50
	DefaultDuration   = 5 * time.Second
	DefaultKeepAlive  = 2 * time.Second
	DefaultBurst      = 12
	DefaultRounds     = 2
	DefaultPoolSize   = 5
	DefaultClients    = 10
	DefaultThroughput = 2 * time.Second
	DefaultWarmup     = 2 * time.Second
	ShortDuration     = 3 * time.Second
	ShortRounds       = 1
	// gapMargin is added to the keep-alive for the quiet gap: the
	// gateway's reaper looks at most once a second.
	gapMargin = 1500 * time.Millisecond
	// scaleToZeroTimeout bounds each of the waits for the function to
	// scale to zero before the order spike: its environments retired,
	// then their connections closed.
	scaleToZeroTimeout = 30 * time.Second
	// maxConnections and reserved are the server's: 17 seats for the app.
	maxConnections, reserved = 20, 3
)

// NoWarmup as Config.Warmup sends no warm-up traffic.
const NoWarmup time.Duration = -1

// Function is what the lab needs of the local function deployer: deploy,
// and list a deployment's execution environments. *rie.Deployer is one.
type Function interface {
	deployers.Deployer
	storm.Environmenter
}

// Config is one run of the lab.
type Config struct {
	RunID string
	// Spec is used for both deployments; RunID and Env are set by Run.
	Spec deployers.Spec
	// Function must have been made with a keep-alive of KeepAlive and a
	// concurrency limit of Burst; Container is the local container.
	Function  Function
	Container deployers.Deployer
	// DBHost is where the deployed app reaches the host's PostgreSQL (the
	// Docker bridge's gateway), DBNet the network pg_hba.conf admits.
	DBHost, DBNet string
	// Rate (req/s) for Duration, before and after the quiet gap, after
	// Warmup at the same rate (excluded: the environments steady traffic
	// needs start there; 0 is DefaultWarmup, NoWarmup none).
	Rate     int
	Duration time.Duration
	Warmup   time.Duration
	// KeepAlive is the function's; the gap is KeepAlive plus a margin.
	KeepAlive time.Duration
	// Burst concurrent orders, Rounds times; PoolSize per instance.
	Burst, Rounds, PoolSize int
	// Clients closed-loop clients measure the container's throughput for
	// ThroughputFor.
	Clients       int
	ThroughputFor time.Duration
	// Arch prices the bill (default x86_64); Pricing is infra/pricing.json
	// (default cost.Default()).
	Arch    cost.Arch
	Pricing *cost.Pricing
	// Logf prints progress (nil: quiet).
	Logf func(format string, a ...any)
}

func (c *Config) defaults() error {
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	if c.Function == nil || c.Container == nil {
		return errors.New("checkout: need a function and a container deployer")
	}
	if err := deployers.ValidateRunID(c.RunID); err != nil {
		return fmt.Errorf("checkout: %w", err)
	}
	if c.DBHost == "" || c.DBNet == "" {
		return errors.New("checkout: need the address and network the containers reach the host on (the Docker bridge)")
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Rate, DefaultRate)
	def(&c.Burst, DefaultBurst)
	def(&c.Rounds, DefaultRounds)
	def(&c.PoolSize, DefaultPoolSize)
	def(&c.Clients, DefaultClients)
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = DefaultKeepAlive
	}
	switch {
	case c.Warmup == 0:
		c.Warmup = DefaultWarmup
	case c.Warmup < 0:
		c.Warmup = 0
	}
	if c.ThroughputFor == 0 {
		c.ThroughputFor = DefaultThroughput
	}
	if c.Arch == "" {
		c.Arch = cost.X86
	}
	if c.Rate < 1 || c.Duration <= 0 || c.KeepAlive <= 0 || c.Burst < 2 || c.Rounds < 1 || c.PoolSize < 1 || c.Clients < 1 || c.ThroughputFor <= 0 {
		return fmt.Errorf("checkout: rate %d, duration %s, keep-alive %s, burst %d, rounds %d, pool %d, clients %d, throughput %s: all must be positive (a burst of at least 2)",
			c.Rate, c.Duration, c.KeepAlive, c.Burst, c.Rounds, c.PoolSize, c.Clients, c.ThroughputFor)
	}
	if c.Pricing == nil {
		p, err := cost.Default()
		if err != nil {
			return fmt.Errorf("checkout: pricing: %w", err)
		}
		c.Pricing = p
	}
	return nil
}

// Run runs the lab. A result that is not nil is worth writing, also with
// an error: it holds what was measured and the teardown's outcome.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	res := &Result{Lab: Results, Header: results.NewHeader(cfg.RunID),
		Rate: cfg.Rate, Duration: cfg.Duration, Warmup: cfg.Warmup, KeepAlive: cfg.KeepAlive, Gap: cfg.KeepAlive + gapMargin,
		Burst: cfg.Burst, Rounds: cfg.Rounds, PoolSize: cfg.PoolSize, CPUs: runtime.NumCPU(),
		Postgres: storm.Postgres{MaxConnections: maxConnections, Reserved: reserved, Available: maxConnections - reserved},
	}
	s := &session{cfg: cfg, run: kit.NewRun(cfg.RunID), hc: &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: max(cfg.Burst, cfg.Clients)},
	}}
	defer s.hc.CloseIdleConnections()
	defer func() {
		td := s.run.Finish(ctx)
		res.FlatTeardown = td.Flat()
		cfg.Logf("all       teardown   %s", kit.Summary(td))
	}()
	err := s.session(ctx, res)
	if err == nil {
		err = s.bill(res)
	}
	res.judge()
	return res, err
}

// session is one run of the lab; run holds what it made.
type session struct {
	cfg Config
	hc  *http.Client
	run *kit.Run
	pg  *pgserver.Server
}

func (s *session) session(ctx context.Context, res *Result) error {
	c := s.cfg
	c.Logf("postgres  start      max_connections %d, %d reserved: %d for the app, on 127.0.0.1 and %s", maxConnections, reserved, maxConnections-reserved, c.DBHost)
	// Tracked before it starts: a server a failed start left is found by
	// its directory.
	s.run.Track(pgserver.Sweeper{})
	s.run.OnFinish(func(context.Context) error { return s.pg.Stop() })
	var err error
	s.pg, err = pgserver.Start(ctx, pgserver.Options{
		RunID: c.RunID, Listen: []string{"127.0.0.1", c.DBHost}, AllowNets: []string{c.DBNet},
		MaxConnections: maxConnections, ReservedConnections: reserved,
	})
	if err != nil {
		return err
	}
	res.Function = Side{Variant: string(deployers.Lambda)}
	if err := s.side(ctx, c.Function, &res.Function, nil); err != nil {
		return fmt.Errorf("function: %w", err)
	}
	res.Container = Side{Variant: string(deployers.Container)}
	if err := s.side(ctx, c.Container, &res.Container, &res.Capacity); err != nil {
		return fmt.Errorf("container: %w", err)
	}
	return nil
}

// side deploys the app on dp, sends it the steady traffic with its gap and
// the order spike, measures its throughput when capacity is not nil, and
// tears it down (its pools close with it).
func (s *session) side(ctx context.Context, dp deployers.Deployer, out *Side, capacity *cost.Capacity) error {
	c := s.cfg
	spec := c.Spec
	spec.Env = map[string]string{"DATABASE_URL": s.pg.DSNFor(c.DBHost), "DB_POOL_SIZE": fmt.Sprint(c.PoolSize)}
	for k, v := range c.Spec.Env {
		spec.Env[k] = v
	}
	if out.Variant == string(deployers.Lambda) && spec.Timeout == 0 {
		// A dozen environments starting at once on a small machine take
		// seconds: the lab measures the stall and the refusals, not
		// Lambda's 3 s default timeout.
		spec.Timeout = 30 * time.Second
	}
	v := out.Variant
	c.Logf("%-9s deploy     pool %d against PostgreSQL", v, c.PoolSize)
	d, err := s.run.Deploy(ctx, dp, spec)
	if err != nil {
		return err
	}
	out.MemoryMB = d.MemoryMB
	// The function's environments are counted (the container is one
	// instance): those a stretch of traffic started are the ones listed
	// after it and not before.
	en, _ := dp.(storm.Environmenter)
	envs := func() map[string]bool {
		if en == nil {
			return nil
		}
		list, err := en.Environments(ctx, d)
		if err != nil {
			return nil
		}
		ids := map[string]bool{}
		for _, e := range list {
			ids[e.ID] = true
		}
		return ids
	}
	// newSince counts them; false when the list could not be read.
	newSince := func(before map[string]bool) (n int, ok bool) {
		after := envs()
		for id := range after {
			if !before[id] {
				n++
			}
		}
		return n, after != nil
	}
	if c.Warmup > 0 {
		if _, err = s.steady(ctx, d.URL, v, "warm-up", c.Warmup); err != nil {
			return err
		}
	}
	if out.Before, err = s.steady(ctx, d.URL, v, "before", c.Duration); err != nil {
		return err
	}
	before := envs()
	c.Logf("%-9s quiet      %s without a request (the function's keep-alive is %s)", v, c.KeepAlive+gapMargin, c.KeepAlive)
	if err := s.quiet(ctx); err != nil {
		return err
	}
	if out.After, err = s.steady(ctx, d.URL, v, "after", c.Duration); err != nil {
		return err
	}
	if en != nil {
		out.NewAfterGap, out.EnvironmentsMeasured = newSince(before)
		if err := s.scaleToZero(ctx, en, d, v); err != nil {
			return err
		}
		before = envs()
	}
	for r := 1; r <= c.Rounds; r++ {
		rd := storm.Burst(ctx, s.hc, d.URL, c.Burst)
		rd.Round = r
		out.Orders.add(rd)
		c.Logf("%-9s orders %d/%d %d × POST /orders at once: %d created, %d database_unavailable (503), %d throttled (429), %d other",
			v, r, c.Rounds, c.Burst, rd.Created, rd.DBUnavailable, rd.Throttled, rd.Other)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if en != nil {
		out.NewForOrders, _ = newSince(before)
		c.Logf("%-9s orders     %d environment(s) started for them", v, out.NewForOrders)
	}
	if capacity != nil {
		c.Logf("%-9s throughput %d closed-loop clients on POST /checkout for %s", v, c.Clients, c.ThroughputFor)
		b := ladder.ClosedLoop(ctx, s.hc, d.URL+"/checkout", c.Clients, c.ThroughputFor)
		out.Throughput = b
		c.Logf("%-9s throughput %.0f req/s, %d requests, %d errors", v, b.Throughput, b.Requests, b.Errors)
		if b.Errors > 0 {
			return fmt.Errorf("throughput: %d of %d requests failed: not a capacity", b.Errors, b.Requests)
		}
		*capacity = cost.Capacity{RPS: b.Throughput, VCPUs: float64(runtime.NumCPU()),
			Source: fmt.Sprintf("this run's container: %d closed-loop clients on POST /checkout for %s, %d requests, 0 errors; the clients shared the machine, so a lower bound",
				b.Clients, b.Duration.Round(time.Millisecond), b.Requests)}
	}
	if err := s.run.Teardown(ctx, d); err != nil {
		return fmt.Errorf("teardown: %w", err)
	}
	return nil
}

// scaleToZero waits, before the order spike, until the function has
// scaled to zero: a quiet spell past its keep-alive, then until none of
// its environments is live and PostgreSQL holds none of their
// connections. The spike then starts from idle on every machine, as a
// sale's opening does: every concurrent order needs an environment of its
// own. Without it, steady traffic that outran slow environment starts (a
// loaded machine) leaves a dozen warm environments holding the seats
// among them, and the spike would start none.
func (s *session) scaleToZero(ctx context.Context, en storm.Environmenter, d *deployers.Deployment, v string) error {
	c := s.cfg
	c.Logf("%-9s quiet      %s, then until no environment is live and no connection open: the spike starts from zero", v, c.KeepAlive+gapMargin)
	if err := s.quiet(ctx); err != nil {
		return err
	}
	live := -1
	err := deployers.Poll(ctx, 100*time.Millisecond, scaleToZeroTimeout, func(ctx context.Context) (bool, error) {
		list, err := en.Environments(ctx, d)
		if err != nil {
			return false, err
		}
		live = 0
		for _, e := range list {
			if e.Retired.IsZero() {
				live++
			}
		}
		return live == 0, nil
	})
	switch {
	case err != nil && live > 0 && ctx.Err() == nil:
		return fmt.Errorf("before the orders: %d environment(s) still live %s past the keep-alive", live, scaleToZeroTimeout)
	case err != nil:
		return fmt.Errorf("before the orders: %w", err)
	}
	if err := s.pg.Drain(ctx, scaleToZeroTimeout); err != nil {
		return fmt.Errorf("before the orders: %w", err)
	}
	return nil
}

// quiet sends nothing for the function's keep-alive and the margin.
func (s *session) quiet(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(s.cfg.KeepAlive + gapMargin):
		return nil
	}
}

// steady sends the steady checkout traffic: cfg.Rate POST /checkout a
// second for dur, open loop, from a worker process of its own (the
// function's gateway lives in this one).
func (s *session) steady(ctx context.Context, base, v, when string, dur time.Duration) (Segment, error) {
	c := s.cfg
	res, err := load.RunIsolated(ctx, load.Target{
		Method: http.MethodPost, URL: base + "/checkout", Body: ladder.CheckoutBody,
		Header: http.Header{"Content-Type": {"application/json"}},
	}, load.Options{Rate: c.Rate, Duration: dur})
	if err != nil {
		return Segment{}, fmt.Errorf("steady traffic (%s): %w", when, err)
	}
	seg := segmentOf(res)
	label := when
	if when != "warm-up" {
		label += " gap"
	}
	c.Logf("%-9s %-10s %d req/s for %s: p50 %s, p99 %s, max %s, %d over %s, %d errors",
		v, label, c.Rate, dur, pct(seg.Summary.Latency, 0.5), pct(seg.Summary.Latency, 0.99), report.Millis(seg.Summary.Latency.Max), seg.Stalled, StallThreshold, seg.Summary.Errors)
	return seg, nil
}
