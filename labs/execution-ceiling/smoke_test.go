package ceiling_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/kit/kittest"
	"github.com/computeladder/computeladder/harness/targets"
	ceiling "github.com/computeladder/computeladder/labs/execution-ceiling"
)

// TestSmokeExecutionCeiling runs the lab in its short mode (timeout 1 s,
// job 2 s) against the local VM, container and function, and checks the
// claim it teaches in its own results, then that nothing carrying its run
// id is left.
func TestSmokeExecutionCeiling(t *testing.T) {
	runID := kittest.Smoke(t, "ceiling", deployertest.RequireQEMU)
	arts := deployertest.Artifacts(t)
	ctx := kittest.Within(t, 3*time.Minute)

	deps := map[deployers.Variant]deployers.Deployer{}
	var sweepers []kit.Sweeper
	for _, v := range deployers.Variants {
		deps[v] = kittest.Local(t, runID, v, targets.Options{})
		sweepers = append(sweepers, deps[v])
	}

	res, err := ceiling.Run(ctx, ceiling.Config{
		RunID: runID, Deployers: deps, Artifacts: arts,
		FunctionTimeout: ceiling.ShortFunctionTimeout, Job: ceiling.ShortJob,
	})
	if res != nil {
		var md strings.Builder
		if merr := ceiling.Markdown(&md, res); merr != nil {
			t.Errorf("summary: %v", merr)
		}
		t.Logf("summary:\n%s", md.String())
	}
	if err != nil {
		t.Fatalf("run: %v", err)
	}

	byVariant := map[deployers.Variant]ceiling.Variant{}
	for _, v := range res.Variants {
		byVariant[v.Variant] = v
	}
	fn := byVariant[deployers.Lambda].Long
	if fn.Done || (fn.ErrorType != ceiling.TimedOut && fn.Status != http.StatusOK) {
		t.Errorf("function long job: got %d %q done=%t, want it unfinished: 502 %s or cancelled at its deadline", fn.Status, fn.ErrorType, fn.Done, ceiling.TimedOut)
	}
	if fn.ProgressLines > 0 && fn.FirstLine < fn.Wall*9/10 {
		t.Errorf("function long job: a progress line reached the client at %v of %v: the response should be buffered", fn.FirstLine, fn.Wall)
	}
	for _, v := range []deployers.Variant{deployers.Container, deployers.VM} {
		j := byVariant[v].Long
		if !j.Done || j.LastStep != j.Steps || j.Steps != 20 {
			t.Errorf("%s long job: done=%t, last step %d of %d; want done=true after step 20 of 20", v, j.Done, j.LastStep, j.Steps)
		}
	}
	if !res.Claim.Holds {
		for _, c := range res.Claim.Checks {
			if !c.OK {
				t.Errorf("claim check failed: %s (saw %s)", c.What, c.Saw)
			}
		}
	}

	// Nothing carrying the run id may be left, asked of the platforms.
	kittest.NothingLeft(t, runID, sweepers...)
	if len(res.Leftovers) > 0 {
		t.Errorf("result reports leftovers: %v", res.Leftovers)
	}
}
