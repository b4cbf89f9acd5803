package kit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/results"
)

// Sweeper finds and removes, by run id, what runs left behind (every run's
// when the id is empty). Every deployer is one; so is anything else a lab
// starts that carries the run id (the connection-storm lab's PostgreSQL).
type Sweeper interface {
	List(ctx context.Context, runID string) ([]deployers.Resource, error)
	Sweep(ctx context.Context, runID string) ([]deployers.Resource, error)
}

var _ Sweeper = deployers.Deployer(nil)

// DefaultTeardownTimeout bounds a teardown on a backend that declares no
// longer Info().TeardownBudget.
const DefaultTeardownTimeout = 2 * time.Minute

// Run holds what one lab run made, so that all of it is removed: every
// deployment made through Deploy, what the backends keep for the run (an
// image built once), and what the lab handed to OnFinish. Finish tears it
// down — also after an error or Ctrl-C — and then asks the platforms, not
// this memory, whether anything carrying the run id is left. It is safe
// for concurrent use.
type Run struct {
	id      string
	timeout time.Duration

	mu       sync.Mutex
	live     []deployment
	sweepers []Sweeper                   // backends deployed on, then Track's, in first-use order
	kept     map[deployers.Deployer]bool // RunCache kept for the run, not yet released
	stops    []func(context.Context) error
}

type deployment struct {
	dep deployers.Deployer
	d   *deployers.Deployment
}

// Option tunes a Run.
type Option func(*Run)

// WithTeardownTimeout bounds each teardown (0: DefaultTeardownTimeout); a
// backend whose TeardownBudget is longer gets its budget.
func WithTeardownTimeout(d time.Duration) Option {
	return func(r *Run) {
		if d > 0 {
			r.timeout = d
		}
	}
}

// NewRun starts tracking the run runID.
func NewRun(runID string, opts ...Option) *Run {
	r := &Run{id: runID, timeout: DefaultTeardownTimeout, kept: map[deployers.Deployer]bool{}}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Deploy deploys spec on dep with the run's id. What a failed deploy made
// is held too, so that Finish tears it down. The first deployment on a
// backend that prepares once per run (deployers.RunCache) asks it to keep
// that for the run's later deployments; Finish releases it.
func (r *Run) Deploy(ctx context.Context, dep deployers.Deployer, spec deployers.Spec) (*deployers.Deployment, error) {
	r.Track(dep)
	r.mu.Lock()
	if rc, ok := dep.(deployers.RunCache); ok && !r.kept[dep] {
		rc.Keep(r.id)
		r.kept[dep] = true
	}
	r.mu.Unlock()
	spec.RunID = r.id
	d, err := dep.Deploy(ctx, spec)
	if d != nil {
		r.mu.Lock()
		r.live = append(r.live, deployment{dep, d})
		r.mu.Unlock()
	}
	if err != nil {
		return d, fmt.Errorf("deploy: %w", err)
	}
	return d, nil
}

// Track has Finish check s for leftovers of the run, and sweep them. Deploy
// tracks its backend itself; a lab tracks what else it starts before it
// starts it.
func (r *Run) Track(s Sweeper) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.sweepers, s) {
		r.sweepers = append(r.sweepers, s)
	}
}

// OnFinish has Finish call stop after it tore the deployments down (the
// last handed over first), e.g. to stop a database the deployments used.
func (r *Run) OnFinish(stop func(ctx context.Context) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stops = append(r.stops, stop)
}

// Teardown removes d now (nil-safe), with a context of its own that
// outlives ctx and the longer of the run's timeout and the backend's
// TeardownBudget. What the backend keeps for the run stays, and nothing is
// checked: Finish does that.
func (r *Run) Teardown(ctx context.Context, d *deployers.Deployment) error {
	r.mu.Lock()
	i := slices.IndexFunc(r.live, func(x deployment) bool { return x.d == d })
	var dep deployers.Deployer
	if i >= 0 {
		dep = r.live[i].dep
		r.live = slices.Delete(r.live, i, i+1)
	}
	r.mu.Unlock()
	if dep == nil {
		return nil
	}
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.budget(dep))
	defer cancel()
	return dep.Teardown(tctx, d)
}

