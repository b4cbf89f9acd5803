package kit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/results"
)

// fake is a backend that keeps its resources in memory, as a platform
// keeps them by label: List and Sweep see what Teardown missed.
type fake struct {
	mu        sync.Mutex
	variant   deployers.Variant
	budget    time.Duration
	res       map[string]deployers.Resource // by ID
	n         int
	deployErr error         // Deploy fails after creating its container
	partial   bool          // ... and returns the half-made deployment
	forget    bool          // Teardown leaves the container (a late creation)
	stuck     bool          // Sweep cannot remove anything
	takes     time.Duration // Teardown takes this long, or until ctx ends
	listErr   error
	log       *[]string
	kept      []string
}

func newFake(v deployers.Variant, log *[]string) *fake {
	return &fake{variant: v, res: map[string]deployers.Resource{}, log: log}
}

func (f *fake) Info() deployers.Info {
	return deployers.Info{Name: "fake", Variant: f.variant, TeardownBudget: f.budget}
}

func (f *fake) note(format string, a ...any) {
	if f.log != nil {
		*f.log = append(*f.log, fmt.Sprintf(format, a...))
	}
}

func (f *fake) Deploy(_ context.Context, spec deployers.Spec) (*deployers.Deployment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	id := fmt.Sprintf("%s-%d", f.variant, f.n)
	f.res[id] = deployers.Resource{Kind: "container", ID: id, RunID: spec.RunID, Variant: f.variant}
	f.note("deploy %s", id)
	d := &deployers.Deployment{ID: id, RunID: spec.RunID, Variant: f.variant}
	if f.deployErr != nil {
		if f.partial {
			return d, f.deployErr
		}
		return nil, f.deployErr
	}
	return d, nil
}

