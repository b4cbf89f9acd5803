package checkout

import (
	"fmt"
	"strings"
	"time"

	"github.com/computeladder/computeladder/harness/cost"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/report"
	"github.com/computeladder/computeladder/harness/results"
	storm "github.com/computeladder/computeladder/labs/connection-storm"
)

// StallThreshold counts a steady request as stalled: far above a warm
// checkout (a few ms locally), well below a cold start (hundreds).
const StallThreshold = 100 * time.Millisecond

// Result is one run's figures: checkout.json.
type Result struct {
	// Lab names the document's kind, Results ("checkout"), so that
	// `computeladder report` knows it under any file name (the reference
	// run's is results.json).
	Lab string `json:"lab"`
	results.Header
	Rate     int           `json:"rate"`
	Duration time.Duration `json:"duration_ns"`
	// Warmup is the traffic before the first stretch, excluded.
	Warmup time.Duration `json:"warmup_ns"`
	// KeepAlive is the function's; Gap the quiet time between the two
	// stretches of steady traffic.
	KeepAlive time.Duration  `json:"keep_alive_ns"`
	Gap       time.Duration  `json:"gap_ns"`
	Burst     int            `json:"burst"`
	Rounds    int            `json:"rounds"`
	PoolSize  int            `json:"pool_size"`
	CPUs      int            `json:"cpus"`
	Postgres  storm.Postgres `json:"postgres"`
	Function  Side           `json:"function"`
	Container Side           `json:"container"`
	// Capacity is the container's measured throughput, which sizes the
	// always-on side of the bill.
	Capacity cost.Capacity  `json:"capacity"`
	Bill     Bill           `json:"bill"`
	Claims   results.Claims `json:"claims"`
	// Decision is where to run the checkout API, and why, from the claims.
	Decision string `json:"decision"`
	results.FlatTeardown
}

// Side is one variant under the checkout traffic.
type Side struct {
	Variant  string `json:"variant"`
	MemoryMB int    `json:"memory_mb,omitempty"`
	// Before and After are the steady traffic before and after the gap.
	Before Segment `json:"before_gap"`
	After  Segment `json:"after_gap"`
	// NewAfterGap is how many execution environments the traffic after
	// the gap started (valid when EnvironmentsMeasured: the function).
	NewAfterGap          int  `json:"new_environments_after_gap"`
	EnvironmentsMeasured bool `json:"environments_measured"`
	// Orders is the order spike; on the function it starts from zero
	// environments, and NewForOrders is how many it started (valid when
	// EnvironmentsMeasured).
	Orders       Orders `json:"orders"`
	NewForOrders int    `json:"new_environments_for_orders"`
	// Throughput is the closed-loop measurement (the container only).
	Throughput *results.Burst `json:"throughput,omitempty"`
}

// Segment is one stretch of steady traffic.
type Segment struct {
	Summary load.Summary `json:"summary"`
	// Stalled is how many requests took longer than StallThreshold.
	Stalled int `json:"stalled"`
	result  *load.Result
}

func segmentOf(r *load.Result) Segment {
	seg := Segment{Summary: r.Summary, result: r}
	for _, x := range r.Samples {
		if x.Latency > StallThreshold {
			seg.Stalled++
		}
	}
	return seg
}

// Orders is the order spike's bursts, summed.
type Orders struct {
	Requests      int           `json:"requests"`
	Created       int           `json:"created"`
	DBUnavailable int           `json:"database_unavailable"`
	Throttled     int           `json:"throttled"`
	Other         int           `json:"other"`
	OtherSample   string        `json:"other_sample,omitempty"`
	Max           time.Duration `json:"max_ns"`
	Rounds        []storm.Round `json:"rounds"`
}

func (o *Orders) add(r storm.Round) {
	o.Rounds = append(o.Rounds, r)
	o.Requests += len(r.Latencies)
	o.Created += r.Created
	o.DBUnavailable += r.DBUnavailable
	o.Throttled += r.Throttled
	o.Other += r.Other
	if o.OtherSample == "" {
		o.OtherSample = r.OtherSample
	}
	for _, l := range r.Latencies {
		o.Max = max(o.Max, l)
	}
}

// Bill is the month's bill at the lab's rate, both ways.
type Bill struct {
	Rate             float64 `json:"rate"`
	RequestsPerMonth float64 `json:"requests_per_month"`
	// Lambda: the warm requests' mean billed duration (cost.FromResults)
	// at MemoryMB.
	LambdaCounterpart string  `json:"lambda_counterpart"`
	BilledMS          float64 `json:"billed_ms"`
	LambdaMonthly     float64 `json:"lambda_monthly_usd"`
	// AlwaysOn is the container's counterpart: Instances tasks of it, each
	// serving AlwaysOnCapacity req/s.
	AlwaysOn         string  `json:"always_on"`
	AlwaysOnCapacity float64 `json:"always_on_capacity_rps"`
	Instances        int     `json:"instances"`
	AlwaysOnMonthly  float64 `json:"always_on_monthly_usd"`
	// Crossover is where Lambda's bill meets the always-on one's (0 with
	// CrossoverNever set), and CrossoverText says it in words.
	Crossover      float64 `json:"crossover_rps"`
	CrossoverNever string  `json:"crossover_never,omitempty"`
	CrossoverText  string  `json:"crossover_text"`
	// Table is harness/cost's table at a decade of rates, with this run's
	// figures; Assumption how the always-on side is sized.
	Table      string `json:"table"`
	Assumption string `json:"assumption"`
	PricesAsOf string `json:"prices_as_of"`
}

