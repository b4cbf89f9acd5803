// Package state is the state lab's scenario: the app's in-memory request
// counter (GET /whoami's requests_served) shows what happens to state kept
// in an instance's memory.
//
// On the function (the local rie deployer): sequential requests count up on
// one environment; a forced cold start gives a new environment whose
// counter starts again at 1; concurrent requests spread over several
// environments, each with its own counter, so that no instance saw them
// all. On the container (the local docker deployer): one instance sees
// every request, concurrent or not, until a redeploy replaces it and its
// counter starts again at 1 too.
//
// Run tears everything down on every path (also when ctx ends) through
// kit.Run, which then checks, by label, that nothing with the run id is
// left.
package state

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/results"
)

// Function is what the scenario needs of the function deployer.
type Function interface {
	deployers.Deployer
	deployers.ColdStarter
}

// Defaults of Config, and the --short mode's.
const (
	DefaultSequential = 5
	DefaultWorkers    = 4
	DefaultPerWorker  = 5
	ShortSequential   = 3
	ShortWorkers      = 3
	ShortPerWorker    = 3
)

// Config is one run of the scenario.
type Config struct {
	RunID string
	// Spec is used for both deployments; RunID is set from Config.RunID.
	Spec      deployers.Spec
	Function  Function
	Container deployers.Deployer
	// Sequential requests show the counter counting up (default
	// DefaultSequential).
	Sequential int
	// Workers clients send PerWorker requests each, all at once (defaults
	// DefaultWorkers, DefaultPerWorker). The function needs a concurrency
	// limit of at least Workers.
	Workers, PerWorker int
	// Logf prints progress (nil: quiet).
	Logf func(format string, a ...any)
}

func (c *Config) defaults() error {
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	if c.Function == nil || c.Container == nil {
		return errors.New("state: need a function and a container deployer")
	}
	if err := deployers.ValidateRunID(c.RunID); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if c.Sequential == 0 {
		c.Sequential = DefaultSequential
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.PerWorker == 0 {
		c.PerWorker = DefaultPerWorker
	}
	if c.Sequential < 2 || c.Workers < 2 || c.PerWorker < 1 {
		return fmt.Errorf("state: %d sequential, %d workers × %d: use at least 2 sequential requests, 2 workers and 1 request each", c.Sequential, c.Workers, c.PerWorker)
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
		Sequential: cfg.Sequential, Workers: cfg.Workers, PerWorker: cfg.PerWorker,
	}
	s := &session{cfg: cfg, run: kit.NewRun(cfg.RunID), hc: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64},
	}}
	defer s.hc.CloseIdleConnections()
	// Everything made goes, on every path, even after Ctrl-C.
	defer func() {
		td := s.run.Finish(ctx)
		res.FlatTeardown = td.Flat()
		s.cfg.Logf("all       teardown   %s", kit.Summary(td))
	}()
	res.Function.Variant = deployers.Lambda
	if err := s.function(ctx, &res.Function); err != nil {
		return res, fmt.Errorf("function: %w", err)
	}
	res.Container.Variant = deployers.Container
	if err := s.container(ctx, &res.Container); err != nil {
		return res, fmt.Errorf("container: %w", err)
	}
	res.judge()
	return res, nil
}

// session is one run of the scenario; run holds what it deployed.
type session struct {
	cfg Config
	hc  *http.Client
	run *kit.Run
}

// function: count up, reset by a cold start, split by concurrency.
func (s *session) function(ctx context.Context, out *PlatformResult) error {
	s.cfg.Logf("lambda    deploy     run %s", s.cfg.RunID)
	d, err := s.run.Deploy(ctx, s.cfg.Function, s.cfg.Spec)
	if err != nil {
		return err
	}
	if out.Sequential, err = sequential(ctx, s.hc, d.URL, s.cfg.Sequential); err != nil {
		return err
	}
	s.logSequential("lambda", out.Sequential)
	out.ResetBy = "forced cold start (the idle environment retired)"
	if err := s.cfg.Function.ForceColdStart(ctx, d); err != nil {
		return fmt.Errorf("force cold start: %w", err)
	}
	if out.AfterReset = whoami(ctx, s.hc, d.URL); !out.AfterReset.OK() {
		return fmt.Errorf("GET /whoami after the cold start: %s", out.AfterReset.Error)
	}
	s.logReset("lambda", out.AfterReset)
	// From zero again, so that every counter of the concurrent phase
	// counts only that phase's requests.
	if err := s.cfg.Function.ForceColdStart(ctx, d); err != nil {
		return fmt.Errorf("force cold start: %w", err)
	}
	return s.concurrent(ctx, "lambda", d.URL, out)
}

// container: count up, one counter under concurrency, reset by a redeploy.
func (s *session) container(ctx context.Context, out *PlatformResult) error {
	s.cfg.Logf("container deploy     run %s", s.cfg.RunID)
	d, err := s.run.Deploy(ctx, s.cfg.Container, s.cfg.Spec)
	if err != nil {
		return err
	}
	if out.Sequential, err = sequential(ctx, s.hc, d.URL, s.cfg.Sequential); err != nil {
		return err
	}
	s.logSequential("container", out.Sequential)
	if err := s.concurrent(ctx, "container", d.URL, out); err != nil {
		return err
	}
	out.ResetBy = "redeploy (teardown, then a new container)"
	s.cfg.Logf("container redeploy   tear down and deploy again")
	if err := s.run.Teardown(ctx, d); err != nil {
		return fmt.Errorf("teardown before the redeploy: %w", err)
	}
	if d, err = s.run.Deploy(ctx, s.cfg.Container, s.cfg.Spec); err != nil {
		return err
	}
	if out.AfterReset = whoami(ctx, s.hc, d.URL); !out.AfterReset.OK() {
		return fmt.Errorf("GET /whoami after the redeploy: %s", out.AfterReset.Error)
	}
	s.logReset("container", out.AfterReset)
	return nil
}

func (s *session) concurrent(ctx context.Context, variant, url string, out *PlatformResult) error {
	var err error
	out.Concurrent, err = concurrent(ctx, s.hc, url, s.cfg.Workers, s.cfg.PerWorker)
	out.Instances = instances(out.Concurrent)
	for _, in := range out.Instances {
		out.CounterSum += in.Counter
	}
	s.cfg.Logf("%-9s concurrent %d clients × %d requests: %d instance(s), counters %v", variant, s.cfg.Workers, s.cfg.PerWorker, len(out.Instances), counters(out.Instances))
	return err
}

func (s *session) logSequential(variant string, rs []Request) {
	n := make([]int64, len(rs))
	for i, r := range rs {
		n[i] = r.RequestsServed
	}
	s.cfg.Logf("%-9s sequential %d requests on %s: requests_served %v", variant, len(rs), rs[0].InstanceID, n)
}

func (s *session) logReset(variant string, r Request) {
	s.cfg.Logf("%-9s reset      now %s: requests_served %d, cold=%v", variant, r.InstanceID, r.RequestsServed, r.Cold)
}

func counters(in []Instance) []int64 {
	out := make([]int64, len(in))
	for i, x := range in {
		out[i] = x.Counter
	}
	return out
}
