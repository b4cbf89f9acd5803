package ladder

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/deployers/qemu"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/kit/kittest"
	"github.com/computeladder/computeladder/harness/results"
	"github.com/computeladder/computeladder/harness/targets"
)

// The smoke test of the ladder lab (and of the vm, container and lambda
// labs, which are its columns): `run all` in a short mode, then the claims
// the lab teaches, read from results.json — the VM starts slower than the
// container; the function reports an Init Duration and its cold start
// costs more than its warm requests; startup counts from each platform's
// run call; the function scales out for a burst and back to zero, the VM
// and the container stay one instance; each has a cost; all three pass
// the behaviour table (the same app); nothing is left.
func TestLadderLabSmoke(t *testing.T) {
	deployertest.RequireDocker(t)
	deployertest.RequireQEMU(t)
	out := t.TempDir()
	runID := deployertest.RunID(t, "ladder")
	sweepers := kittest.Sweepers(t)
	t.Cleanup(func() { kittest.SweepAll(t, runID, sweepers...) })
	if _, err := kittest.Execute(t, Command(), "all", "--runs", "1", "--rate", "20", "--duration", "1s", "--warmup", "0s",
		"--burst-clients", "4", "--burst-duration", "1s", "--keep-alive", "1s",
		"--quiet", "--out", out, "--run-id", runID, "--label", "Smoke Test"); err != nil {
		t.Fatalf("run all: %v", err)
	}
	got, err := results.ReadFile(filepath.Join(out, runID, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	// What the class view compares runs by: who, the CPU, the engine.
	if got.Label != "Smoke Test" || got.Machine.CPUModel != kit.ThisMachine().CPUModel || got.Machine.DockerVersion != targets.DockerVersion(context.Background()) || got.Machine.DockerVersion == "" {
		t.Errorf("label %q, CPU model %q, Docker %q: not this run's and this machine's", got.Label, got.Machine.CPUModel, got.Machine.DockerVersion)
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
	vm, ctr, fn := byVariant[deployers.VM], byVariant[deployers.Container], byVariant[deployers.Lambda]
	if vm.Accel != "kvm" && vm.Accel != "hvf" && vm.Accel != "tcg" {
		t.Errorf("the VM's accelerator %q is not recorded", vm.Accel)
	}
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
	// Startup counts from each platform's run call; the image is
	// preparation, named. The VM's first deployment boots the accelerator
	// probe when a device is there and no earlier run of the day cached
	// its verdict (/dev/kvm exists on this development VM and fails it),
	// and then says so.
	for v, want := range map[*results.Variant][]string{
		&vm: {qemu.PhaseQEMUStarted, qemu.Preparation, qemu.PreparationProbe}, &ctr: {"built", "image build"}, &fn: {"gateway-listening", "image build"},
	} {
		s := v.Startup
		if len(s.Samples) == 0 || s.Samples[0].From != want[0] || len(s.Preparations) == 0 || !slices.Contains(want[1:], s.Preparations[0].What) {
			t.Errorf("%s: startup from %v, preparations %+v; want from %q after one of %q", v.Variant, s.Samples, s.Preparations, want[0], want[1:])
		}
	}
	// Scaling: the function scaled out for the burst and back to zero;
	// the VM and the container are one instance, still running.
	for _, v := range []results.Variant{vm, ctr, fn} {
		sc := v.Scaling
		if sc == nil || sc.Burst == nil || sc.ScaleToZero == nil || !sc.Burst.InstancesMeasured || sc.Burst.Requests == 0 {
			t.Fatalf("%s: scaling %+v", v.Variant, sc)
		}
		wantRunning, scaled := 1, sc.Burst.Instances == 1
		if v.Variant == deployers.Lambda {
			wantRunning, scaled = 0, sc.Burst.Instances >= 2 && sc.Burst.Started >= 1
		}
		if !scaled || sc.ScaleToZero.Running != wantRunning {
			t.Errorf("%s: burst served by %d instances (%d started), %d running after the keep-alive", v.Variant, sc.Burst.Instances, sc.Burst.Started, sc.ScaleToZero.Running)
		}
		if v.Cost == nil || v.Cost.NotComputed != "" || v.Cost.Monthly <= 0 || v.Cost.PricesAsOf == "" {
			t.Errorf("%s: cost %+v", v.Variant, v.Cost)
		}
	}
	kittest.NothingLeft(t, runID, sweepers...)
}