// Claim names.
const (
	ClaimFunctionStalls  = "function-stalls-after-gap"
	ClaimContainerSteady = "container-no-stall"
	ClaimOrdersExhausted = "function-exhausts-connections"
	ClaimContainerOrders = "container-serves-orders"
	ClaimPastCrossover   = "past-the-crossover"
)

// judge records whether each claim held, and the decision they support.
func (r *Result) judge() {
	f, c := r.Function, r.Container
	r.Claims = results.Claims{
		results.ClaimOf(ClaimFunctionStalls, f.NewAfterGap > 0 && f.After.Stalled > 0,
			fmt.Sprintf("after %s quiet (keep-alive %s) the function started %d new environment(s); %d requests over %s, max %s (before the gap: %d, max %s)",
				r.Gap, r.KeepAlive, f.NewAfterGap, f.After.Stalled, StallThreshold, report.Millis(f.After.Summary.Latency.Max), f.Before.Stalled, report.Millis(f.Before.Summary.Latency.Max))),
		results.ClaimOf(ClaimContainerSteady, c.After.Stalled <= c.Before.Stalled+stallNoise(c.After) && tailOf(c.After.Summary.Latency) < tailOf(f.After.Summary.Latency),
			fmt.Sprintf("after the same gap the container's %s (%d over %s; before the gap %d) against the function's %s", tailText(c.After.Summary.Latency), c.After.Stalled, StallThreshold, c.Before.Stalled, tailText(f.After.Summary.Latency))),
		results.ClaimOf(ClaimOrdersExhausted, f.Orders.DBUnavailable > 0,
			fmt.Sprintf("%d × %d concurrent orders on the function, from zero environments: %d started, %d database_unavailable (503) for %d seats of %d connections each", r.Rounds, r.Burst, f.NewForOrders, f.Orders.DBUnavailable, r.Postgres.Available, r.PoolSize)),
		results.ClaimOf(ClaimContainerOrders, c.Orders.Requests > 0 && c.Orders.Created == c.Orders.Requests,
			fmt.Sprintf("the same orders on the container: %d of %d created, %d database_unavailable", c.Orders.Created, c.Orders.Requests, c.Orders.DBUnavailable)),
		results.ClaimOf(ClaimPastCrossover, r.Bill.LambdaMonthly > r.Bill.AlwaysOnMonthly && r.Bill.AlwaysOnMonthly > 0,
			fmt.Sprintf("at %d req/s Lambda bills %s a month, %d × %s %s; crossover: %s", r.Rate, cost.Dollars(r.Bill.LambdaMonthly), r.Bill.Instances, r.Bill.AlwaysOn, cost.Dollars(r.Bill.AlwaysOnMonthly), r.Bill.CrossoverText)),
	}
	r.Decision = r.decide()
}

func (r *Result) decide() string {
	f, c, b := r.Function, r.Container, r.Bill
	var failed []string
	for _, cl := range r.Claims {
		if !cl.Holds {
			failed = append(failed, cl.Name)
		}
	}
	if len(failed) > 0 {
		return fmt.Sprintf("No decision: this run does not support moving the checkout API off the function (%s did not hold); look at the figures, and run again with a longer --duration.", strings.Join(failed, ", "))
	}
	return fmt.Sprintf("Run the checkout API on the container. At %d req/s the function bills %s a month against %s for %d Fargate task(s) (%s), "+
		"after a %s quiet gap %d of its %d requests failed and its answered ones' %s, against the container's %s with %d failed, and an order spike of %d got %d database_unavailable on the function against %d on the container. "+
		"The function wins back only below the crossover (%s), for spiky traffic with long idle stretches.",
		r.Rate, cost.Dollars(b.LambdaMonthly), cost.Dollars(b.AlwaysOnMonthly), b.Instances, b.AlwaysOn,
		r.Gap, f.After.Summary.Errors, f.After.Summary.Requests, tailText(f.After.Summary.Latency), tailText(c.After.Summary.Latency), c.After.Summary.Errors,
		r.Burst, f.Orders.DBUnavailable, c.Orders.DBUnavailable, b.CrossoverText)
}

// stallNoise is how many more stalled requests than before the gap a
// stretch after it may hold and still count as not stalled by the gap: a
// p99's worth (1 % of its requests, at least one). A machine busy with
// other work stalls some requests of both stretches alike (seen with other
// tests beside this lab on 2 cores: 17 of 250 container requests over
// 100 ms); a gap that stalled the container would add its stalls after it.
func stallNoise(s Segment) int {
	return max(1, (s.Summary.Requests+99)/100)
}

// tailOf is the tail a stretch's sample count supports: its p99 where
// the count supports one (load.MinSamples), else its slowest request.
func tailOf(q load.Quantiles) time.Duration {
	if q.Supports(0.99) {
		return q.P99
	}
	return q.Max
}

// tailText names tailOf's figure: "p99 was X", or "slowest was X (n N, too
// few for a p99)".
func tailText(q load.Quantiles) string {
	if q.Supports(0.99) {
		return "p99 was " + report.Millis(q.P99)
	}
	return fmt.Sprintf("slowest was %s (n %d, too few for a p99)", report.Millis(q.Max), q.N)
}
