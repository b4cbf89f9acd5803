// Package coldstart is the cold-start lab's scenario: on the local function
// (the rie deployer) it shows the three ways a user meets a cold start and
// the price of avoiding them.
//
//  1. Idle: a warm environment is retired after its keep-alive, so the next
//     request lands on a new one (whoami cold=true, a new instance id) and
//     waits for its start and init.
//  2. Burst: N requests arriving together on one warm environment need N
//     environments; each new one is a cold start, and the burst's slowest
//     request is a cold start's latency.
//  3. Pre-warmed: K environments started ahead of the burst (what
//     provisioned concurrency or minimum instances buy) serve it warm; the
//     price is an environment billed whether it serves or not.
//
// Run deploys, measures, and always tears down (also when ctx ends); the
// result says whether each claim held, so the smoke test and the student
// read the same verdicts.
package coldstart

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/rie"
	"github.com/computeladder/computeladder/harness/cost"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/results"
)

// Function is what the scenario needs of the local function deployer:
// deploy and tear down, force a cold start, and read each execution
// environment's figures. *rie.Deployer implements it.
type Function interface {
	deployers.Deployer
	deployers.ColdStarter
	Environments(ctx context.Context, d *deployers.Deployment) ([]rie.Environment, error)
}

var _ Function = (*rie.Deployer)(nil)

// Defaults of Config.
const (
	DefaultBurst = 5
	// DefaultKeepAlive is the lab's keep-alive: short enough to wait for
	// in class; Lambda's is minutes and undocumented.
	DefaultKeepAlive = 3 * time.Second
	// ShortKeepAlive and ShortBurst are the --short mode's (the smoke test's).
	ShortKeepAlive = 2 * time.Second
	ShortBurst     = 4
	// idleMargin is added to the keep-alive before the post-idle request:
	// the gateway's reaper looks at most once a second.
	idleMargin = 1500 * time.Millisecond
	// prewarmRounds bounds the warm-up rounds that bring the pool up to K.
	prewarmRounds = 4
)

// MaxConcurrency is the concurrency limit the function deployer needs for
// a burst of burst and prewarm pre-warmed environments: every request of a
// burst may need its own environment, plus one spare.
func MaxConcurrency(burst, prewarm int) int { return max(burst, prewarm) + 1 }

// Config is one run of the scenario.
type Config struct {
	RunID string
	// Spec is the function's spec (artifacts, memory); RunID is set from
	// Config.RunID.
	Spec deployers.Spec
	// Function must have been made with a keep-alive of KeepAlive
	// (rie.WithKeepAlive) and a concurrency limit of at least
	// MaxConcurrency(Burst, Prewarm).
	Function  Function
	KeepAlive time.Duration
	// Burst is how many requests arrive at once (default DefaultBurst).
	Burst int
	// Prewarm is how many environments are started before the second
	// burst (default Burst: one per request).
	Prewarm int
	// Arch prices the warm pool (default x86_64).
	Arch cost.Arch
	// Pricing is infra/pricing.json (default cost.Default()).
	Pricing *cost.Pricing
	// Logf prints progress (nil: quiet).
	Logf func(format string, a ...any)
}

func (c *Config) defaults() error {
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	if c.Function == nil {
		return errors.New("cold-start: no function deployer")
	}
	if err := deployers.ValidateRunID(c.RunID); err != nil {
		return fmt.Errorf("cold-start: %w", err)
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = DefaultKeepAlive
	}
	if c.Burst == 0 {
		c.Burst = DefaultBurst
	}
	if c.Prewarm == 0 {
		c.Prewarm = c.Burst
	}
	if c.Arch == "" {
		c.Arch = cost.X86
	}
	if c.KeepAlive < 0 || c.Burst < 2 || c.Prewarm < 1 {
		return fmt.Errorf("cold-start: keep-alive %s, burst %d, prewarm %d: use a positive keep-alive, a burst of at least 2 and at least 1 pre-warmed environment", c.KeepAlive, c.Burst, c.Prewarm)
	}
	if c.Pricing == nil {
		p, err := cost.Default()
		if err != nil {
			return fmt.Errorf("cold-start: pricing: %w", err)
		}
		c.Pricing = p
	}
	return nil
}

