package checkout

import (
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/computeladder/computeladder/harness/cost"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/report"
)

// HTML writes the run's page, report.html: the steady traffic's latency
// before and after the quiet gap on each side (log axis, the stall
// threshold marked), the order spike's answers per side as stacked bars,
// the month's bill both ways at the run's rate, the decision, the figures
// and the claims.
func HTML(w io.Writer, r *Result) error {
	sides := []Side{r.Function, r.Container}

	// The gap: p50, p99 and max of each stretch on a log axis. A p99 the
	// answered requests cannot support is left out (its bar's title says
	// why); the max still shows the stall.
	var gap []report.BarGroup
	lo, hi := StallThreshold, StallThreshold
	for _, s := range sides {
		for _, x := range []struct {
			name string
			seg  Segment
		}{{"before the gap", s.Before}, {"after the gap", s.After}} {
			l := x.seg.Summary.Latency
			label := fmt.Sprintf("%s, %s", s.Variant, x.name)
			var bars []report.Bar
			for _, q := range []struct {
				name string
				v    time.Duration
				ok   bool
			}{{"p50", l.P50, l.N > 0}, {"p99", l.P99, l.Supports(0.99)}, {"max", l.Max, l.N > 0}} {
				if !q.ok || q.v <= 0 {
					bars = append(bars, report.Bar{Missing: true})
					continue
				}
				bars = append(bars, report.Bar{Value: float64(q.v), Title: fmt.Sprintf("%s: %s %s of %d answered", label, q.name, report.Millis(q.v), l.N)})
				lo, hi = min(lo, q.v), max(hi, q.v)
			}
			gap = append(gap, report.BarGroup{Label: label, Bars: bars})
		}
	}
	gapChart := report.BarChart{
		ID: "gap", Label: "latency before and after the quiet gap", X: report.Duration("latency (log)", lo, hi, true),
		Series: []string{"p50", "p99", "max"}, Groups: gap, ValueLabels: true,
		Markers: []report.Marker{{Value: float64(StallThreshold), Label: "stalled above " + StallThreshold.String()}},
	}

	// The orders: every answer of every spike, by its status.
	var orders []report.BarGroup
	most := 1.0
	for _, s := range sides {
		o := s.Orders
		orders = append(orders, report.BarGroup{Label: s.Variant, Bars: []report.Bar{
			{Value: float64(o.Created), Title: fmt.Sprintf("%s: %d created (201)", s.Variant, o.Created)},
			{Value: float64(o.DBUnavailable), Title: fmt.Sprintf("%s: %d database_unavailable (503)", s.Variant, o.DBUnavailable)},
			{Value: float64(o.Throttled), Title: fmt.Sprintf("%s: %d throttled (429)", s.Variant, o.Throttled)},
			{Value: float64(o.Other), Title: fmt.Sprintf("%s: %d other", s.Variant, o.Other)},
		}})
		most = max(most, float64(o.Requests))
	}

	// The bill at the run's rate, both ways.
	b := r.Bill
	billChart := report.BarChart{
		ID: "bill", Label: "the month's bill", X: report.Linear(fmt.Sprintf("USD a month at %d req/s", r.Rate), max(b.LambdaMonthly, b.AlwaysOnMonthly, 1), cost.Dollars),
		Series: []string{"bill per month"}, ValueLabels: true,
		Groups: []report.BarGroup{
			{Label: b.LambdaCounterpart, Bars: []report.Bar{{Value: b.LambdaMonthly}}},
			{Label: fmt.Sprintf("%d × %s", b.Instances, b.AlwaysOn), Bars: []report.Bar{{Value: b.AlwaysOnMonthly}}},
		},
	}

	var traffic [][]string
	for _, s := range sides {
		for _, x := range []struct {
			name string
			seg  Segment
		}{{"before the gap", s.Before}, {"after the gap", s.After}} {
			l := x.seg.Summary.Latency
			envs := "—"
			if s.EnvironmentsMeasured && x.name == "after the gap" {
				envs = fmt.Sprint(s.NewAfterGap)
			}
			traffic = append(traffic, []string{s.Variant, x.name, fmt.Sprint(x.seg.Summary.Requests), report.Millis(l.P50), pct(l, 0.99), report.Millis(l.Max),
				fmt.Sprint(x.seg.Stalled), fmt.Sprint(x.seg.Summary.Errors), envs})
		}
	}
	var orderRows [][]string
	for _, s := range sides {
		o := s.Orders
		orderRows = append(orderRows, []string{s.Variant, fmt.Sprint(o.Requests), fmt.Sprint(o.Created), fmt.Sprint(o.DBUnavailable), fmt.Sprint(o.Throttled), fmt.Sprint(o.Other), report.Millis(o.Max), orderEnvs(s)})
	}
	billBlocks := []template.HTML{report.Figure(billChart.SVG(), fmt.Sprintf(
		"At %d req/s (%s requests a month): Lambda at %.2f ms billed per request against %d Fargate task(s) of %.0f req/s each. Crossover against the task: %s.",
		r.Rate, count(b.RequestsPerMonth), b.BilledMS, b.Instances, b.AlwaysOnCapacity, b.CrossoverText))}
	if t := r.Container.Throughput; t != nil {
		billBlocks = append(billBlocks, report.Para(fmt.Sprintf("The container's throughput: %.0f req/s (%d closed-loop clients on POST /checkout for %s, %d requests, %d errors).",
			t.Throughput, t.Clients, t.Duration.Round(time.Millisecond), t.Requests, t.Errors)))
	}
	billBlocks = append(billBlocks, report.Para(fmt.Sprintf("Prices: %s. Sizing: %s.", b.PricesAsOf, b.Assumption)))

	p := report.Page{
		Title: "Checkout API: run " + r.RunID,
		Lead: []string{
			fmt.Sprintf("Local function (RIE, keep-alive %s, up to %d environments) and one local container, the same app with a pool of %d connections per instance to PostgreSQL (max_connections %d, %d reserved: %d seats); %d CPUs; %s.",
				r.KeepAlive, r.Burst, r.PoolSize, r.Postgres.MaxConnections, r.Postgres.Reserved, r.Postgres.Available, r.CPUs, r.Date),
			fmt.Sprintf("%d POST /checkout a second for %s, %s without a request, %s again; then %d round(s) of %d concurrent POST /orders.", r.Rate, r.Duration, r.Gap, r.Duration, r.Rounds, r.Burst),
		},
		Sections: []report.Section{
			{Heading: "Decision", Blocks: []template.HTML{report.Para(r.Decision)}},
			{Heading: "1. Steady checkout traffic with a quiet gap", Blocks: []template.HTML{
				report.Figure(gapChart.SVG(), fmt.Sprintf("Latency of the answered POST /checkout (from the intended send), before and after %s without a request (the function's keep-alive: %s), on a log axis. "+
					"A p99 is drawn only where at least %d requests were answered; failed requests are in the table, not the bars.", r.Gap, r.KeepAlive, load.MinSamples(0.99))),
				report.Table("traffic", []string{"variant", "stretch", "requests", "p50", "p99", "max", "over " + StallThreshold.String(), "errors", "new environments"}, traffic),
			}},
			{Heading: "2. The orders path against PostgreSQL", Blocks: []template.HTML{
				report.Figure(report.BarChart{
					ID: "orders", Label: "answers to the order spike", X: report.Count("orders", most), Stacked: true,
					Series: []string{"201 created", "503 database unavailable", "429 throttled", "other"},
					Colors: []string{report.ColorOK, report.ColorRefused, report.ColorThrottled, report.ColorOther},
					Groups: orders,
				}.SVG(), fmt.Sprintf("%d round(s) of %d concurrent POST /orders on each side (on the function once it had scaled to zero: every seat free, no environment live), every answer by its status: created, refused because PostgreSQL had no connection left for a new pool (503), throttled by the function's concurrency cap (429), or anything else.", r.Rounds, r.Burst)),
				report.Table("orders-table", []string{"variant", "orders", "201", "503", "429", "other", "slowest", "new environments"}, orderRows),
			}},
			{Heading: "3. The month's bill at that rate", Blocks: billBlocks},
			{Heading: "Claims", Blocks: []template.HTML{report.ClaimsList(r.Claims), report.TeardownLine(r.FlatTeardown, r.RunID)}},
		},
	}
	return p.Write(w)
}
