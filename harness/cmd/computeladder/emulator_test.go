package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv/awstest"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/harness/results"
)

// TestRunOnEmulatorEndToEnd runs the VM and function variants against an
// AWS emulator that only records resources (moto here, LocalStack for
// users): each run creates them, says what it could not measure instead of
// inventing figures, tears down and succeeds; sweep then finds nothing of
// the run.
func TestRunOnEmulatorEndToEnd(t *testing.T) {
	endpoint := awstest.Endpoint(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	for _, tt := range []struct {
		variant deployers.Variant
		// why is what the backend says it could not measure.
		why string
	}{
		{deployers.VM, "boots nothing"},
		{deployers.Lambda, "does not serve its Function URL"},
	} {
		t.Run(string(tt.variant), func(t *testing.T) {
			out := t.TempDir()
			runID := deployertest.RunID(t, "emu-"+string(tt.variant))
			if _, err := run(t, "run", string(tt.variant), "--target", "localstack", "--endpoint", endpoint, "--region", "us-east-1",
				"--runs", "1", "--quiet", "--out", out, "--run-id", runID); err != nil {
				t.Fatalf("run %s on the emulator: %v", tt.variant, err)
			}
			got, err := results.ReadFile(filepath.Join(out, runID, "results.json"))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Variants) != 1 || got.Variants[0].Variant != tt.variant {
				t.Fatalf("results hold %d variants, want %s alone", len(got.Variants), tt.variant)
			}
			vr := got.Variants[0]
			if vr.Error != "" || len(vr.NotMeasured) == 0 || !strings.Contains(vr.NotMeasured[0], tt.why) {
				t.Errorf("%s on the emulator: error %q, not measured %v; want it to say it %s", tt.variant, vr.Error, vr.NotMeasured, tt.why)
			}
			if vr.Warm != nil || vr.Startup.Total.N != 0 || len(vr.ColdStart.Samples) != 0 {
				t.Errorf("figures were reported for a %s that never ran: startup %+v, %d cold starts", tt.variant, vr.Startup.Total, len(vr.ColdStart.Samples))
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
		})
	}
}
