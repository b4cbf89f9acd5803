package state

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/harness/kit/kittest"
	"github.com/computeladder/computeladder/harness/targets"
)

// TestStateShort runs the lab in its short mode on the local function and
// container and checks what it teaches, and that nothing is left.
func TestStateShort(t *testing.T) {
	runID := kittest.Smoke(t, "state")
	arts := deployertest.Artifacts(t)
	fn := kittest.LocalAs[Function](t, runID, deployers.Lambda, targets.Options{MaxConcurrency: ShortWorkers + 1})
	ctr := kittest.Local(t, runID, deployers.Container, targets.Options{})
	ctx := kittest.Within(t, 2*time.Minute)
	res, err := Run(ctx, Config{
		RunID: runID, Spec: deployers.Spec{Artifacts: arts}, Function: fn, Container: ctr,
		Sequential: ShortSequential, Workers: ShortWorkers, PerWorker: ShortPerWorker, Logf: t.Logf,
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	kittest.ClaimsHold(t, res.Claims, ClaimCountsUp, ClaimColdStartResets, ClaimConcurrencySplits, ClaimContainerOneCounter, ClaimRedeployResets)
	// The two the issue names, checked from the raw samples too.
	if a := res.Function.AfterReset; a.RequestsServed != 1 || a.InstanceID == res.Function.Sequential[0].InstanceID {
		t.Errorf("after the cold start: %+v, want requests_served 1 on a new instance", a)
	}
	if n, sum := len(res.Function.Instances), res.Function.CounterSum; n < 2 || sum != int64(ShortWorkers*ShortPerWorker) {
		t.Errorf("concurrent: %d instances, counters sum %d: want ≥ 2 instances summing to %d", n, sum, ShortWorkers*ShortPerWorker)
	}
	kittest.TornDown(t, res.FlatTeardown, runID, fn, ctr)
	var md bytes.Buffer
	if err := Markdown(&md, res); err != nil || !strings.Contains(md.String(), "function-cold-start-resets-counter: holds") {
		t.Errorf("markdown: %v\n%s", err, md.String())
	}
}
