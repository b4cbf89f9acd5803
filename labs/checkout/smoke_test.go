package checkout

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/kit/kittest"
	"github.com/computeladder/computeladder/harness/report/reporttest"
	"github.com/computeladder/computeladder/harness/targets"
	"github.com/computeladder/computeladder/labs/connection-storm/pgserver"
	"github.com/computeladder/computeladder/labs/connection-storm/pgserver/pgservertest"
)

// TestCheckoutShort runs the lab in its short mode: the function stalls
// after the gap and, from zero environments, runs PostgreSQL out of
// connections, the container does
// neither, the bill at the rate is past the crossover with the always-on
// side sized from the measured throughput, and nothing with the run id is
// left (deployers, PostgreSQL's directory).
func TestCheckoutShort(t *testing.T) {
	runID := kittest.Smoke(t, "checkout", pgservertest.Require)
	ctx := kittest.Within(t, 4*time.Minute)
	gw, subnet := pgservertest.Bridge(t, ctx, runID)
	arts := kittest.OwnArtifacts(t, ctx) // with the orders store
	fn := kittest.LocalAs[Function](t, runID, deployers.Lambda, targets.Options{KeepAlive: DefaultKeepAlive, MaxConcurrency: DefaultBurst})
	ctr := kittest.Local(t, runID, deployers.Container, targets.Options{})
	res, err := Run(ctx, Config{
		RunID: runID, Spec: deployers.Spec{Artifacts: arts}, Function: fn, Container: ctr,
		DBHost: gw, DBNet: subnet, Duration: ShortDuration, Rounds: ShortRounds, Logf: t.Logf,
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	kittest.ClaimsHold(t, res.Claims, ClaimFunctionStalls, ClaimContainerSteady, ClaimOrdersExhausted, ClaimContainerOrders, ClaimPastCrossover)
	// The spike started from zero: every concurrent order got an
	// environment of its own (a loaded machine once left a dozen warm
	// environments from the steady traffic, and the spike started none).
	if f := res.Function; !f.EnvironmentsMeasured || f.NewForOrders < res.Burst {
		t.Errorf("the order spike started %d environment(s) (measured: %v), want one per concurrent order (%d)", f.NewForOrders, f.EnvironmentsMeasured, res.Burst)
	}
	// From the raw figures too.
	b := res.Bill
	if want := max(1, int(math.Ceil(float64(res.Rate)/b.AlwaysOnCapacity))); b.Instances != want || b.AlwaysOnCapacity <= 0 {
		t.Errorf("bill: %d instances of %.0f req/s at %d req/s, want ceil(rate / capacity) = %d", b.Instances, b.AlwaysOnCapacity, res.Rate, want)
	}
	if res.Capacity.RPS != res.Container.Throughput.Throughput || !strings.Contains(b.Assumption, "assumed, not measured") {
		t.Errorf("capacity %+v is not the container's measured throughput %+v, or the assumption is not stated: %q", res.Capacity, res.Container.Throughput, b.Assumption)
	}
	if !strings.HasPrefix(res.Decision, "Run the checkout API on the container") {
		t.Errorf("decision: %s", res.Decision)
	}
	kittest.TornDown(t, res.FlatTeardown, runID, fn, ctr, pgserver.Sweeper{})
	var md bytes.Buffer
	if err := Markdown(&md, res); err != nil || !strings.Contains(md.String(), "## Decision") || !strings.Contains(md.String(), ClaimPastCrossover+": holds") {
		t.Errorf("markdown: %v\n%s", err, md.String())
	}
	// The page, from the real run: the document says its lab, and the
	// charts lay out in Chromium.
	if res.Lab != Results {
		t.Errorf("the result's lab is %q, want %q (computeladder report tells it by that)", res.Lab, Results)
	}
	var page bytes.Buffer
	if err := HTML(&page, res); err != nil {
		t.Fatal(err)
	}
	g := reporttest.Render(t, page.Bytes())
	g.Chart(t, "gap", reporttest.Want{Marks: 8, Axes: 1, Legend: 3, Texts: []string{"lambda, after the gap", "container, after the gap"}})
	g.Chart(t, "orders", reporttest.Want{Marks: 2, Axes: 1, Legend: 4, Texts: []string{"lambda", "container"}})
	g.Chart(t, "bill", reporttest.Want{Marks: 2, Axes: 1, Legend: 1})
}