// Run runs the scenario. It returns the result together with any error:
// a result that is not nil is worth writing (it holds what was measured
// before the error and the teardown's outcome).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	res := &Result{Header: results.NewHeader(cfg.RunID),
		KeepAlive: cfg.KeepAlive, Burst: cfg.Burst, Prewarm: cfg.Prewarm,
	}
	cfg.Logf("lambda    deploy     run %s, keep-alive %s", cfg.RunID, cfg.KeepAlive)
	run := kit.NewRun(cfg.RunID)
	// Teardown whatever was made, on every path, even after Ctrl-C.
	defer func() {
		td := run.Finish(ctx)
		res.FlatTeardown = td.Flat()
		cfg.Logf("lambda    teardown   %s", kit.Summary(td))
	}()
	d, err := run.Deploy(ctx, cfg.Function, cfg.Spec)
	if err != nil {
		return res, fmt.Errorf("the function: %w", err)
	}
	res.MemoryMB = d.MemoryMB
	res.Startup = d.Phases.From(d.StartupFrom).Total()
	cfg.Logf("lambda    ready      %s (first environment's init on /healthz)", res.Startup.Round(time.Millisecond))

	s := &session{cfg: cfg, d: d, t0: time.Now(), hc: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64},
	}}
	defer s.hc.CloseIdleConnections()
	if err := s.idle(ctx, &res.Idle); err != nil {
		return res, err
	}
	if err := s.burst(ctx, &res.ColdBurst); err != nil {
		return res, err
	}
	if err := s.prewarmed(ctx, &res.PrewarmedBurst); err != nil {
		return res, err
	}
	if envs, err := cfg.Function.Environments(ctx, d); err == nil {
		res.Environments = envs
	}
	res.Cost, err = warmPoolCost(cfg.Pricing, cfg.Arch, res.MemoryMB, cfg.Prewarm, res.PrewarmedBurst.Latency.P50)
	if err != nil {
		return res, err
	}
	res.judge()
	return res, nil
}

// session is one deployment under test.
type session struct {
	cfg Config
	d   *deployers.Deployment
	hc  *http.Client
	t0  time.Time
}

// idle: a warm request, a wait past the keep-alive, and the next request.
func (s *session) idle(ctx context.Context, out *IdleResult) error {
	// The first /whoami is the environment's first counted request (the
	// health probes are not counted); the second is a plain warm one.
	for range 2 {
		out.Warm = whoami(ctx, s.hc, s.d.URL, s.t0)
		if !out.Warm.OK() {
			return fmt.Errorf("warm request: %s", out.Warm.Error)
		}
	}
	s.cfg.Logf("lambda    warm       %s on %s (requests_served %d)", out.Warm.Latency.Round(10*time.Microsecond), out.Warm.InstanceID, out.Warm.RequestsServed)
	out.Waited = s.cfg.KeepAlive + idleMargin
	s.cfg.Logf("lambda    idle       waiting %s (keep-alive %s): the environment is retired", out.Waited, s.cfg.KeepAlive)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(out.Waited):
	}
	out.AfterIdle = whoami(ctx, s.hc, s.d.URL, s.t0)
	if !out.AfterIdle.OK() {
		return fmt.Errorf("request after idle: %s", out.AfterIdle.Error)
	}
	s.cfg.Logf("lambda    after-idle %s on %s (cold=%v)", out.AfterIdle.Latency.Round(10*time.Microsecond), out.AfterIdle.InstanceID, out.AfterIdle.Cold)
	envs, err := s.cfg.Function.Environments(ctx, s.d)
	if err != nil {
		return fmt.Errorf("environments: %w", err)
	}
	for _, e := range envs {
		if !e.Retired.IsZero() {
			out.RetireReasons = append(out.RetireReasons, e.RetireReason)
		}
	}
	if n := len(envs); n > 0 {
		out.NewInit = envs[n-1].InitDuration
	}
	return nil
}

