package coldstart

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/computeladder/computeladder/harness/report"
	"github.com/computeladder/computeladder/harness/results"
)

// Markdown writes the run's short summary: the three steps, the claims
// and the price of a warm pool.
func Markdown(w io.Writer, r *Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Cold start: run %s\n\n", r.RunID)
	fmt.Fprintf(&b, "Local function (RIE), %d MB, keep-alive %s, burst of %d, %d pre-warmed; %s.\n\n",
		r.MemoryMB, r.KeepAlive, r.Burst, r.Prewarm, r.Date)

	b.WriteString("## 1. Idle: the environment goes cold after its keep-alive\n\n")
	b.WriteString("| request | latency | instance | cold | requests_served |\n|---|---|---|---|---|\n")
	for _, x := range []struct {
		name string
		r    Request
	}{{"warm", r.Idle.Warm}, {fmt.Sprintf("after %s idle", r.Idle.Waited), r.Idle.AfterIdle}} {
		fmt.Fprintf(&b, "| %s | %s | `%s` | %v | %d |\n", x.name, report.Millis(x.r.Latency), x.r.InstanceID, x.r.Cold, x.r.RequestsServed)
	}
	fmt.Fprintf(&b, "\nNew environment's Init Duration: %s. Retired: %s.\n\n", report.Millis(r.Idle.NewInit), strings.Join(r.Idle.RetireReasons, ", "))

	b.WriteString("## 2–3. A burst, cold and pre-warmed\n\n")
	fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(burstHeader, " | "), strings.Repeat("---|", len(burstHeader)))
	for _, row := range burstRows(r) {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(row, " | "))
	}
	if len(r.ColdBurst.NewEnvironments) > 0 {
		b.WriteString("\nEnvironments the cold burst started:\n\n| environment | cold start (container start → response) | first invoke | Init Duration |\n|---|---|---|---|\n")
		for _, e := range r.ColdBurst.NewEnvironments {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", e.Name, report.Millis(e.ColdStart), report.Millis(e.FirstInvoke), report.Millis(e.InitDuration))
		}
	}
	fmt.Fprintf(&b, "\nPre-warming %d environments took %s (%d round(s) of concurrent warm-up requests).\n\n",
		r.PrewarmedBurst.PrewarmedEnvs, r.PrewarmedBurst.Prewarm.Round(time.Millisecond), r.PrewarmedBurst.WarmupRounds)

	c := r.Cost
	b.WriteString("## What keeping them warm costs (per month)\n\n")
	fmt.Fprintf(&b, "| way | %d × %d MB, %s | guarantee |\n|---|---|---|\n", c.Environments, c.MemoryMB, c.Arch)
	fmt.Fprintf(&b, "| provisioned concurrency (idle charge; requests and duration extra) | $%.2f | %d environments initialised and kept |\n", c.ProvisionedMonthly, c.Environments)
	fmt.Fprintf(&b, "| keep-warm ping, %d requests every %s | $%.4f | none: pings may share an environment; Lambda recycles environments anyway |\n",
		c.Environments, c.PingInterval, c.PingMonthly)
	fmt.Fprintf(&b, "| on demand, idle | $0.00 | cold starts as measured above |\n\n")
	fmt.Fprintf(&b, "Provisioned concurrency: infra/pricing.json (as of %s): %s\n\nRequests and duration: infra/pricing.json (as of %s).\n\n", c.ProvisionedAsOf, c.ProvisionedSource, c.PricingAsOf)

	results.WriteClosing(&b, r.Claims, r.Teardown, len(r.Leftovers), r.TeardownError, r.RunID)
	_, err := io.WriteString(w, b.String())
	return err
}

// burstHeader and burstRows are the two bursts' table, which the summary
// and report.html both show. A percentile the burst's n does not support
// is "—" (p99 needs 100 requests): the slowest request, with n, says what
// it would only have renamed.
var burstHeader = []string{"burst", "n", "p50", "p99", "slowest", "cold starts", "new environments", "errors"}

func burstRows(r *Result) [][]string {
	var rows [][]string
	for _, x := range []struct {
		name string
		r    BurstResult
	}{{"on 1 warm environment", r.ColdBurst}, {fmt.Sprintf("on %d pre-warmed", r.PrewarmedBurst.PrewarmedEnvs), r.PrewarmedBurst}} {
		q := x.r.Latency
		rows = append(rows, []string{x.name, fmt.Sprint(q.N), quantile(q, 0.50, q.P50), quantile(q, 0.99, q.P99), quantile(q, 0, q.Max),
			fmt.Sprint(x.r.ColdStarts), fmt.Sprint(len(x.r.NewEnvironments)), fmt.Sprint(x.r.Errors)})
	}
	return rows
}
