package checkout

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/computeladder/computeladder/harness/cost"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/report"
	"github.com/computeladder/computeladder/harness/results"
)

// Markdown writes the run's report: the traffic on each side, the order
// spike, the bill and the decision.
func Markdown(w io.Writer, r *Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Checkout API: run %s\n\n", r.RunID)
	fmt.Fprintf(&b, "Local function (RIE, keep-alive %s, up to %d environments) and one local container, the same app with a pool of %d connections per instance to PostgreSQL (max_connections %d, %d reserved: %d seats); %d CPUs; %s.\n\n",
		r.KeepAlive, r.Burst, r.PoolSize, r.Postgres.MaxConnections, r.Postgres.Reserved, r.Postgres.Available, r.CPUs, r.Date)

	fmt.Fprintf(&b, "## 1. Steady checkout traffic with a quiet gap\n\n%d POST /checkout a second (open loop, latency from the intended send): %s of warm-up (excluded), %s, %s without a request, then %s again.\n\n", r.Rate, r.Warmup, r.Duration, r.Gap, r.Duration)
	b.WriteString("| variant | stretch | requests | p50 | p90 | p99 | max | over 100 ms | errors | new environments |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range []Side{r.Function, r.Container} {
		for _, x := range []struct {
			name string
			seg  Segment
		}{{"before the gap", s.Before}, {"after the gap", s.After}} {
			l := x.seg.Summary.Latency
			envs := "—"
			if s.EnvironmentsMeasured && x.name == "after the gap" {
				envs = fmt.Sprint(s.NewAfterGap)
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %s | %s | %d | %d | %s |\n", s.Variant, x.name, x.seg.Summary.Requests,
				pct(l, 0.5), pct(l, 0.9), pct(l, 0.99), report.Millis(l.Max), x.seg.Stalled, x.seg.Summary.Errors, envs)
		}
	}

	fmt.Fprintf(&b, "\n## 2. The orders path against PostgreSQL\n\n%d round(s) of %d concurrent POST /orders (a spike: each stores an order), on the function once it had scaled to zero (every seat free, no environment live).\n\n", r.Rounds, r.Burst)
	b.WriteString("| variant | orders | created (201) | database_unavailable (503) | throttled (429) | other | slowest | new environments |\n|---|---|---|---|---|---|---|---|\n")
	for _, s := range []Side{r.Function, r.Container} {
		o := s.Orders
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %s | %s |\n", s.Variant, o.Requests, o.Created, o.DBUnavailable, o.Throttled, o.Other, report.Millis(o.Max), orderEnvs(s))
	}
	if s := r.Function.Orders.OtherSample + r.Container.Orders.OtherSample; s != "" {
		fmt.Fprintf(&b, "\nAn \"other\" answer: %s\n", s)
	}

	bl := r.Bill
	b.WriteString("\n## 3. The month's bill at that rate\n\n")
	if t := r.Container.Throughput; t != nil {
		fmt.Fprintf(&b, "The container's throughput: %.0f req/s (%d closed-loop clients on POST /checkout for %s, %d requests, %d errors).\n\n",
			t.Throughput, t.Clients, t.Duration.Round(time.Millisecond), t.Requests, t.Errors)
	}
	fmt.Fprintf(&b, "| at %d req/s (%s requests a month) | bill per month |\n|---|---|\n", r.Rate, count(bl.RequestsPerMonth))
	fmt.Fprintf(&b, "| %s, %.2f ms billed per request | %s |\n", bl.LambdaCounterpart, bl.BilledMS, cost.Dollars(bl.LambdaMonthly))
	fmt.Fprintf(&b, "| %d × %s, %.0f req/s each | %s |\n\n", bl.Instances, bl.AlwaysOn, bl.AlwaysOnCapacity, cost.Dollars(bl.AlwaysOnMonthly))
	fmt.Fprintf(&b, "Crossover against the task: %s.\n\nPrices: %s. Sizing: %s.\n\n", bl.CrossoverText, bl.PricesAsOf, bl.Assumption)
	fmt.Fprintf(&b, "At other rates (the always-on bill in steps, instances in brackets):\n\n```\n%s```\n\n", bl.Table)

	fmt.Fprintf(&b, "## Decision\n\n%s\n\n", r.Decision)
	results.WriteClosing(&b, r.Claims, r.Teardown, len(r.Leftovers), r.TeardownError, r.RunID)
	_, err := io.WriteString(w, b.String())
	return err
}

// pct is the p-quantile (0.5, 0.9 or 0.99) where the sample count
// supports it (load.MinSamples), else "—" and n.
func pct(q load.Quantiles, p float64) string {
	if !q.Supports(p) {
		return fmt.Sprintf("— (n %d)", q.N)
	}
	switch p {
	case 0.5:
		return report.Millis(q.P50)
	case 0.9:
		return report.Millis(q.P90)
	}
	return report.Millis(q.P99)
}

func count(n float64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f B", n/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2f M", n/1e6)
	}
	return fmt.Sprintf("%.0f", n)
}

// orderEnvs is the environments the order spike started, "—" where they
// are not counted (the container: one instance).
func orderEnvs(s Side) string {
	if !s.EnvironmentsMeasured {
		return "—"
	}
	return fmt.Sprint(s.NewForOrders)
}
