// Package ceiling is the execution-ceiling lab: a job longer than the
// function timeout fails on the function and completes on the container
// and the VM.
//
// It deploys the three variants one after the other, sends each the same
// POST /jobs {"seconds": J} with J longer than the function's timeout, and
// reads the NDJSON stream as it arrives: when each progress line came, the
// last step seen, and whether the final {"done":true} line came. The
// function also gets a job shorter than its timeout, which completes — but
// all its lines arrive at once at the end, because a buffered function
// response reaches the client only when the invocation returns. Each
// variant is torn down before the next is deployed (on success, error and
// cancellation), and at the end nothing carrying the run id may be left.
package ceiling

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/deployers/rie"
	"github.com/computeladder/computeladder/harness/results"
	"github.com/computeladder/computeladder/labs/ladder"
)

// SchemaVersion is bumped on any incompatible change to Result.
const SchemaVersion = 1

// Defaults of the full lab and of --short.
const (
	DefaultFunctionTimeout = rie.DefaultTimeout // Lambda's default: 3 s
	DefaultJob             = 5 * time.Second
	ShortFunctionTimeout   = time.Second
	ShortJob               = 2 * time.Second
	// MaxJob is the app's longest job (app.MaxJobSeconds).
	MaxJob = 15 * time.Minute
	// TimedOut is the errorType of a function that ran past its timeout.
	TimedOut = "Sandbox.Timedout"
)

// Observer is told what happens, one event at a time.
type Observer interface {
	Phase(v deployers.Variant, phase, detail string)
}

// Config is one run of the ladder.
type Config struct {
	RunID string
	// Deployers holds a deployer for each of deployers.Variants.
	Deployers map[deployers.Variant]deployers.Deployer
	Artifacts *artifact.Set
	// FunctionTimeout is the function's timeout: whole seconds, 1 s to 15 min.
	FunctionTimeout time.Duration
	// Job is the long job's length: longer than FunctionTimeout, at most MaxJob.
	Job time.Duration
	// MemoryMB is every variant's memory (0: each backend's default).
	MemoryMB int
	// Observer is told what happens (nil: nothing is told).
	Observer Observer
	// TeardownTimeout bounds each teardown (default 2 minutes).
	TeardownTimeout time.Duration
}

// Validate checks cfg before anything is created.
func (c *Config) Validate() error {
	if err := c.ValidateSettings(); err != nil {
		return err
	}
	for _, v := range deployers.Variants {
		if c.Deployers[v] == nil {
			return fmt.Errorf("no deployer for variant %s: the lab needs all three", v)
		}
	}
	if c.Artifacts == nil {
		return errors.New("no artifacts: build them first (make build)")
	}
	return nil
}

// ValidateSettings checks the run id, the timeout, the job and the memory:
// what a user types, before the deployers and the artifacts exist.
func (c *Config) ValidateSettings() error {
	if err := deployers.ValidateRunID(c.RunID); err != nil {
		return err
	}
	t := c.FunctionTimeout
	if t < time.Second || t > rie.MaxTimeout || t%time.Second != 0 {
		return fmt.Errorf("function timeout %s: use whole seconds from 1s to 15m (Lambda's range)", t)
	}
	if c.Job <= t || c.Job > MaxJob {
		return fmt.Errorf("job %s: make it longer than the function timeout (%s) and at most %s", c.Job, t, MaxJob)
	}
	if c.MemoryMB < 0 {
		return fmt.Errorf("memory %d MB: must not be negative", c.MemoryMB)
	}
	return nil
}

// Result is the lab's document: execution-ceiling.json.
type Result struct {
	SchemaVersion int             `json:"schema_version"`
	RunID         string          `json:"run_id"`
	Started       time.Time       `json:"started"`
	Finished      time.Time       `json:"finished"`
	Machine       results.Machine `json:"machine"`
	// FunctionTimeout and Job are the settings the run used.
	FunctionTimeout time.Duration `json:"function_timeout_ns"`
	Job             time.Duration `json:"job_ns"`
	Variants        []Variant     `json:"variants"`
	Claim           Claim         `json:"claim"`
	// Leftovers lists what still carried the run id at the end.
	Leftovers []string `json:"leftovers,omitempty"`
	Errors    []string `json:"errors,omitempty"`
}

