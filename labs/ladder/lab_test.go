package ladder

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/computeladder/computeladder/app"
	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/results"
)

// fakeDeployer deploys the real app handler on an httptest server, in steps
// that each create a resource, and can be told to fail at one step.
type fakeDeployer struct {
	variant deployers.Variant
	failAt  string // "create", "start" or "ready": Deploy fails there
	record  bool   // like an emulator: creates resources, never answers
	// prepare, when set, runs before the platform call: Deploy marks
	// "built" after it and measures startup from there.
	prepare func(runID string) (what string)
	// handler, when set, serves instead of the app (it may wrap it).
	handler func(http.Handler) http.Handler

	mu        sync.Mutex
	resources map[string]deployers.Resource // id → resource, as a platform would hold them
	servers   map[string]*httptest.Server
	seq       int
}

var steps = []string{"create", "start", "ready"}

func newFake(v deployers.Variant) *fakeDeployer {
	return &fakeDeployer{variant: v, resources: map[string]deployers.Resource{}, servers: map[string]*httptest.Server{}}
}

func (f *fakeDeployer) Info() deployers.Info {
	return deployers.Info{Name: "fake", Variant: f.variant, Target: "local", Description: "in-process fake"}
}

func (f *fakeDeployer) Deploy(ctx context.Context, spec deployers.Spec) (*deployers.Deployment, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.seq++
	id := fmt.Sprintf("%s-%d", f.variant, f.seq)
	f.mu.Unlock()
	d := &deployers.Deployment{RunID: spec.RunID, Variant: f.variant, Backend: "fake", ID: id}
	d.Phases.Mark("deploy", time.Now())
	if f.prepare != nil {
		d.Preparation = f.prepare(spec.RunID)
		d.Phases.Mark("built", time.Now())
		d.StartupFrom = "built"
	}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return d, err
		}
		if step == f.failAt {
			return d, fmt.Errorf("injected failure at %s", step)
		}
		if f.record && step == "ready" {
			// Timestamps an emulator records without running anything.
			d.Phases.Mark("created", time.Now())
			d.Phases.Mark("started", time.Now().Add(time.Second))
			d.NotMeasured = "first-200: the emulator runs nothing"
			continue
		}
		switch step {
		case "create":
			f.add(deployers.Resource{Kind: "thing", ID: id, RunID: spec.RunID, Variant: f.variant})
		case "start":
			h := &swapHandler{}
			h.p.Store(newEnv(f.variant))
			var served http.Handler = h
			if f.handler != nil {
				served = f.handler(h)
			}
			srv := httptest.NewServer(served)
			f.mu.Lock()
			f.servers[id] = srv
			f.mu.Unlock()
			d.URL = srv.URL
			f.add(deployers.Resource{Kind: "server", ID: id, RunID: spec.RunID, Variant: f.variant})
		case "ready":
			at, err := deployers.WaitReady(ctx, d.URL+"/healthz", 0, nil)
			if err != nil {
				return d, err
			}
			d.Phases.Mark("first-200", at)
		}
	}
	return d, nil
}

func (f *fakeDeployer) add(r deployers.Resource) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resources[r.Kind+"/"+r.ID] = r
}

func (f *fakeDeployer) Teardown(ctx context.Context, d *deployers.Deployment) error {
	if d == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if srv := f.servers[d.ID]; srv != nil {
		srv.Close()
		delete(f.servers, d.ID)
	}
	delete(f.resources, "server/"+d.ID)
	delete(f.resources, "thing/"+d.ID)
	return nil
}

func (f *fakeDeployer) List(ctx context.Context, runID string) ([]deployers.Resource, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []deployers.Resource
	for _, r := range f.resources {
		if runID == "" || r.RunID == runID {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeDeployer) Sweep(ctx context.Context, runID string) ([]deployers.Resource, error) {
	left, _ := f.List(ctx, runID)
	for _, r := range left {
		_ = f.Teardown(ctx, &deployers.Deployment{ID: r.ID})
	}
	return left, nil
}

// coldFake adds ForceColdStart: it swaps the server for a new one (a new
// execution environment with its own in-memory state).
type coldFake struct{ *fakeDeployer }

func (c coldFake) ForceColdStart(ctx context.Context, d *deployers.Deployment) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.servers[d.ID].Config.Handler
	if w, ok := h.(interface{ Unwrap() http.Handler }); ok {
		h = w.Unwrap()
	}
	h.(*swapHandler).p.Store(newEnv(c.variant))
	return nil
}

// swapHandler lets a fake replace its "execution environment" while serving.
type swapHandler struct{ p atomic.Pointer[http.Handler] }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.p.Load()).ServeHTTP(w, r)
}

