package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/deployers/awsenv/awstest"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/harness/results"
)

// The VM and function variants against an AWS emulator that only records
// resources (moto here, LocalStack for users): the run creates them, says
// what it could not measure instead of inventing figures, tears down, and
// succeeds; sweep then finds nothing of the run.
func TestRunOnEmulatorEndToEnd(t *testing.T) {
	endpoint := awstest.Endpoint(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	out := t.TempDir()
	runID := deployertest.RunID(t, "emu")
	if _, err := run(t, "run", "vm", "--target", "localstack", "--endpoint", endpoint, "--region", "us-east-1",
		"--runs", "1", "--quiet", "--out", out, "--run-id", runID); err != nil {
		t.Fatalf("run vm on the emulator: %v", err)
	}
	got, err := results.ReadFile(filepath.Join(out, runID, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	vr := got.Variants[0]
	if vr.Error != "" || len(vr.NotMeasured) == 0 || !strings.Contains(vr.NotMeasured[0], "boots nothing") {
		t.Errorf("vm on the emulator: error %q, not measured %v", vr.Error, vr.NotMeasured)
	}
	if vr.Warm != nil || vr.Startup.Total.N != 0 {
		t.Errorf("figures were reported for an instance that never booted: %+v", vr.Startup.Total)
	}
	if len(vr.Teardown.Leftovers) != 0 {
		t.Errorf("left after teardown: %v", vr.Teardown.Leftovers)
	}
	swept, err := run(t, "sweep", "--target", "localstack", "--endpoint", endpoint, "--region", "us-east-1", "--run-id", runID, "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(swept, "nothing to sweep") {
		t.Errorf("sweep found leftovers:\n%s", swept)
	}
}
