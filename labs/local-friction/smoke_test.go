package localfriction

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/harness/kit/kittest"
	"github.com/computeladder/computeladder/harness/targets"
)

// TestLocalFriction runs the lab on the local function and checks every
// claim it makes against what the run saw, the raw figures behind the
// ones a student is most likely to doubt, and that nothing is left.
func TestLocalFriction(t *testing.T) {
	runID := kittest.Smoke(t, "friction")
	arts := deployertest.Artifacts(t)
	fn := kittest.LocalAs[Function](t, runID, deployers.Lambda, targets.Options{MaxConcurrency: MaxConcurrency})
	ctx := kittest.Within(t, 3*time.Minute)
	res, err := Run(ctx, Config{
		RunID: runID, Spec: deployers.Spec{Artifacts: arts}, Function: fn,
		Timeout: time.Second, Idle: time.Second, ModuleRoot: filepath.Join("..", ".."), Logf: t.Logf,
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	var names []string
	for _, r := range Rows {
		names = append(names, r.Claim)
	}
	kittest.ClaimsHold(t, res.Claims, names...)
	if len(res.Claims) != len(Rows) {
		t.Errorf("%d claims judged for %d rows", len(res.Claims), len(Rows))
	}
	// The figures behind the claims, read again from the raw result.
	// Not compared: the warm invoke against the first. Init runs with one
	// vCPU and the handler with the memory's share (0.1 vCPU at 128 MB), as
	// Lambda does, so a warm invoke throttled by its quota can take longer
	// than the boosted first one (seen in CI: 81.8 ms warm, 56.9 ms first).
	if in := res.Init; in.InitReport <= 0 || in.FirstInvoke < in.InitReport || in.ReportInit >= in.InitReport {
		t.Errorf("init %+v: want an INIT REPORT inside the first invoke, and REPORT's Init Duration below it", in)
	}
	if m := res.Memory; m.LimitBytes != 128<<20 || m.Reports < 2 || m.UsageBytes <= 0 {
		t.Errorf("memory %+v: want a 128 MiB limit, REPORT lines and a measured usage", m)
	}
	if x := res.TimeoutRun.Direct; x.Latency < time.Second || !strings.Contains(x.Body, "1.00 seconds") {
		t.Errorf("timeout on the emulator %+v: want an answer after the 1 s timeout saying so", x)
	}
	for _, r := range Rows {
		if r.Lambda == "" || r.Project == "" || r.Try == "" || (r.Claim != ClaimBehaviourTable && len(r.Sources) == 0) {
			t.Errorf("row %s: want what Lambda does, its source, what the project does and a command", r.Claim)
		}
	}
	kittest.TornDown(t, res.FlatTeardown, runID, fn)
	var md bytes.Buffer
	if err := Markdown(&md, res); err != nil || !strings.Contains(md.String(), ClaimNoIAM+": holds") {
		t.Errorf("markdown: %v\n%s", err, md.String())
	}
}

// Bad configurations are errors before anything is deployed.
func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{RunID: "ok-1"},
		{RunID: "Not OK", Function: (Function)(nil)},
	} {
		if _, err := Run(context.Background(), c); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
	fn := fakeFunction{}
	for _, c := range []Config{
		{RunID: "ok-1", Function: fn, Timeout: 1500 * time.Millisecond},
		{RunID: "ok-1", Function: fn, Timeout: 2 * time.Minute},
		{RunID: "ok-1", Function: fn, Idle: -time.Second},
		{RunID: "ok-1", Function: fn, ModuleRoot: t.TempDir()}, // no fixtures there
	} {
		if res, err := Run(context.Background(), c); err == nil || res != nil {
			t.Errorf("timeout %s, idle %s, root %q: %v, %v; want an error and nothing run", c.Timeout, c.Idle, c.ModuleRoot, res, err)
		}
	}
}

// fakeFunction is a Function that must never be reached.
type fakeFunction struct{ Function }
