package ladder

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/computeladder/computeladder/app"
	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
)

// inProcessDeployer serves the app from the harness's own process, as the
// local function backend's gateway does, and records the lowest GOMAXPROCS
// any request was served under.
type inProcessDeployer struct {
	srv    *httptest.Server
	lowest atomic.Int64
}

func (d *inProcessDeployer) Info() deployers.Info {
	return deployers.Info{Name: "in-process", Variant: deployers.Lambda, Target: "local"}
}

func (d *inProcessDeployer) Deploy(ctx context.Context, spec deployers.Spec) (*deployers.Deployment, error) {
	h := app.New(app.Config{Platform: "lambda"})
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := int64(runtime.GOMAXPROCS(0)); n < d.lowest.Load() {
			d.lowest.Store(n)
		}
		h.ServeHTTP(w, r)
	}))
	dep := &deployers.Deployment{RunID: spec.RunID, Variant: deployers.Lambda, Backend: "in-process", ID: "d1", URL: d.srv.URL}
	dep.Phases.Mark("deploy", time.Now())
	at, err := deployers.WaitReady(ctx, d.srv.URL+"/healthz", 0, nil)
	dep.Phases.Mark(deployers.PhaseFirst200, at)
	return dep, err
}

func (d *inProcessDeployer) Teardown(context.Context, *deployers.Deployment) error {
	if d.srv != nil {
		d.srv.Close()
	}
	return nil
}

func (d *inProcessDeployer) List(context.Context, string) ([]deployers.Resource, error) {
	return nil, nil
}

func (d *inProcessDeployer) Sweep(context.Context, string) ([]deployers.Resource, error) {
	return nil, nil
}

// TestWarmLoadLeavesTheMeasuredUncapped is the regression test for the
// function's warm latency measured with its gateway inside the load
// generator's process: the generator capped GOMAXPROCS process-wide (to 1
// on a 2-core machine), so the gateway answered on the generator's one
// thread. What is measured must keep every thread it had.
func TestWarmLoadLeavesTheMeasuredUncapped(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	if before < 2 {
		t.Skip("one CPU: there is no cap to see")
	}
	d := &inProcessDeployer{}
	d.lowest.Store(int64(before))
	cfg := Config{
		RunID: "t-iso", Target: "local", Variants: []deployers.Variant{deployers.Lambda},
		Deployers: map[deployers.Variant]deployers.Deployer{deployers.Lambda: d},
		Spec:      deployers.Spec{Artifacts: &artifact.Set{}}, Runs: 1,
		Rate: 100, Duration: 500 * time.Millisecond,
	}
	run, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.lowest.Load(); got != int64(before) {
		t.Errorf("the measured server ran with GOMAXPROCS %d during the load, want its own %d", got, before)
	}
	w := run.Variants[0].Warm
	if w == nil || w.Result.Summary.Answered != 50 || len(w.Result.Samples) != 50 {
		t.Errorf("warm load = %+v, want 50 answered requests with their samples", w)
	}
}
