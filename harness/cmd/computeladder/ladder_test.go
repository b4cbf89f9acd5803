package main

import (
	"path/filepath"
	"testing"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/harness/results"
)

// The smoke test of the ladder lab (and of the vm, container and lambda
// labs, which are its columns): `run all` in a short mode, then the claims
// the lab teaches, read from results.json — the VM starts slowest, the
// container fastest; the function's cold start costs more than its warm
// requests; all three are the same app; nothing is left.
func TestLadderLabSmoke(t *testing.T) {
	deployertest.RequireDocker(t)
	deployertest.RequireQEMU(t)
	out := t.TempDir()
	runID := deployertest.RunID(t, "ladder")
	sweepAfter(t, runID)
	if _, err := run(t, "run", "all", "--runs", "1", "--rate", "20", "--duration", "1s", "--warmup", "0s",
		"--quiet", "--out", out, "--run-id", runID); err != nil {
		t.Fatalf("run all: %v", err)
	}
	got, err := results.ReadFile(filepath.Join(out, runID, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	byVariant := map[deployers.Variant]results.Variant{}
	for _, v := range got.Variants {
		byVariant[v.Variant] = v
		if v.Error != "" || v.Behaviour.Failed != 0 || v.Behaviour.Passed == 0 {
			t.Errorf("%s: error %q, behaviour %+v", v.Variant, v.Error, v.Behaviour)
		}
		if len(v.Teardown.Leftovers) > 0 {
			t.Errorf("%s: left %v", v.Variant, v.Teardown.Leftovers)
		}
		if v.Warm == nil || v.Warm.Result.Summary.Requests == 0 || v.Warm.Result.Summary.Errors != 0 {
			t.Errorf("%s: warm load %+v", v.Variant, v.Warm)
		}
	}
	vm, ctr, fn := byVariant[deployers.VM], byVariant[deployers.Container], byVariant[deployers.Function]
	if vm.Startup.Total.Median <= ctr.Startup.Total.Median {
		t.Errorf("the VM started in %v, no slower than the container's %v", vm.Startup.Total.Median, ctr.Startup.Total.Median)
	}
	if fn.ColdStart.InitDuration == nil || fn.ColdStart.InitDuration.Median <= 0 {
		t.Errorf("the function reported no Init Duration: %+v", fn.ColdStart)
	}
	if fn.Warm != nil && fn.ColdStart.FirstRequest.Median <= fn.Warm.Result.Summary.Latency.P50 {
		t.Errorf("the function's cold start %v is no slower than its warm p50 %v",
			fn.ColdStart.FirstRequest.Median, fn.Warm.Result.Summary.Latency.P50)
	}
	if left := leftovers(t, runID); len(left) > 0 {
		t.Fatalf("left after the lab: %v", left)
	}
}
