// Package localfriction is the local-development friction lab's scenario:
// what the local function backend (the rie deployer: the Lambda Runtime
// Interface Emulator in a container per execution environment, behind a
// local Function URL gateway) gets wrong compared with Lambda, each
// difference shown by a request or an engine reading of this run, and
// what the project does about it.
//
// One deployment (128 MB, a short timeout) is probed through the gateway
// and, bypassing it, at an environment's own emulator endpoint: the REPORT
// line's figures beside the INIT REPORT, the client and the container's
// own memory; unsigned requests; the gateway's event beside a real-shaped
// one; a function error, a timeout and two invokes at once on the bare
// emulator; the container's state between invokes. Rows holds what Lambda
// does, with its sources; the claims hold what this run saw.
//
// Run tears everything down on every path (also when ctx ends) through
// kit.Run, which then checks, by label, that nothing with the run id is
// left.
package localfriction

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/rie"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/results"
)

// Function is what the scenario needs of the local function deployer:
// deploy, force cold starts, list the execution environments and read
// one's log, state and usage. *rie.Deployer implements it.
type Function interface {
	deployers.Deployer
	deployers.ColdStarter
	Environments(ctx context.Context, d *deployers.Deployment) ([]rie.Environment, error)
	InspectEnvironment(ctx context.Context, d *deployers.Deployment, name string) (rie.EnvironmentState, error)
}

var _ Function = (*rie.Deployer)(nil)

// Defaults of Config.
const (
	// DefaultTimeout is the function timeout: short, so that the timeout
	// rows take seconds, and long enough for the behaviour table at
	// 128 MB.
	DefaultTimeout = 2 * time.Second
	// DefaultIdle is how long an environment sits idle between the two
	// readings of its state.
	DefaultIdle = 2 * time.Second
	// MaxConcurrency is the deployer's concurrency limit the lab needs:
	// two requests at once, and one spare.
	MaxConcurrency = 3
	// ConcurrentJob is the length of the jobs sent two at a time: long
	// enough that they overlap.
	ConcurrentJob = 600 * time.Millisecond
)

// FixtureDir is where the real-shaped Function URL and HTTP API v2 events
// are, relative to the module root.
var FixtureDir = filepath.Join("app", "adapters", "lambda", "testdata")

// Fixtures are the events posted straight to the emulator.
var Fixtures = []string{"function-url-get-query-cookies.json", "http-api-v2-get-query-cookies.json"}

// Config is one run of the scenario.
type Config struct {
	RunID string
	// Spec is the function's spec (artifacts); RunID is set from
	// Config.RunID, Timeout from Config.Timeout.
	Spec deployers.Spec
	// Function must allow MaxConcurrency environments at once.
	Function Function
	// Timeout is the function timeout, whole seconds (default
	// DefaultTimeout).
	Timeout time.Duration
	// Idle is the wait between two readings of an idle environment's
	// state (default DefaultIdle).
	Idle time.Duration
	// ModuleRoot is the checkout whose FixtureDir holds Fixtures.
	ModuleRoot string
	// Logf prints progress (nil: quiet).
	Logf func(format string, a ...any)
}

func (c *Config) defaults() error {
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	if c.Function == nil {
		return errors.New("local-friction: no function deployer")
	}
	if err := deployers.ValidateRunID(c.RunID); err != nil {
		return fmt.Errorf("local-friction: %w", err)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Idle == 0 {
		c.Idle = DefaultIdle
	}
	if c.Timeout < time.Second || c.Timeout > time.Minute || c.Timeout%time.Second != 0 || c.Idle < 0 || c.Idle > time.Minute {
		return fmt.Errorf("local-friction: timeout %s, idle %s: use a timeout of whole seconds from 1s to 1m and an idle wait up to 1m", c.Timeout, c.Idle)
	}
	return nil
}

// Run runs the scenario. A result that is not nil is worth writing, also
// with an error: it holds what was measured and the teardown's outcome.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	fixtures := make(map[string][]byte, len(Fixtures))
	for _, name := range Fixtures {
		b, err := os.ReadFile(filepath.Join(cfg.ModuleRoot, FixtureDir, name))
		if err != nil {
			return nil, fmt.Errorf("local-friction: fixture: %w (run from the computeladder checkout)", err)
		}
		fixtures[name] = b
	}
	res := &Result{Header: results.NewHeader(cfg.RunID), Timeout: cfg.Timeout, Idle: cfg.Idle, Rows: Rows}
	s := &session{cfg: cfg, fixtures: fixtures, run: kit.NewRun(cfg.RunID), hc: &http.Client{
		Timeout:   cfg.Timeout + 30*time.Second,
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8},
	}}
	defer s.hc.CloseIdleConnections()
	defer func() {
		td := s.run.Finish(ctx)
		res.FlatTeardown = td.Flat()
		s.cfg.Logf("teardown  %s", kit.Summary(td))
	}()
	spec := cfg.Spec
	spec.Timeout = cfg.Timeout
	cfg.Logf("deploy    run %s (timeout %s)", cfg.RunID, cfg.Timeout)
	d, err := s.run.Deploy(ctx, cfg.Function, spec)
	if err != nil {
		return res, err
	}
	s.d = d
	res.MemoryMB = d.MemoryMB
	res.URL = d.URL
	for _, step := range []struct {
		name string
		fn   func(context.Context, *Result) error
	}{
		{"behaviour", s.behaviour},
		{"report", s.report},
		{"freeze", s.freeze},
		{"iam", s.iam},
		{"events", s.events},
		{"timeout", s.timeout},
		{"concurrency", s.concurrency},
	} {
		if err := step.fn(ctx, res); err != nil {
			return res, fmt.Errorf("%s: %w", step.name, err)
		}
	}
	res.judge()
	return res, nil
}

// session is one run of the scenario.
type session struct {
	cfg      Config
	fixtures map[string][]byte
	hc       *http.Client
	run      *kit.Run
	d        *deployers.Deployment
}

// live returns the deployment's live environments, oldest first.
func (s *session) live(ctx context.Context) ([]rie.Environment, error) {
	envs, err := s.cfg.Function.Environments(ctx, s.d)
	if err != nil {
		return nil, err
	}
	var out []rie.Environment
	for _, e := range envs {
		if e.Retired.IsZero() {
			out = append(out, e)
		}
	}
	return out, nil
}