func newEnv(v deployers.Variant) *http.Handler {
	h := app.New(app.Config{Platform: string(v)})
	return &h
}

func baseConfig(fakes map[deployers.Variant]deployers.Deployer) Config {
	var vs []deployers.Variant
	for _, v := range deployers.Variants {
		if fakes[v] != nil {
			vs = append(vs, v)
		}
	}
	return Config{
		RunID: "t-lab", Target: "local", Variants: vs, Deployers: fakes,
		Spec: deployers.Spec{Artifacts: &artifact.Set{}}, Runs: 2,
		Rate: 50, Duration: 300 * time.Millisecond, Warmup: 100 * time.Millisecond,
	}
}

func TestRunMeasuresEveryVariant(t *testing.T) {
	fakes := map[deployers.Variant]deployers.Deployer{
		deployers.VM:        newFake(deployers.VM),
		deployers.Container: newFake(deployers.Container),
		deployers.Lambda:    coldFake{newFake(deployers.Lambda)},
	}
	cfg := baseConfig(fakes)
	var checked []string
	cfg.Check = func(ctx context.Context, platform, baseURL string, _ *http.Client) results.Behaviour {
		checked = append(checked, platform)
		return results.Behaviour{Passed: 3}
	}
	run, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Variants) != 3 || len(checked) != 3 {
		t.Fatalf("variants measured = %d, behaviour checks = %v, want 3 each", len(run.Variants), checked)
	}
	for _, vr := range run.Variants {
		if vr.Startup.Total.N != cfg.Runs || vr.Startup.Total.Median <= 0 {
			t.Errorf("%s startup = %+v, want %d positive samples", vr.Variant, vr.Startup.Total, cfg.Runs)
		}
		if len(vr.ColdStart.Samples) != cfg.Runs {
			t.Errorf("%s cold samples = %d, want %d", vr.Variant, len(vr.ColdStart.Samples), cfg.Runs)
		}
		for _, cs := range vr.ColdStart.Samples {
			if !cs.Cold {
				t.Errorf("%s: the first request of a fresh environment must be cold: %+v", vr.Variant, cs)
			}
		}
		if vr.Warm == nil || vr.Warm.Result.Summary.Requests < 10 || vr.Warm.Result.Summary.Errors != 0 {
			t.Errorf("%s warm = %+v", vr.Variant, vr.Warm)
		}
		if len(vr.Teardown.Leftovers) != 0 || vr.Teardown.Error != "" {
			t.Errorf("%s teardown = %+v", vr.Variant, vr.Teardown)
		}
	}
	assertNothingLeft(t, fakes)
}

func TestFailureAtEachDeployStepLeavesNothing(t *testing.T) {
	for _, step := range steps {
		t.Run(step, func(t *testing.T) {
			f := newFake(deployers.Container)
			f.failAt = step
			fakes := map[deployers.Variant]deployers.Deployer{deployers.Container: f}
			run, err := Run(context.Background(), baseConfig(fakes))
			if err == nil || !strings.Contains(err.Error(), "injected failure at "+step) {
				t.Fatalf("error = %v, want the injected failure", err)
			}
			if run.Variants[0].Error == "" {
				t.Error("the variant's result must carry its error")
			}
			assertNothingLeft(t, fakes)
		})
	}
}

// cancelObserver cancels the run when a given phase begins, as Ctrl-C would.
type cancelObserver struct {
	phase  string
	cancel context.CancelFunc
	seen   bool
}

func (o *cancelObserver) Phase(_ deployers.Variant, phase, _ string) {
	if phase == o.phase && !o.seen {
		o.seen = true
		o.cancel()
	}
}
func (o *cancelObserver) Load(deployers.Variant, load.Progress) {}