func (f *fake) Teardown(ctx context.Context, d *deployers.Deployment) error {
	if d == nil {
		return nil
	}
	if f.takes > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("teardown %s: %w", d.ID, ctx.Err())
		case <-time.After(f.takes):
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("teardown %s: %w", d.ID, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note("teardown %s", d.ID)
	if !f.forget {
		delete(f.res, d.ID)
	}
	return nil
}

func (f *fake) List(_ context.Context, runID string) ([]deployers.Resource, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listErr != nil {
		return nil, f.listErr
	}
	var out []deployers.Resource
	for _, r := range f.res {
		if runID == "" || r.RunID == runID {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b deployers.Resource) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (f *fake) Sweep(ctx context.Context, runID string) ([]deployers.Resource, error) {
	rs, err := f.List(ctx, runID)
	if err != nil || f.stuck {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rs {
		delete(f.res, r.ID)
	}
	f.note("sweep %s", runID)
	return rs, nil
}

// cachingFake is a fake that prepares once per run (deployers.RunCache):
// its image is a resource of the run until Release.
type cachingFake struct{ *fake }

func (c cachingFake) Keep(runID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.res["image"] = deployers.Resource{Kind: "image", ID: "image", RunID: runID, Variant: c.variant}
	c.note("keep %s", runID)
}

func (c cachingFake) Release(_ context.Context, runID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.res, "image")
	c.note("release %s", runID)
	return nil
}

func TestFinishTearsDownReleasesAndChecks(t *testing.T) {
	var log []string
	c := cachingFake{newFake(deployers.Container, &log)}
	r := NewRun("r1")
	for range 2 {
		if _, err := r.Deploy(context.Background(), c, deployers.Spec{}); err != nil {
			t.Fatal(err)
		}
	}
	td := r.Finish(context.Background())
	if td.Error != "" || len(td.Leftovers) > 0 || td.Duration <= 0 {
		t.Fatalf("Finish = %+v, want a timed teardown that left nothing", td)
	}
	want := []string{"keep r1", "deploy container-1", "deploy container-2", "teardown container-2", "teardown container-1", "release r1"}
	if !slices.Equal(log, want) {
		t.Errorf("calls %v, want %v (kept once, torn down last first, released after)", log, want)
	}
	if left, _ := c.List(context.Background(), "r1"); len(left) > 0 {
		t.Errorf("left on the platform: %v", left)
	}
}

func TestTeardownAndFinishAreNilSafe(t *testing.T) {
	r := NewRun("r1")
	if err := r.Teardown(context.Background(), nil); err != nil {
		t.Errorf("Teardown(nil) = %v", err)
	}
	if td := r.Finish(context.Background()); td.Error != "" || len(td.Leftovers) > 0 {
		t.Errorf("Finish of an empty run = %+v", td)
	}
}

// After Ctrl-C the run's context is cancelled: teardown must still run.
func TestFinishRunsAfterCancel(t *testing.T) {
	f := newFake(deployers.VM, nil)
	r := NewRun("r1")
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := r.Deploy(ctx, f, deployers.Spec{}); err != nil {
		t.Fatal(err)
	}
	cancel()
	if td := r.Finish(ctx); td.Error != "" || len(td.Leftovers) > 0 {
		t.Fatalf("Finish after cancel = %+v, want a clean teardown", td)
	}
	if f.n != 1 || len(f.res) != 0 {
		t.Errorf("resources %v left", f.res)
	}
}

// What a failed deploy made is torn down: a half-made deployment returned
// with the error by Teardown, one not returned at all by the check, which
// sweeps it and says so.
func TestFailedDeployLeavesNothing(t *testing.T) {
	for _, partial := range []bool{true, false} {
		f := newFake(deployers.Lambda, nil)
		f.deployErr, f.partial = errors.New("boom"), partial
		r := NewRun("r1")
		if _, err := r.Deploy(context.Background(), f, deployers.Spec{}); err == nil || !strings.Contains(err.Error(), "deploy: boom") {
			t.Fatalf("partial %v: Deploy error %v, want deploy: boom", partial, err)
		}
		td := r.Finish(context.Background())
		if len(td.Leftovers) > 0 || len(f.res) > 0 {
			t.Errorf("partial %v: left %v (platform: %v)", partial, td.Leftovers, f.res)
		}
		swept := strings.Contains(td.Error, "removed by a sweep by label")
		if swept == partial {
			t.Errorf("partial %v: teardown error %q: want a sweep only for what Teardown never saw", partial, td.Error)
		}
	}
}

func TestLeftoversAreSweptOrListed(t *testing.T) {
	f := newFake(deployers.Container, nil)
	f.forget = true
	r := NewRun("r1")
	if _, err := r.Deploy(context.Background(), f, deployers.Spec{}); err != nil {
		t.Fatal(err)
	}
	td := r.Finish(context.Background())
	if !strings.Contains(td.Error, "container container-1 (run r1)") || len(td.Leftovers) > 0 {
		t.Errorf("a teardown that left its container: %+v, want it swept and named in the error", td)
	}

	f = newFake(deployers.Container, nil)
	f.forget, f.stuck = true, true
	r = NewRun("r2")
	if _, err := r.Deploy(context.Background(), f, deployers.Spec{}); err != nil {
		t.Fatal(err)
	}
	td = r.Finish(context.Background())
	if !slices.Equal(td.Leftovers, []string{"container container-1 (run r2)"}) {
		t.Errorf("what even the sweep left: %+v, want it in Leftovers", td)
	}
}

// Regression: a teardown error made of nothing but a failed listing began
// with a newline (errors.Join of an empty error and the listing's).
func TestTeardownErrorHasNoStrayNewline(t *testing.T) {
	f := newFake(deployers.Lambda, nil)
	r := NewRun("r1")
	if _, err := r.Deploy(context.Background(), f, deployers.Spec{}); err != nil {
		t.Fatal(err)
	}
	f.listErr = errors.New("engine gone")
	td := r.Finish(context.Background())
	if td.Error != "list lambda (fake): engine gone" {
		t.Errorf("teardown error %q, want exactly the listing's, named", td.Error)
	}
}

// The run's fixed limit must not abandon what the backend's longer,
// declared budget would remove; Teardown (between deployments) and
// Finish both get it.
func TestTeardownGetsTheBackendsBudget(t *testing.T) {
	for _, tc := range []struct {
		budget  time.Duration
		wantErr bool
	}{
		{0, true},                // no budget declared: the run's limit cuts it short
		{2 * time.Second, false}, // the budget covers it
	} {
		f := newFake(deployers.VM, nil)
		f.takes, f.budget = 300*time.Millisecond, tc.budget
		r := NewRun("r1", WithTeardownTimeout(50*time.Millisecond))
		d, _ := r.Deploy(context.Background(), f, deployers.Spec{})
		if err := r.Teardown(context.Background(), d); (err != nil) != tc.wantErr {
			t.Errorf("budget %s: Teardown = %v, want error %v", tc.budget, err, tc.wantErr)
		}
		if _, err := r.Deploy(context.Background(), f, deployers.Spec{}); err != nil {
			t.Fatal(err)
		}
		if td := r.Finish(context.Background()); (td.Error != "") != tc.wantErr || len(td.Leftovers) > 0 {
			t.Errorf("budget %s: Finish = %+v, want error %v and nothing left", tc.budget, td, tc.wantErr)
		}
	}
}

// Finish with deployers finishes only theirs; the rest waits for the
// run's last Finish, which also calls OnFinish (last first) and checks
// what the lab tracked.
func TestFinishByBackendThenTheRest(t *testing.T) {
	var log []string
	vm, ctr := newFake(deployers.VM, &log), newFake(deployers.Container, &log)
	extra := newFake(deployers.Lambda, &log) // a lab's own sweeper
	r := NewRun("r1")
	r.Track(extra)
	_, _ = extra.Deploy(context.Background(), deployers.Spec{RunID: "r1"}) // started by the lab itself
	r.OnFinish(func(context.Context) error { log = append(log, "stop first"); return nil })
	r.OnFinish(func(context.Context) error { log = append(log, "stop second"); return errors.New("stuck") })
	for _, f := range []*fake{vm, ctr} {
		if _, err := r.Deploy(context.Background(), f, deployers.Spec{}); err != nil {
			t.Fatal(err)
		}
	}
	log = nil
	if td := r.Finish(context.Background(), vm); td.Error != "" || len(td.Leftovers) > 0 {
		t.Fatalf("Finish(vm) = %+v", td)
	}
	if !slices.Equal(log, []string{"teardown vm-1"}) {
		t.Errorf("Finish(vm) did %v, want only the VM's teardown", log)
	}
	log = nil
	td := r.Finish(context.Background())
	want := []string{"teardown container-1", "stop second", "stop first", "sweep r1"}
	if !slices.Equal(log, want) {
		t.Errorf("Finish() did %v, want %v", log, want)
	}
	if !strings.Contains(td.Error, "stuck") || !strings.Contains(td.Error, "lambda-1") {
		t.Errorf("Finish() error %q: want the stop's error and the tracked sweeper's leftover", td.Error)
	}
}

func TestSummary(t *testing.T) {
	d := 1500 * time.Millisecond
	for _, tc := range []struct {
		td   results.Teardown
		want string
	}{
		{results.Teardown{Duration: d}, "in 1.5s, nothing left"},
		{results.Teardown{Duration: d, Leftovers: []string{"x"}}, "in 1.5s, but left [x]"},
		{results.Teardown{Duration: d, Error: "boom"}, "in 1.5s, failed: boom"},
		{results.Teardown{Duration: d, Error: "boom", Leftovers: []string{"x"}}, "in 1.5s, left [x]: boom"},
	} {
		if got := Summary(tc.td); got != tc.want {
			t.Errorf("Summary(%+v) = %q, want %q", tc.td, got, tc.want)
		}
	}
}