// Variant is what one variant did.
type Variant struct {
	Variant     deployers.Variant `json:"variant"`
	Backend     string            `json:"backend"`
	Description string            `json:"description"`
	Details     map[string]string `json:"details,omitempty"`
	// Startup is the startup origin → the first HTTP 200.
	Startup time.Duration `json:"startup_ns"`
	// Long is the job longer than the function timeout.
	Long Job `json:"long_job"`
	// Short is the function's job within its timeout (functions only):
	// it completes, and shows that the response is buffered.
	Short *Job `json:"short_job,omitempty"`
	// StepsUnseen (functions only) estimates the steps the function worked
	// through before its timeout stopped it, none of which the client saw.
	StepsUnseen int `json:"steps_unseen,omitempty"`
	// Environments (functions only) are the execution environments after
	// the jobs: the one that timed out is retired with reason "timeout".
	Environments []rie.Environment `json:"environments,omitempty"`
	Teardown     results.Teardown  `json:"teardown"`
	Error        string            `json:"error,omitempty"`
}

// environmentLister is the function backend's view of its environments.
type environmentLister interface {
	Environments(ctx context.Context, d *deployers.Deployment) ([]rie.Environment, error)
}

// Run runs the ladder. The result holds what was measured even when the
// error is set; every deployment is torn down before Run returns.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.TeardownTimeout == 0 {
		cfg.TeardownTimeout = 2 * time.Minute
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	res := &Result{
		SchemaVersion: SchemaVersion, RunID: cfg.RunID, Started: time.Now().UTC(),
		Machine: ladder.ThisMachine(), FunctionTimeout: cfg.FunctionTimeout, Job: cfg.Job,
	}
	var firstErr error
	for _, v := range deployers.Variants {
		if ctx.Err() != nil {
			break
		}
		vr, err := runVariant(ctx, &cfg, v)
		if err != nil {
			vr.Error = err.Error()
			res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", v, err))
			firstErr = cmpOr(firstErr, fmt.Errorf("%s: %w", v, err))
		}
		res.Variants = append(res.Variants, vr)
	}
	swept, left := leftovers(ctx, &cfg)
	res.Leftovers = left
	if len(swept) > 0 {
		res.Errors = append(res.Errors, fmt.Sprintf("created after teardown and removed by a sweep by label: %v", swept))
	}
	if len(res.Leftovers) > 0 {
		firstErr = cmpOr(firstErr, fmt.Errorf("left after teardown: %v (run `computeladder sweep --run-id %s`)", res.Leftovers, cfg.RunID))
	}
	res.Finished = time.Now().UTC()
	res.Claim = Check(res)
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return res, firstErr
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// runVariant deploys v, sends the jobs and tears down, whatever happens.
func runVariant(ctx context.Context, cfg *Config, v deployers.Variant) (vr Variant, err error) {
	dep := cfg.Deployers[v]
	info := dep.Info()
	vr = Variant{Variant: v, Backend: info.Name, Description: info.Description}
	obs := cfg.Observer

	var d *deployers.Deployment
	defer func() {
		vr.Teardown = teardown(ctx, cfg, dep, d)
		td := vr.Teardown
		switch {
		case td.Error != "":
			err = errors.Join(err, fmt.Errorf("teardown: %s", td.Error))
			obs.Phase(v, "teardown", "failed: "+td.Error)
		case len(td.Leftovers) > 0:
			obs.Phase(v, "teardown", fmt.Sprintf("in %s, but left %v", td.Duration.Round(time.Millisecond), td.Leftovers))
		default:
			obs.Phase(v, "teardown", fmt.Sprintf("in %s, nothing left", td.Duration.Round(time.Millisecond)))
		}
	}()

	spec := deployers.Spec{RunID: cfg.RunID, Artifacts: cfg.Artifacts, MemoryMB: cfg.MemoryMB}
	detail := ""
	if v == deployers.Function {
		spec.Timeout = cfg.FunctionTimeout
		detail = "function timeout " + cfg.FunctionTimeout.String()
	}
	obs.Phase(v, "deploy", detail)
	d, err = dep.Deploy(ctx, spec)
	if err != nil {
		return vr, fmt.Errorf("deploy: %w", err)
	}
	vr.Details = d.Details
	vr.Description = dep.Info().Description
	vr.Startup = d.Phases.From(d.StartupFrom).Total()
	obs.Phase(v, "started", d.Phases.String())

	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}}
	defer client.CloseIdleConnections()

	if v == deployers.Function {
		// Within the timeout first, on the environment the deploy warmed:
		// no cold start blurs when its lines arrive.
		short := cfg.FunctionTimeout / 2
		j, err := sendJob(ctx, cfg, v, client, d.URL, short, "job within the timeout")
		vr.Short = &j
		if err != nil {
			return vr, err
		}
	}
	vr.Long, err = sendJob(ctx, cfg, v, client, d.URL, cfg.Job, "job longer than the function timeout")
	if err != nil {
		return vr, err
	}
	if v == deployers.Function {
		vr.StepsUnseen = min(vr.Long.Steps, int(cfg.FunctionTimeout/(100*time.Millisecond)))
		if el, ok := dep.(environmentLister); ok {
			envs, eerr := el.Environments(ctx, d)
			if eerr != nil {
				return vr, fmt.Errorf("environments: %w", eerr)
			}
			vr.Environments = envs
		}
	}
	return vr, ctx.Err()
}

