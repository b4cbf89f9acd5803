package coldstart

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

// TestColdStartShort runs the lab in its short mode on the local function
// and checks the four claims it judges, the environments' figures, and
// that teardown left nothing.
func TestColdStartShort(t *testing.T) {
	runID := kittest.Smoke(t, "cold")
	arts := deployertest.Artifacts(t)
	dp := kittest.LocalAs[Function](t, runID, deployers.Lambda, targets.Options{KeepAlive: ShortKeepAlive, MaxConcurrency: MaxConcurrency(ShortBurst, ShortBurst)})
	ctx := kittest.Within(t, 2*time.Minute)
	res, err := Run(ctx, Config{
		RunID: runID, Spec: deployers.Spec{Artifacts: arts}, Function: dp,
		KeepAlive: ShortKeepAlive, Burst: ShortBurst, Logf: t.Logf,
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	kittest.ClaimsHold(t, res.Claims, ClaimIdleGoesCold, ClaimBurstScalesOut, ClaimPrewarmNoColds, ClaimPrewarmFasterSlowest)
	if !strings.Contains(strings.Join(res.Idle.RetireReasons, ","), "keep-alive") {
		t.Errorf("retire reasons %v: want an environment retired by its keep-alive", res.Idle.RetireReasons)
	}
	for _, e := range res.ColdBurst.NewEnvironments {
		if e.InitDuration <= 0 || e.ColdStart < e.FirstInvoke {
			t.Errorf("new environment %+v: want a positive Init Duration and a cold start that includes the first invoke", e)
		}
	}
	kittest.TornDown(t, res.FlatTeardown, runID, dp)
	var md bytes.Buffer
	if err := Markdown(&md, res); err != nil || !strings.Contains(md.String(), "provisioned concurrency") {
		t.Errorf("markdown: %v\n%s", err, md.String())
	}
}
