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
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/results"
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
	// TeardownTimeout bounds each teardown, or the backend's longer
	// TeardownBudget (0: kit.DefaultTeardownTimeout).
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

// ID is the run id.
func (r *Result) ID() string { return r.RunID }

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
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	res := &Result{
		SchemaVersion: SchemaVersion, RunID: cfg.RunID, Started: time.Now().UTC(),
		Machine: kit.ThisMachine(), FunctionTimeout: cfg.FunctionTimeout, Job: cfg.Job,
	}
	run := kit.NewRun(cfg.RunID, kit.WithTeardownTimeout(cfg.TeardownTimeout))
	var firstErr error
	for _, v := range deployers.Variants {
		if ctx.Err() != nil {
			break
		}
		vr, err := runVariant(ctx, &cfg, run, v)
		if err != nil {
			vr.Error = err.Error()
			res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", v, err))
			firstErr = cmpOr(firstErr, fmt.Errorf("%s: %w", v, err))
		}
		res.Variants = append(res.Variants, vr)
	}
	// Once more over every backend: what a late platform operation created
	// after its variant's teardown (an image an engine finished building
	// after a cancelled deploy) is found by label and swept.
	final := run.Finish(ctx)
	res.Leftovers = final.Leftovers
	if final.Error != "" {
		res.Errors = append(res.Errors, "after every teardown: "+final.Error)
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
func runVariant(ctx context.Context, cfg *Config, run *kit.Run, v deployers.Variant) (vr Variant, err error) {
	dep := cfg.Deployers[v]
	info := dep.Info()
	vr = Variant{Variant: v, Backend: info.Name, Description: info.Description}
	obs := cfg.Observer

	defer func() {
		vr.Teardown = run.Finish(ctx, dep)
		if td := vr.Teardown; td.Error != "" {
			err = errors.Join(err, fmt.Errorf("teardown: %s", td.Error))
		}
		obs.Phase(v, "teardown", kit.Summary(vr.Teardown))
	}()

	spec := deployers.Spec{Artifacts: cfg.Artifacts, MemoryMB: cfg.MemoryMB}
	detail := ""
	if v == deployers.Lambda {
		spec.Timeout = cfg.FunctionTimeout
		detail = "function timeout " + cfg.FunctionTimeout.String()
	}
	obs.Phase(v, "deploy", detail)
	d, err := run.Deploy(ctx, dep, spec)
	if err != nil {
		return vr, err
	}
	vr.Details = d.Details
	vr.Description = dep.Info().Description
	vr.Startup = d.Phases.From(d.StartupFrom).Total()
	obs.Phase(v, "started", d.Phases.String())

	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}}
	defer client.CloseIdleConnections()

	if v == deployers.Lambda {
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
	if v == deployers.Lambda {
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

type nopObserver struct{}

func (nopObserver) Phase(deployers.Variant, string, string) {}