func TestCancelDuringEachPhaseLeavesNothing(t *testing.T) {
	for _, phase := range []string{"deploy", "started", "teardown", "cold-start", "warm-up", "load", "behaviour"} {
		t.Run(phase, func(t *testing.T) {
			fakes := map[deployers.Variant]deployers.Deployer{
				deployers.Container: newFake(deployers.Container),
				deployers.Lambda:    coldFake{newFake(deployers.Lambda)},
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			obs := &cancelObserver{phase: phase, cancel: cancel}
			cfg := baseConfig(fakes)
			cfg.Observer = obs
			cfg.Check = func(ctx context.Context, platform, baseURL string, _ *http.Client) results.Behaviour {
				return results.Behaviour{Passed: 1}
			}
			_, err := Run(ctx, cfg)
			if !obs.seen {
				t.Fatalf("phase %q never happened", phase)
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error = %v, want context.Canceled", err)
			}
			assertNothingLeft(t, fakes)
		})
	}
}

func TestConfigValidate(t *testing.T) {
	ok := baseConfig(map[deployers.Variant]deployers.Deployer{deployers.VM: newFake(deployers.VM)})
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"bad run id", func(c *Config) { c.RunID = "Bad ID" }, "run id"},
		{"no variants", func(c *Config) { c.Variants = nil }, "no variant"},
		{"no deployer", func(c *Config) { c.Variants = []deployers.Variant{deployers.Container} }, "no deployer"},
		{"zero runs", func(c *Config) { c.Runs = 0 }, "runs 0"},
		{"zero rate", func(c *Config) { c.Rate = 0 }, "rate 0"},
		{"negative warm-up", func(c *Config) { c.Warmup = -time.Second }, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mod(&c)
			_, err := Run(context.Background(), c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func assertNothingLeft(t *testing.T, fakes map[deployers.Variant]deployers.Deployer) {
	t.Helper()
	for v, d := range fakes {
		left, err := d.List(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(left) > 0 {
			t.Errorf("%s: left behind %v", v, left)
		}
	}
}

func TestBehaviourTableAgainstTheApp(t *testing.T) {
	srv := httptest.NewServer(app.New(app.Config{Platform: "container"}))
	t.Cleanup(srv.Close)
	b := BehaviourTable()(context.Background(), "container", srv.URL, http.DefaultClient)
	if b.Failed != 0 || b.Passed < 10 {
		t.Fatalf("behaviour = %+v, want every case to pass", b)
	}
	// The same table against the wrong platform must fail (whoami says so).
	if b := BehaviourTable()(context.Background(), "vm", srv.URL, http.DefaultClient); b.Failed == 0 {
		t.Fatal("the table passed for the wrong platform")
	}
}

// An emulator that only records resources: the run measures what it can,
// sends no request, says what was not measured, tears down, and succeeds.
func TestRecordOnlyBackendIsNotMeasured(t *testing.T) {
	f := newFake(deployers.Lambda)
	f.record = true
	var hits atomic.Int64
	cfg := baseConfig(map[deployers.Variant]deployers.Deployer{deployers.Lambda: coldFake{f}})
	cfg.Check = func(context.Context, string, string, *http.Client) results.Behaviour {
		hits.Add(1)
		return results.Behaviour{}
	}
	run, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	vr := run.Variants[0]
	if len(vr.NotMeasured) == 0 || !strings.Contains(vr.NotMeasured[0], "the emulator runs nothing") {
		t.Errorf("not measured = %v, want the backend's reason", vr.NotMeasured)
	}
	if hits.Load() != 0 || vr.Warm != nil || len(vr.ColdStart.Samples) != 0 || vr.Scaling != nil {
		t.Errorf("requests were sent to a deployment that never answered: checks %d, warm %v, cold %v, scaling %v", hits.Load(), vr.Warm, vr.ColdStart.Samples, vr.Scaling)
	}
	// The timestamps the emulator recorded are no startup: nothing of
	// them may reach a chart or a table.
	if vr.Startup.Total.N != 0 || len(vr.Startup.Samples) != 0 || len(vr.Startup.Phases) != 0 || vr.Startup.Prepare.N != 0 {
		t.Errorf("startup = %+v: an emulator's recorded times were kept as a startup", vr.Startup)
	}
	assertNothingLeft(t, map[deployers.Variant]deployers.Deployer{deployers.Lambda: f})
}