// burst sends cfg.Burst requests at once onto the one warm environment the
// idle step left.
func (s *session) burst(ctx context.Context, out *BurstResult) error {
	s.cfg.Logf("lambda    burst      %d requests at once on 1 warm environment", s.cfg.Burst)
	return s.measureBurst(ctx, out)
}

// prewarmed retires every environment (a quiet period, compressed), starts
// cfg.Prewarm of them with concurrent warm-up requests, then bursts.
func (s *session) prewarmed(ctx context.Context, out *BurstResult) error {
	if err := s.cfg.Function.ForceColdStart(ctx, s.d); err != nil {
		return fmt.Errorf("scale to zero: %w", err)
	}
	start := time.Now()
	live := 0
	for round := 1; round <= prewarmRounds && live < s.cfg.Prewarm; round++ {
		reqs := burst(ctx, s.hc, s.d.URL, s.cfg.Prewarm, s.t0)
		for _, r := range reqs {
			if !r.OK() {
				return fmt.Errorf("warm-up request: %s", r.Error)
			}
		}
		var err error
		if live, err = s.live(ctx); err != nil {
			return err
		}
		out.WarmupRounds = round
	}
	out.Prewarm = time.Since(start)
	out.PrewarmedEnvs = live
	s.cfg.Logf("lambda    pre-warm   %d environment(s) warm in %s (%d round(s))", live, out.Prewarm.Round(time.Millisecond), out.WarmupRounds)
	s.cfg.Logf("lambda    burst      %d requests at once on %d warm environments", s.cfg.Burst, live)
	return s.measureBurst(ctx, out)
}

// measureBurst runs one burst and records its latencies and the
// environments it started.
func (s *session) measureBurst(ctx context.Context, out *BurstResult) error {
	before, err := s.cfg.Function.Environments(ctx, s.d)
	if err != nil {
		return fmt.Errorf("environments: %w", err)
	}
	out.Requests = burst(ctx, s.hc, s.d.URL, s.cfg.Burst, s.t0)
	var lat []time.Duration
	for _, r := range out.Requests {
		if !r.OK() {
			out.Errors++
			continue
		}
		lat = append(lat, r.Latency)
		if r.Cold {
			out.ColdStarts++
		}
	}
	out.Latency = load.QuantilesOf(lat)
	after, err := s.cfg.Function.Environments(ctx, s.d)
	if err != nil {
		return fmt.Errorf("environments: %w", err)
	}
	known := map[string]bool{}
	for _, e := range before {
		known[e.ID] = true
	}
	for _, e := range after {
		if !known[e.ID] {
			out.NewEnvironments = append(out.NewEnvironments, NewEnv{
				Name: e.Name, FirstInvoke: e.FirstInvoke, ColdStart: e.ColdStart, InitDuration: e.InitDuration,
			})
		}
	}
	s.cfg.Logf("lambda    burst      %s, %d cold start(s), %d new environment(s), %d error(s)",
		latencies(out.Latency), out.ColdStarts, len(out.NewEnvironments), out.Errors)
	if out.Errors > 0 {
		return fmt.Errorf("burst: %d of %d requests failed (first: %s)", out.Errors, len(out.Requests), firstError(out.Requests))
	}
	return nil
}

// live counts the environments in service.
func (s *session) live(ctx context.Context) (int, error) {
	envs, err := s.cfg.Function.Environments(ctx, s.d)
	if err != nil {
		return 0, fmt.Errorf("environments: %w", err)
	}
	return len(slices.DeleteFunc(envs, func(e rie.Environment) bool { return !e.Retired.IsZero() })), nil
}

func firstError(rs []Request) string {
	for _, r := range rs {
		if !r.OK() {
			return r.Error
		}
	}
	return ""
}
