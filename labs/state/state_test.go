package state

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/deployers/docker"
	"github.com/computeladder/computeladder/deployers/rie"
)

// TestStateShort runs the lab in its short mode on the local function and
// container and checks what it teaches, and that nothing is left.
func TestStateShort(t *testing.T) {
	deployertest.RequireDocker(t)
	arts := deployertest.Artifacts(t)
	runID := deployertest.RunID(t, "state")
	fn, ferr := rie.New(rie.WithMaxConcurrency(ShortWorkers + 1))
	ctr, cerr := docker.New()
	t.Cleanup(func() {
		// A failed assertion must not leave containers behind.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, dp := range []interface {
			Sweep(context.Context, string) ([]deployers.Resource, error)
			Close() error
		}{fn, ctr} {
			if dp == nil {
				continue
			}
			if _, err := dp.Sweep(ctx, runID); err != nil {
				t.Errorf("sweep: %v", err)
			}
			dp.Close()
		}
	})
	if ferr != nil || cerr != nil {
		t.Fatal(ferr, cerr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{
		RunID: runID, Spec: deployers.Spec{Artifacts: arts}, Function: fn, Container: ctr,
		Sequential: ShortSequential, Workers: ShortWorkers, PerWorker: ShortPerWorker, Logf: t.Logf,
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, name := range []string{ClaimCountsUp, ClaimColdStartResets, ClaimConcurrencySplits, ClaimContainerOneCounter, ClaimRedeployResets} {
		if c := res.Claim(name); !c.Holds {
			t.Errorf("claim %s does not hold: %s", name, c.Detail)
		}
	}
	// The two the issue names, checked from the raw samples too.
	if a := res.Function.AfterReset; a.RequestsServed != 1 || a.InstanceID == res.Function.Sequential[0].InstanceID {
		t.Errorf("after the cold start: %+v, want requests_served 1 on a new instance", a)
	}
	if n, sum := len(res.Function.Instances), res.Function.CounterSum; n < 2 || sum != int64(ShortWorkers*ShortPerWorker) {
		t.Errorf("concurrent: %d instances, counters sum %d: want ≥ 2 instances summing to %d", n, sum, ShortWorkers*ShortPerWorker)
	}
	if res.TeardownError != "" || len(res.Leftovers) > 0 {
		t.Errorf("teardown: %q, left %v", res.TeardownError, res.Leftovers)
	}
	for _, dp := range []deployers.Deployer{fn, ctr} {
		if left, err := dp.List(context.Background(), runID); err != nil || len(left) > 0 {
			t.Errorf("%s: List(%s) = %v, %v: want nothing", dp.Info().Name, runID, left, err)
		}
	}
	var md bytes.Buffer
	if err := Markdown(&md, res); err != nil || !strings.Contains(md.String(), "function-cold-start-resets-counter: holds") {
		t.Errorf("markdown: %v\n%s", err, md.String())
	}
}

func req(id string, n int64) Request { return Request{InstanceID: id, RequestsServed: n, Cold: n == 1} }

func TestJudge(t *testing.T) {
	seq := []Request{req("a", 1), req("a", 2), req("a", 3)}
	split := []Request{req("x", 1), req("y", 1), req("x", 2), req("y", 2)}
	tests := []struct {
		name string
		f, c PlatformResult
		want map[string]bool
	}{
		{"all hold",
			PlatformResult{Sequential: seq, AfterReset: req("b", 1), Concurrent: split},
			PlatformResult{Sequential: seq, AfterReset: req("c", 1), Concurrent: []Request{req("a", 4), req("a", 5)}},
			map[string]bool{ClaimCountsUp: true, ClaimColdStartResets: true, ClaimConcurrencySplits: true, ClaimContainerOneCounter: true, ClaimRedeployResets: true}},
		{"state survived the reset (shared store)",
			PlatformResult{Sequential: seq, AfterReset: req("b", 4), Concurrent: split},
			PlatformResult{Sequential: seq, AfterReset: req("a", 4)},
			map[string]bool{ClaimColdStartResets: false, ClaimRedeployResets: false}},
		{"one environment served everything",
			PlatformResult{Sequential: []Request{req("a", 1), req("b", 1)}, Concurrent: []Request{req("x", 1), req("x", 2)}},
			PlatformResult{Sequential: seq, Concurrent: split},
			map[string]bool{ClaimCountsUp: false, ClaimConcurrencySplits: false, ClaimContainerOneCounter: false}},
		{"counters do not add up (a reused environment)",
			PlatformResult{Sequential: seq, Concurrent: []Request{req("x", 7), req("y", 1)}},
			PlatformResult{},
			map[string]bool{ClaimConcurrencySplits: false, ClaimRedeployResets: false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.f.Instances, tt.c.Instances = instances(tt.f.Concurrent), instances(tt.c.Concurrent)
			for _, in := range tt.f.Instances {
				tt.f.CounterSum += in.Counter
			}
			r := &Result{Workers: 2, Function: tt.f, Container: tt.c}
			r.judge()
			for name, want := range tt.want {
				if got := r.Claim(name).Holds; got != want {
					t.Errorf("%s = %v, want %v (%s)", name, got, want, r.Claim(name).Detail)
				}
			}
		})
	}
}

func TestInstances(t *testing.T) {
	got := instances([]Request{req("x", 3), req("y", 1), {Error: "boom"}, req("x", 4)})
	want := []Instance{{"x", 2, 4}, {"y", 1, 1}}
	if len(got) != len(want) {
		t.Fatalf("instances = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("instance %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
