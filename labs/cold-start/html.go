package coldstart

import (
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/computeladder/computeladder/harness/report"
)

// HTML writes the run's page, report.html: the request after the
// keep-alive against the warm one, each burst's requests as a CDF and its
// percentiles, the environments the cold burst started, the price of a
// warm pool, and the claims.
func HTML(w io.Writer, r *Result) error {
	idle := fmt.Sprintf("after %s idle", r.Idle.Waited)
	idleChart := report.BarChart{
		ID: "idle", Label: "warm request against the request after the keep-alive",
		Series: []string{"GET /whoami latency", "Init Duration of the new environment"},
		Groups: []report.BarGroup{
			{Label: "warm", Bars: []report.Bar{{Value: float64(r.Idle.Warm.Latency)}, {Missing: true}}},
			{Label: idle, Bars: []report.Bar{{Value: float64(r.Idle.AfterIdle.Latency)}, {Value: float64(r.Idle.NewInit), Missing: r.Idle.NewInit <= 0}}},
		},
		ValueLabels: true,
	}
	idleChart.X = report.Duration("latency (log scale)", min(nonZero(r.Idle.Warm.Latency), nonZero(r.Idle.NewInit)), max(r.Idle.AfterIdle.Latency, r.Idle.Warm.Latency), true)

	cold, warm := fmt.Sprintf("cold burst (on 1 warm environment, n=%d)", len(r.ColdBurst.Requests)),
		fmt.Sprintf("pre-warmed burst (%d environments, n=%d)", r.PrewarmedBurst.PrewarmedEnvs, len(r.PrewarmedBurst.Requests))
	var series []report.Series
	lo, hi := time.Duration(1<<62), time.Duration(0)
	for _, b := range []struct {
		name string
		r    BurstResult
	}{{cold, r.ColdBurst}, {warm, r.PrewarmedBurst}} {
		var lat []time.Duration
		for _, q := range b.r.Requests {
			if q.OK() {
				lat = append(lat, q.Latency)
			}
		}
		if len(lat) == 0 {
			continue
		}
		slices.Sort(lat)
		lo, hi = min(lo, lat[0]), max(hi, lat[len(lat)-1])
		series = append(series, report.Series{Name: b.name, Points: report.CDF(lat, len(lat))})
	}
	var burst template.HTML = report.Para("No burst request was answered.")
	if len(series) > 0 {
		burst = report.Figure(report.LineChart{
			ID: "bursts", Label: "burst latency CDF", Step: true, Series: series,
			X: report.Duration("latency (log scale)", lo, hi, true),
			Y: report.Linear("share of the burst answered within", 1, func(f float64) string { return fmt.Sprintf("%.0f %%", f*100) }),
		}.SVG(), "Each request of the two bursts, by latency: the cold burst's requests that each started a new environment wait through its cold start (the steps on the right); the pre-warmed burst's do not.")
	}

	var envGroups []report.BarGroup
	envLo, envHi := time.Duration(1<<62), time.Duration(0)
	for _, e := range r.ColdBurst.NewEnvironments {
		envGroups = append(envGroups, report.BarGroup{Label: envLabel(e.Name, r.RunID), Bars: []report.Bar{
			{Value: float64(e.ColdStart)}, {Value: float64(e.FirstInvoke)}, {Value: float64(e.InitDuration), Missing: e.InitDuration <= 0}}})
		envLo, envHi = min(envLo, nonZero(e.InitDuration), nonZero(e.FirstInvoke)), max(envHi, e.ColdStart, e.FirstInvoke)
	}
	envs := []template.HTML{report.Para("The cold burst started no new environment.")}
	if len(envGroups) > 0 {
		envs = []template.HTML{report.Figure(report.BarChart{
			ID: "environments", Label: "the environments the cold burst started",
			X:      report.Duration("time (log scale)", envLo, envHi, true),
			Series: []string{"cold start (container start → response)", "first invoke", "Init Duration"},
			Groups: envGroups, ValueLabels: true,
		}.SVG(), "Each environment the cold burst started: its cold start (the container's start and the first invoke), the first invoke alone (the emulator's init and the request), and the Init Duration it reported.")}
	}

	c := r.Cost
	most := max(c.ProvisionedMonthly, c.PingMonthly, 0.01)
	costChart := report.BarChart{
		ID: "cost", Label: "what keeping the environments warm costs per month",
		X:      report.Linear("USD per month", most, dollars),
		Series: []string{fmt.Sprintf("%d × %d MB, %s, per month", c.Environments, c.MemoryMB, c.Arch)},
		Groups: []report.BarGroup{
			{Label: "provisioned concurrency", Bars: []report.Bar{{Value: c.ProvisionedMonthly}}},
			{Label: "keep-warm ping", Bars: []report.Bar{{Value: c.PingMonthly}}},
			{Label: "on demand, idle", Bars: []report.Bar{{Value: 0}}},
		},
		ValueLabels: true,
	}

	p := report.Page{
		Title: "Cold start: run " + r.RunID,
		Lead:  []string{fmt.Sprintf("Local function (RIE), %d MB, keep-alive %s, burst of %d, %d pre-warmed; %s.", r.MemoryMB, r.KeepAlive, r.Burst, r.Prewarm, r.Date)},
		Sections: []report.Section{
			{Heading: "1. Idle: the environment goes cold after its keep-alive", Blocks: []template.HTML{
				report.Figure(idleChart.SVG(), fmt.Sprintf("A warm request on instance %s, then, %s, a request on instance %s (cold=%v), and the Init Duration of the environment that served it.",
					r.Idle.Warm.InstanceID, idle, r.Idle.AfterIdle.InstanceID, r.Idle.AfterIdle.Cold)),
			}},
			{Heading: "2–3. A burst, cold and pre-warmed", Blocks: append([]template.HTML{burst,
				report.Table("bursts", burstHeader, burstRows(r)),
				report.Para(fmt.Sprintf("Pre-warming %d environments took %s (%d round(s) of concurrent warm-up requests).",
					r.PrewarmedBurst.PrewarmedEnvs, r.PrewarmedBurst.Prewarm.Round(time.Millisecond), r.PrewarmedBurst.WarmupRounds)),
			}, envs...)},
			{Heading: "What keeping them warm costs (per month)", Blocks: []template.HTML{
				report.Figure(costChart.SVG(), "Provisioned concurrency's idle charge (requests and duration come on top) against a keep-warm ping, which guarantees nothing, and on demand, which costs nothing idle and pays in cold starts."),
				report.Para(fmt.Sprintf("Provisioned concurrency: infra/pricing.json (as of %s): %s Requests and duration: infra/pricing.json (as of %s).", c.ProvisionedAsOf, c.ProvisionedSource, c.PricingAsOf)),
			}},
			{Heading: "Claims", Blocks: []template.HTML{report.ClaimsList(r.Claims), report.TeardownLine(r.FlatTeardown, r.RunID)}},
		},
	}
	return p.Write(w)
}

// envLabel is an environment's name without what every one of the run
// shares (the prefix and the run id): "computeladder-rie-<run-id>-3" is
// "env …-3", its tail.
func envLabel(name, runID string) string {
	if i := strings.Index(name, runID); i >= 0 {
		name = strings.TrimLeft(name[i+len(runID):], "-")
	}
	if r := []rune(name); len(r) > 16 {
		name = "…" + string(r[len(r)-15:])
	}
	return "env " + name
}

// dollars writes a monthly price: cents, or four decimals below 10 cents
// (a keep-warm ping costs fractions of one).
func dollars(v float64) string {
	if v > 0 && v < 0.1 {
		return fmt.Sprintf("$%.4f", v)
	}
	return fmt.Sprintf("$%.2f", v)
}

// nonZero is d, or a very long duration when d is not positive, so that
// min skips it.
func nonZero(d time.Duration) time.Duration {
	if d <= 0 {
		return 1 << 62
	}
	return d
}
