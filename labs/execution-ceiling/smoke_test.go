package ceiling_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/harness/targets"
	ceiling "github.com/computeladder/computeladder/labs/execution-ceiling"
)

// TestSmokeExecutionCeiling runs the lab in its short mode (timeout 1 s,
// job 2 s) against the local VM, container and function, and checks the
// claim it teaches in its own results, then that nothing carrying its run
// id is left.
func TestSmokeExecutionCeiling(t *testing.T) {
	deployertest.RequireDocker(t)
	deployertest.RequireQEMU(t)
	arts := deployertest.Artifacts(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	set, err := targets.Open(ctx, "local", deployers.Variants, targets.Options{})
	t.Cleanup(func() { _ = set.Close() })
	if err != nil {
		t.Fatalf("open local deployers: %v", err)
	}
	runID := deployertest.RunID(t, "ceiling")
	t.Cleanup(func() {
		// Only a failed teardown leaves something: sweep it by label.
		sctx, scancel := context.WithTimeout(context.Background(), time.Minute)
		defer scancel()
		for _, d := range set.Deployers {
			if rs, err := d.Sweep(sctx, runID); err != nil || len(rs) > 0 {
				t.Errorf("sweep %s: removed %v, err %v", d.Info().Variant, rs, err)
			}
		}
	})

	res, err := ceiling.Run(ctx, ceiling.Config{
		RunID: runID, Deployers: set.Deployers, Artifacts: arts,
		FunctionTimeout: ceiling.ShortFunctionTimeout, Job: ceiling.ShortJob,
	})
	if res != nil {
		path, werr := ceiling.Write(t.TempDir(), res)
		if werr != nil {
			t.Errorf("write results: %v", werr)
		}
		if b, rerr := os.ReadFile(filepath.Join(filepath.Dir(path), ceiling.MarkdownFile)); rerr == nil {
			t.Logf("summary:\n%s", b)
		}
	}
	if err != nil {
		t.Fatalf("run: %v", err)
	}

	byVariant := map[deployers.Variant]ceiling.Variant{}
	for _, v := range res.Variants {
		byVariant[v.Variant] = v
	}
	fn := byVariant[deployers.Function].Long
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
	for v, d := range set.Deployers {
		rs, err := d.List(ctx, runID)
		if err != nil {
			t.Errorf("list %s: %v", v, err)
		}
		if len(rs) > 0 {
			t.Errorf("%s left after the lab: %v", v, rs)
		}
	}
	if len(res.Leftovers) > 0 {
		t.Errorf("result reports leftovers: %v", res.Leftovers)
	}
}
