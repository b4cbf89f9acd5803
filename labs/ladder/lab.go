// Package ladder is the ladder lab — and the vm, container and lambda labs,
// which are its columns — and the engine of `computeladder run`: for each
// variant it deploys, measures startup, cold start and warm latency
// through the deployed endpoint, then scaling (a burst from idle, and what
// still runs after the platform's keep-alive), checks the behaviour table,
// and tears down through kit.Run — always, on success, on error and on
// cancellation — which then checks that nothing is left. A backend that
// prepares once per run (deployers.RunCache) keeps what it prepares for the
// run's deployments and releases it at the variant's end.
package ladder

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/results"
)

// Config is one lab run.
type Config struct {
	RunID    string
	Target   string
	Variants []deployers.Variant
	// Deployers holds the deployer of each variant in Variants.
	Deployers map[deployers.Variant]deployers.Deployer
	// Spec is the template for every deployment (RunID is set from RunID).
	Spec deployers.Spec
	// Artifacts, when it has a variant, replaces Spec.Artifacts for that
	// variant: variants may be built for different architectures (the
	// microVM for this machine's, the container for the Docker engine's).
	Artifacts map[deployers.Variant]*artifact.Set
	// Runs is how many fresh deployments (startup samples) and, where the
	// backend can force them in place, extra cold starts each variant gets.
	Runs int
	// Rate and Duration shape the warm load; Warmup runs before it at the
	// same rate and is excluded from the figures. Duration 0 skips the load.
	Rate     int
	Duration time.Duration
	Warmup   time.Duration
	// BurstClients concurrent clients send back-to-back requests for
	// BurstDuration after the warm load, from idle; then the run waits
	// for the platform's keep-alive and counts what still runs (scale to
	// zero). BurstDuration 0 skips both.
	BurstClients  int
	BurstDuration time.Duration
	// ScaleToZeroMax bounds the wait for the scale to zero (default 1
	// minute): a platform whose keep-alive is longer is reported as not
	// measured.
	ScaleToZeroMax time.Duration
	// Check runs the behaviour table against a live deployment (nil: skip).
	Check Checker
	// Observer is told what happens (nil: nothing is told).
	Observer Observer
	// TeardownTimeout bounds each teardown, or the backend's longer
	// TeardownBudget; teardown runs even after ctx is cancelled (0:
	// kit.DefaultTeardownTimeout).
	TeardownTimeout time.Duration
}

// Checker runs the behaviour table for platform against baseURL, sending
// requests with client.
type Checker func(ctx context.Context, platform, baseURL string, client *http.Client) results.Behaviour

// Validate checks cfg before anything is created.
func (c *Config) Validate() error {
	if err := deployers.ValidateRunID(c.RunID); err != nil {
		return err
	}
	if len(c.Variants) == 0 {
		return errors.New("no variant to run: name vm, container, lambda or all")
	}
	for _, v := range c.Variants {
		if c.Deployers[v] == nil {
			return fmt.Errorf("no deployer for variant %s", v)
		}
	}
	switch {
	case c.Runs < 1 || c.Runs > 100:
		return fmt.Errorf("runs %d: use 1 to 100", c.Runs)
	case c.Duration < 0 || c.Warmup < 0:
		return errors.New("duration and warm-up must not be negative")
	case c.Duration > 0:
		if err := (load.Options{Rate: c.Rate, Duration: c.Duration}).Validate(); err != nil {
			return err
		}
	}
	switch {
	case c.BurstDuration < 0 || c.ScaleToZeroMax < 0:
		return errors.New("burst duration and scale-to-zero wait must not be negative")
	case c.BurstDuration > 0 && (c.BurstClients < 1 || c.BurstClients > MaxBurstClients):
		return fmt.Errorf("burst clients %d: use 1 to %d", c.BurstClients, MaxBurstClients)
	case c.BurstDuration > time.Minute:
		return fmt.Errorf("burst duration %s: use at most a minute", c.BurstDuration)
	}
	return nil
}

// MaxBurstClients bounds the burst's concurrency: far beyond what a laptop
// serves, and beyond the local function's concurrency limit.
const MaxBurstClients = 1000

// Run runs the lab and returns its results. The error is the first failure
// that stopped a variant or the run (every variant is attempted unless ctx
// ends); the results hold what was measured either way, and each variant's
// own error.
func Run(ctx context.Context, cfg Config) (*results.Run, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.ScaleToZeroMax == 0 {
		cfg.ScaleToZeroMax = time.Minute
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	cfg.Spec.RunID = cfg.RunID
	run := &results.Run{
		SchemaVersion: results.SchemaVersion,
		RunID:         cfg.RunID,
		Started:       time.Now().UTC(),
		Target:        cfg.Target,
		Machine:       kit.ThisMachine(),
		Settings: results.Settings{
			Runs: cfg.Runs, Rate: cfg.Rate, Duration: cfg.Duration, Warmup: cfg.Warmup,
			BurstClients: cfg.BurstClients, BurstDuration: cfg.BurstDuration,
		},
	}
	kr := kit.NewRun(cfg.RunID, kit.WithTeardownTimeout(cfg.TeardownTimeout))
	var firstErr error
	for _, v := range cfg.Variants {
		if ctx.Err() != nil {
			break
		}
		vcfg := cfg
		if a := cfg.Artifacts[v]; a != nil {
			vcfg.Spec.Artifacts = a
		}
		vr, err := runVariant(ctx, &vcfg, kr, v)
		if a := vcfg.Spec.Artifacts; a != nil {
			vr.Arch = a.Arch
		}
		if err != nil {
			vr.Error = err.Error()
			run.Errors = append(run.Errors, fmt.Sprintf("%s: %v", v, err))
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", v, err)
			}
		}
		run.Variants = append(run.Variants, vr)
	}
	run.Finished = time.Now().UTC()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return run, firstErr
}