// sendJob runs one job and tells the observer about it: every whole second
// of progress, and how it ended.
func sendJob(ctx context.Context, cfg *Config, v deployers.Variant, client *http.Client, url string, d time.Duration, what string) (Job, error) {
	obs := cfg.Observer
	seconds := math.Round(d.Seconds()*1000) / 1000
	obs.Phase(v, "job", fmt.Sprintf("POST /jobs {\"seconds\":%g}: %s", seconds, what))
	// A VM under emulation runs the job at its own pace; the deadline only
	// keeps a hung platform from hanging the ladder.
	jctx, cancel := context.WithTimeout(ctx, 2*d+cfg.FunctionTimeout+30*time.Second)
	defer cancel()
	j, err := postJob(jctx, client, url, seconds, func(step, steps int, at time.Duration) {
		if step%10 == 0 || step == steps {
			obs.Phase(v, "progress", fmt.Sprintf("step %d of %d at %s", step, steps, at.Round(time.Millisecond)))
		}
	})
	if err != nil {
		return j, err
	}
	obs.Phase(v, "answer", Describe(j))
	if ctx.Err() != nil {
		return j, ctx.Err()
	}
	return j, nil
}

// Describe says in one line how a job ended.
func Describe(j Job) string {
	wall := j.Wall.Round(time.Millisecond)
	switch {
	case j.Done:
		return fmt.Sprintf("%d, done=true after %s: %d progress lines, the first at %s, last step %d of %d",
			j.Status, wall, j.ProgressLines, j.FirstLine.Round(time.Millisecond), j.LastStep, j.Steps)
	case j.Status == 0:
		return fmt.Sprintf("no answer after %s: %s", wall, j.Error)
	case j.ErrorType != "":
		return fmt.Sprintf("%d %s after %s (%s): %d progress lines, no done line",
			j.Status, j.ErrorType, wall, j.ErrorMessage, j.ProgressLines)
	default:
		return fmt.Sprintf("%d after %s: %d progress lines, no done line %s",
			j.Status, wall, j.ProgressLines, j.Error)
	}
}

// teardown removes d (nil-safe) with a context that outlives ctx, times it
// and lists what of the variant still carries the run id. What Teardown
// missed (an image the engine finished building after a cancelled deploy)
// is swept by label, and the sweep is reported as a teardown error.
func teardown(ctx context.Context, cfg *Config, dep deployers.Deployer, d *deployers.Deployment) results.Teardown {
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.TeardownTimeout)
	defer cancel()
	var td results.Teardown
	start := time.Now()
	errs := []error{dep.Teardown(tctx, d)}
	td.Duration = time.Since(start)
	swept, left, err := sweepLeft(tctx, dep, cfg.RunID)
	if len(swept) > 0 {
		errs = append(errs, fmt.Errorf("teardown left %v: removed by a sweep by label", swept))
	}
	td.Leftovers = left
	if err := errors.Join(append(errs, err)...); err != nil {
		td.Error = err.Error()
	}
	return td
}

// sweepLeft lists what carries runID on dep's platform, sweeps it when
// anything is there, and lists again.
func sweepLeft(ctx context.Context, dep deployers.Deployer, runID string) (swept, left []string, err error) {
	rs, err := dep.List(ctx, runID)
	if err != nil || len(rs) == 0 {
		return nil, nil, wrap("list", err)
	}
	removed, serr := dep.Sweep(ctx, runID)
	for _, r := range removed {
		swept = append(swept, r.String())
	}
	rs, lerr := dep.List(ctx, runID)
	for _, r := range rs {
		left = append(left, r.String())
	}
	return swept, left, errors.Join(wrap("sweep", serr), wrap("list", lerr))
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// leftovers lists what any backend still holds with the run id, from the
// platforms themselves (labels, state on disk), not from memory — sweeping
// once more what a late platform operation created after its teardown.
func leftovers(ctx context.Context, cfg *Config) (swept, left []string) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	for _, v := range deployers.Variants {
		s, l, err := sweepLeft(lctx, cfg.Deployers[v], cfg.RunID)
		for _, r := range s {
			cfg.Observer.Phase(v, "sweep", "removed late: "+r)
		}
		swept = append(swept, s...)
		left = append(left, l...)
		if err != nil {
			left = append(left, fmt.Sprintf("%s: %v", v, err))
		}
	}
	return swept, left
}

type nopObserver struct{}

func (nopObserver) Phase(deployers.Variant, string, string) {}
