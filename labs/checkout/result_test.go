package checkout

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/harness/load"
	storm "github.com/computeladder/computeladder/labs/connection-storm"
)

// seg is a stretch of steady traffic with the given p99 and stalled count.
func seg(p99 time.Duration, stalled int) Segment {
	return Segment{Summary: load.Summary{Requests: 250, Latency: load.Quantiles{N: 250, P50: 2 * time.Millisecond, P99: p99, Max: p99}}, Stalled: stalled}
}

func result() *Result {
	r := &Result{Rate: 50, Burst: 12, Rounds: 1, PoolSize: 5, Gap: 3500 * time.Millisecond, KeepAlive: 2 * time.Second,
		Postgres: storm.Postgres{MaxConnections: 20, Reserved: 3, Available: 17}}
	r.Function = Side{Variant: "lambda", Before: seg(5*time.Millisecond, 0), After: seg(600*time.Millisecond, 20), NewAfterGap: 6, EnvironmentsMeasured: true}
	r.Function.Orders.add(storm.Round{Created: 7, DBUnavailable: 5, Latencies: make([]time.Duration, 12)})
	r.Container = Side{Variant: "container", Before: seg(4*time.Millisecond, 0), After: seg(4*time.Millisecond, 0)}
	r.Container.Orders.add(storm.Round{Created: 12, Latencies: make([]time.Duration, 12)})
	r.Bill = Bill{LambdaMonthly: 28.2, AlwaysOnMonthly: 12.66, Instances: 1, AlwaysOn: "fargate 0.25vCPU/0.5GB", CrossoverText: "at 22.4 req/s"}
	return r
}

func TestJudgeDecidesTheContainerWhenEveryClaimHolds(t *testing.T) {
	r := result()
	r.judge()
	for _, c := range r.Claims {
		if !c.Holds {
			t.Errorf("claim %s does not hold: %s", c.Name, c.Detail)
		}
	}
	if !strings.HasPrefix(r.Decision, "Run the checkout API on the container") || !strings.Contains(r.Decision, "$28.20 a month against $12.66") {
		t.Errorf("decision: %s", r.Decision)
	}
	var md bytes.Buffer
	if err := Markdown(&md, r); err != nil || !strings.Contains(md.String(), "## Decision\n\nRun the checkout API") {
		t.Errorf("markdown: %v\n%s", err, md.String())
	}
}

func TestJudgeGivesNoDecisionWhenAClaimFails(t *testing.T) {
	for _, tc := range []struct {
		name, claim string
		edit        func(*Result)
	}{
		{"no stall after the gap", ClaimFunctionStalls, func(r *Result) { r.Function.After = seg(5*time.Millisecond, 0) }},
		{"the container stalled too", ClaimContainerSteady, func(r *Result) { r.Container.After = seg(700*time.Millisecond, 3) }},
		{"the gap stalled the container's p99", ClaimContainerSteady, func(r *Result) { r.Container.After = seg(150*time.Millisecond, 4) }},
		{"more stalls after the gap than the machine's noise", ClaimContainerSteady, func(r *Result) {
			r.Container.Before, r.Container.After = seg(150*time.Millisecond, 10), seg(300*time.Millisecond, 14)
		}},
		{"no connection refused", ClaimOrdersExhausted, func(r *Result) { r.Function.Orders.DBUnavailable = 0 }},
		{"the container refused orders", ClaimContainerOrders, func(r *Result) { r.Container.Orders.Created = 10 }},
		{"below the crossover", ClaimPastCrossover, func(r *Result) { r.Bill.LambdaMonthly = 5 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := result()
			tc.edit(r)
			r.judge()
			if r.Claims.Get(tc.claim).Holds {
				t.Errorf("claim %s holds: %s", tc.claim, r.Claims.Get(tc.claim).Detail)
			}
			if !strings.HasPrefix(r.Decision, "No decision") || !strings.Contains(r.Decision, tc.claim) {
				t.Errorf("decision: %s", r.Decision)
			}
		})
	}
}

// TestJudgeCountsTheContainersStallsAgainstItsOwnBeforeTheGap: on a
// machine busy with other work the container stalls before the gap as after
// it; the claim is about what the gap did.
func TestJudgeCountsTheContainersStallsAgainstItsOwnBeforeTheGap(t *testing.T) {
	r := result()
	r.Container.Before, r.Container.After = seg(290*time.Millisecond, 15), seg(290*time.Millisecond, 17)
	r.judge()
	c := r.Claims.Get(ClaimContainerSteady)
	if !c.Holds {
		t.Errorf("claim %s does not hold: %s", c.Name, c.Detail)
	}
	if want := "(17 over 100ms; before the gap 15)"; !strings.Contains(c.Detail, want) {
		t.Errorf("detail %q lacks %q", c.Detail, want)
	}
}

func TestOrdersAdd(t *testing.T) {
	var o Orders
	o.add(storm.Round{Created: 2, DBUnavailable: 1, Latencies: []time.Duration{time.Millisecond, 5 * time.Millisecond, 2 * time.Millisecond}})
	o.add(storm.Round{Created: 1, Other: 1, OtherSample: "status 500", Latencies: []time.Duration{time.Millisecond, 9 * time.Millisecond}})
	if o.Requests != 5 || o.Created != 3 || o.DBUnavailable != 1 || o.Other != 1 || o.OtherSample != "status 500" || o.Max != 9*time.Millisecond || len(o.Rounds) != 2 {
		t.Errorf("orders %+v", o)
	}
}

// TestDecisionQuotesNoUnsupportedP99: when only two requests after the gap
// were answered (the rest failed), the decision and the claim quote the
// slowest of them with n, not a "p99" that is the max under another name,
// and say how many failed; a supported p99 is still quoted as one.
func TestDecisionQuotesNoUnsupportedP99(t *testing.T) {
	r := result()
	r.Function.After = Segment{
		Summary: load.Summary{Requests: 250, Errors: 248, Latency: load.Quantiles{N: 2, P50: 6450 * time.Millisecond, P99: 7230 * time.Millisecond, Max: 7230 * time.Millisecond}},
		Stalled: 2,
	}
	r.judge()
	for _, text := range []string{r.Decision, r.Claims.Get(ClaimContainerSteady).Detail} {
		if strings.Contains(text, "its p99 was 7230") || strings.Contains(text, "function's p99") {
			t.Errorf("quotes a p99 of 2 requests: %s", text)
		}
		if !strings.Contains(text, "slowest was 7230.00 ms (n 2, too few for a p99)") {
			t.Errorf("does not quote the slowest with n: %s", text)
		}
		if !strings.Contains(text, "p99 was 4.00 ms") {
			t.Errorf("does not quote the container's supported p99: %s", text)
		}
	}
	if !strings.Contains(r.Decision, "248 of its 250 requests failed") {
		t.Errorf("decision does not say how many failed: %s", r.Decision)
	}
	var md bytes.Buffer
	if err := Markdown(&md, r); err != nil || !strings.Contains(md.String(), "— (n 2)") {
		t.Errorf("markdown shows p50/p90/p99 of 2 requests: %v\n%s", err, md.String())
	}
}