// Finish tears down what the run still holds on deps (on every backend
// when deps is empty, and then also calls what OnFinish was given), releases
// what those backends kept for the run, and times it all — also after ctx
// ended, with a context of its own bounded by the longest of their
// budgets. Then it asks each backend (and, with deps empty, every tracked
// Sweeper) what still carries the run id: anything found is swept by
// label and reported in the error, and what even the sweep left is listed
// in Leftovers. A backend's cut-short teardown thus still leaves nothing
// behind when a sweep can remove it, and says so.
func (r *Run) Finish(ctx context.Context, deps ...deployers.Deployer) results.Teardown {
	all := len(deps) == 0
	r.mu.Lock()
	var todo []deployment
	var rest []deployment
	for _, x := range r.live {
		if all || slices.Contains(deps, x.dep) {
			todo = append(todo, x)
		} else {
			rest = append(rest, x)
		}
	}
	r.live = rest
	var release []deployers.Deployer
	for dep := range r.kept {
		if all || slices.Contains(deps, dep) {
			release = append(release, dep)
			delete(r.kept, dep)
		}
	}
	var stops []func(context.Context) error
	sweepers := make([]Sweeper, 0, len(deps))
	if all {
		stops, r.stops = r.stops, nil
		sweepers = append(sweepers, r.sweepers...)
	} else {
		for _, d := range deps {
			sweepers = append(sweepers, d)
		}
	}
	r.mu.Unlock()

	budget := r.timeout
	for _, s := range sweepers {
		if dep, ok := s.(deployers.Deployer); ok {
			budget = max(budget, r.budget(dep))
		}
	}
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	defer cancel()
	var errs []error
	start := time.Now()
	for _, x := range slices.Backward(todo) {
		errs = append(errs, x.dep.Teardown(tctx, x.d))
	}
	for _, dep := range release {
		errs = append(errs, dep.(deployers.RunCache).Release(tctx, r.id))
	}
	for _, stop := range slices.Backward(stops) {
		errs = append(errs, stop(tctx))
	}
	td := results.Teardown{Duration: time.Since(start)}

	// A context of its own: a teardown that used up its budget must not
	// keep the check from running.
	lctx, lcancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	defer lcancel()
	swept, left, err := sweepLeft(lctx, r.id, sweepers)
	if len(swept) > 0 {
		errs = append(errs, fmt.Errorf("left after teardown, removed by a sweep by label: %v", swept))
	}
	td.Leftovers = left
	if err := errors.Join(append(errs, err)...); err != nil {
		td.Error = err.Error()
	}
	return td
}

// budget is how long a teardown on dep may take.
func (r *Run) budget(dep deployers.Deployer) time.Duration {
	return max(r.timeout, dep.Info().TeardownBudget)
}

// sweepLeft lists what carries runID on each sweeper's platform, sweeps
// what it finds, and lists again.
func sweepLeft(ctx context.Context, runID string, sweepers []Sweeper) (swept, left []string, err error) {
	var errs []error
	for _, s := range sweepers {
		rs, lerr := s.List(ctx, runID)
		if lerr != nil || len(rs) == 0 {
			errs = append(errs, wrap("list "+label(s), lerr))
			continue
		}
		removed, serr := s.Sweep(ctx, runID)
		for _, x := range removed {
			swept = append(swept, x.String())
		}
		rs, lerr = s.List(ctx, runID)
		for _, x := range rs {
			left = append(left, x.String())
		}
		errs = append(errs, wrap("sweep "+label(s), serr), wrap("list "+label(s), lerr))
	}
	return swept, left, errors.Join(errs...)
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Summary says in a few words how a teardown went, for progress lines.
func Summary(td results.Teardown) string {
	took := td.Duration.Round(time.Millisecond)
	switch {
	case td.Error != "" && len(td.Leftovers) > 0:
		return fmt.Sprintf("in %s, left %v: %s", took, td.Leftovers, td.Error)
	case td.Error != "":
		return fmt.Sprintf("in %s, failed: %s", took, td.Error)
	case len(td.Leftovers) > 0:
		return fmt.Sprintf("in %s, but left %v", took, td.Leftovers)
	}
	return fmt.Sprintf("in %s, nothing left", took)
}
