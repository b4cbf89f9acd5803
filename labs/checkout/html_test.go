package checkout

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/report/reporttest"
	"github.com/computeladder/computeladder/harness/results"
	storm "github.com/computeladder/computeladder/labs/connection-storm"
)

// TestHTMLRendersInChromium lays the checkout page out in Chromium: the
// latency before and after the gap, the orders' answers, the bill.
func TestHTMLRendersInChromium(t *testing.T) {
	r := result()
	r.Header = results.Header{RunID: "r-checkout", Date: "2026-11-30T09:00:00Z"}
	r.Bill.LambdaCounterpart = "Lambda 128 MB x86_64"
	r.Function.Orders.add(storm.Round{Created: 2, Throttled: 10, Latencies: make([]time.Duration, 12)})
	r.judge()
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Run the checkout API on the container", "function-exhausts-connections"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	g := reporttest.Render(t, b.Bytes())
	// 4 stretches × p50, p99, max.
	g.Chart(t, "gap", reporttest.Want{Marks: 12, Axes: 1, Legend: 3, Texts: []string{"lambda, after the gap", "container, before the gap", "600 ms", "stalled above 100ms"}})
	// lambda: 201, 503, 429 drawn; container: 201.
	g.Chart(t, "orders", reporttest.Want{Marks: 4, Axes: 1, Legend: 4, Texts: []string{"lambda", "container", "503 database unavailable", "429 throttled"}})
	g.Chart(t, "bill", reporttest.Want{Marks: 2, Axes: 1, Legend: 1, Texts: []string{"Lambda 128 MB x86_64", "1 × fargate 0.25vCPU/0.5GB", "$28.20", "$12.66"}})
	g.Table(t, "traffic", 5)
	g.Table(t, "orders-table", 3)
}

// A stretch with too few answers for a p99 draws no p99 bar, and the
// table says why; its max still shows the stall.
func TestHTMLLeavesOutAnUnsupportedP99(t *testing.T) {
	r := result()
	r.Function.After = Segment{Summary: load.Summary{Requests: 250, Errors: 248, Latency: load.Quantiles{N: 2, P50: 6454 * time.Millisecond, P99: 7231 * time.Millisecond, Max: 7231 * time.Millisecond}}, Stalled: 12}
	r.judge()
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, "lambda, after the gap: p99") {
		t.Error("a p99 bar is drawn from 2 answered requests")
	}
	for _, want := range []string{"lambda, after the gap: max 7231.00 ms of 2 answered", "— (n 2)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	g := reporttest.Render(t, b.Bytes())
	g.Chart(t, "gap", reporttest.Want{Marks: 11, Axes: 1, Legend: 3, Texts: []string{"7.23 s"}})
}
