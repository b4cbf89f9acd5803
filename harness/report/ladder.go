// Package report renders lab results for people: a Markdown report, an
// HTML report with charts, and a terminal summary. Every reporter is a
// function of the results data that writes to an io.Writer.
//
// Every HTML page — the ladder's report.html and each lab's — is a Page
// (page.go): self-contained, no script, nothing fetched, its charts inline
// SVG drawn with the chart kit (chart.go: Axis with Duration, Count and
// Linear scales, linear or log; LineChart, with Step for a CDF; BarChart,
// grouped or stacked, with whiskers and Markers; Timeline), and its
// tables with Table. A lab gets its report.html by setting HTML on its
// kit.Scenario to a function that builds a Page from its result:
//
//	kit.Scenario[Result]{..., Markdown: Markdown, HTML: HTML}
//
//	func HTML(w io.Writer, r *Result) error {
//		return report.Page{Title: "My lab: run " + r.RunID, Sections: []report.Section{{
//			Heading: "Latency",
//			Blocks: []template.HTML{report.Figure(report.BarChart{
//				ID: "latency", Label: "p50 and p99", X: report.Duration("latency", lo, hi, true),
//				Series: []string{"p50", "p99"}, Groups: groups}.SVG(), "What the chart shows."),
//				report.ClaimsList(r.Claims)},
//		}}}.Write(w)
//	}
//
// The kit writes it beside <name>.json and <name>.md (kit.WriteResult),
// and `computeladder report <name>.json` renders it again. Its test lays
// the page out in headless Chromium and measures each chart with package
// reporttest.
//
// The published cloud figures the ladder page sets beside the local ones
// are in published.json, each with its source and date.
package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/results"
)

// rung is what the textbook says of each variant: the rows of the ladder
// table that are facts of the model rather than measurements, and (Startup)
// the chapter's words for the startup row, which the run measures.
type rung struct {
	Manage  string
	Startup string
	Scaling string
	PayFor  string
}

var rungs = map[deployers.Variant]rung{
	deployers.VM:        {Manage: "whole OS + app", Startup: "minutes (cloud)", Scaling: "manual", PayFor: "the VM while it is on"},
	deployers.Container: {Manage: "app + dependencies", Startup: "seconds", Scaling: "orchestrated", PayFor: "hosts running containers"},
	deployers.Lambda:    {Manage: "function code", Startup: "ms after warm-up; cold start on first call", Scaling: "automatic, to zero", PayFor: "execution time (per request)"},
}

// chapterSays is the chapter's words for a row of the ladder table and a
// variant: its startup row stands for the startup, cold-start and warm
// rows the run measures.
func chapterSays(rowLabel string, v deployers.Variant) string {
	r := rungs[v]
	switch {
	case strings.HasPrefix(rowLabel, "scaling"), rowLabel == "running when idle":
		return r.Scaling
	case rowLabel == "you pay for":
		return r.PayFor
	case rowLabel == "you manage":
		return r.Manage
	}
	return r.Startup
}

// row is one variant's column of the ladder table, as strings.
type row struct {
	Variant      string
	Platform     string
	Startup      string
	Prepare      string
	ColdStart    string
	InitDuration string
	WarmP50      string
	WarmP99      string
	WarmRequests string
	Artifact     string
	Behaviour    string
	Teardown     string
	// ScalingMeasured and IdleRunning are the scaling row's figures,
	// CostMeasured the "you pay for" row's, beside the rung's words.
	ScalingMeasured string
	IdleRunning     string
	CostMeasured    string
	rung
}

func rows(run *results.Run) []row {
	var out []row
	for _, v := range run.Variants {
		r := row{Variant: string(v.Variant), Platform: v.Description, rung: rungs[v.Variant]}
		r.Startup = stat(v.Startup.Total)
		r.Prepare = preparation(v.Startup)
		r.ColdStart = stat(v.ColdStart.FirstRequest)
		r.InitDuration = "—"
		if v.ColdStart.InitDuration != nil {
			r.InitDuration = stat(*v.ColdStart.InitDuration)
		}
		r.WarmP50, r.WarmP99, r.WarmRequests = "—", "—", "—"
		if v.Warm != nil && v.Warm.Result != nil {
			q := v.Warm.Result.Summary.Latency
			r.WarmP50 = quantile(q, 0.50, q.P50)
			r.WarmP99 = quantile(q, 0.99, q.P99)
			r.WarmRequests = warmRequests(v.Warm.Result)
		}
		r.Artifact = "—"
		if v.ArtifactBytes > 0 {
			r.Artifact = fmt.Sprintf("%.1f MB", float64(v.ArtifactBytes)/1e6)
		}
		r.Behaviour = "not run"
		if n := v.Behaviour.Passed + v.Behaviour.Failed; n > 0 {
			r.Behaviour = fmt.Sprintf("%d/%d passed", v.Behaviour.Passed, n)
		}
		r.Teardown = dur(v.Teardown.Duration)
		if len(v.Teardown.Leftovers) > 0 {
			r.Teardown += fmt.Sprintf(", %d LEFT", len(v.Teardown.Leftovers))
		}
		if v.Startup.Total.N == 0 {
			r.Startup, r.Prepare = "not measured", "not measured"
		}
		if v.ColdStart.FirstRequest.N == 0 {
			r.ColdStart = "not measured"
		}
		r.ScalingMeasured, r.IdleRunning = scaling(v.Scaling)
		r.CostMeasured = costCell(v.Cost)
		out = append(out, r)
	}
	return out
}

// stat renders a median with its spread: "412 ms (380–455, n=5)".
func stat(s results.Stats) string {
	if s.N == 0 {
		return "—"
	}
	if s.N == 1 {
		return dur(s.Median) + " (n=1)"
	}
	return fmt.Sprintf("%s (%s–%s, n=%d)", dur(s.Median), dur(s.Min), dur(s.Max), s.N)
}

// Millis renders d in milliseconds with two decimals: "12.34 ms".
func Millis(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// dur renders a duration with three significant figures in a unit a
// person reads at a glance.
func dur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/1e3)
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	case d < 10*time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	default:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
}

// preparation names each kind of preparation with its spread, e.g.
// "image build 5.58 s (n=1); image reused (built once per run) 12.0 ms
// (11.2 ms–12.9 ms, n=2)".
func preparation(st results.Startup) string {
	if len(st.Preparations) == 0 {
		if st.Prepare.Max > 0 {
			return stat(st.Prepare)
		}
		return "—"
	}
	var parts []string
	for _, p := range st.Preparations {
		if p.What == "" { // a backend that does not name it
			parts = append(parts, stat(p.Stats))
			continue
		}
		parts = append(parts, p.What+" "+stat(p.Stats))
	}
	return strings.Join(parts, "; ")
}

// scaling renders the burst ("10 clients → 10 instances (9 started), 812
// req/s, p50 9.10 ms, p99 410 ms, first response 2.10 ms, all served
// 1.20 s") and what ran after the keep-alive ("0 running 2.40 s after
// the last request (keep-alive 2.00 s)").
func scaling(sc *results.Scaling) (burst, idle string) {
	burst, idle = "not measured", "not measured"
	if sc == nil {
		return burst, idle
	}
	if b := sc.Burst; b != nil {
		inst := b.InstancesHow
		if b.InstancesMeasured {
			inst = fmt.Sprintf("%d instance", b.Instances)
			if b.Instances != 1 {
				inst += "s"
			}
			if b.Started > 0 {
				inst += fmt.Sprintf(" (%d started)", b.Started)
			}
		}
		p99 := "—"
		n := b.Requests - b.Errors
		if n >= load.MinSamples(0.99) { // the one rule for every percentile shown
			p99 = dur(b.Latency.P99)
		}
		all := "not every client was answered"
		if b.AllServed > 0 {
			all = "all served " + dur(b.AllServed)
		}
		burst = fmt.Sprintf("%d clients → %s, %.0f req/s, p50 %s, p99 %s (n=%d), %d errors, first response %s, %s",
			b.Clients, inst, b.Throughput, dur(b.Latency.P50), p99, n, b.Errors, dur(b.FirstResponse), all)
	}
	if z := sc.ScaleToZero; z != nil {
		switch {
		case z.NotMeasured != "":
			idle = "not measured: " + z.NotMeasured
		case z.KeepAlive == 0:
			idle = fmt.Sprintf("%d running (until stopped)", z.Running)
		case z.Running == 0:
			idle = fmt.Sprintf("0 running %s after the last request (keep-alive %s)", dur(z.ZeroAfter), dur(z.KeepAlive))
		default:
			idle = fmt.Sprintf("%d still running %s after the last request (keep-alive %s)", z.Running, dur(z.Waited), dur(z.KeepAlive))
		}
	}
	return burst, idle
}

// costCell renders the cloud counterpart's bill: "Lambda 128 MB x86_64:
// $0.204 per 1 M requests, $26.80 a month at 50 req/s (prices 2026-11-25)".
func costCell(c *results.Cost) string {
	switch {
	case c == nil:
		return "not computed"
	case c.NotComputed != "":
		return "not computed: " + c.NotComputed
	}
	return fmt.Sprintf("%s: %s per 1 M requests, %s a month at %g req/s (prices %s)",
		c.Counterpart, usd(c.PerMillion), usd(c.Monthly), c.Rate, c.PricesAsOf)
}

// usd renders dollars with three significant figures, cents at least.
func usd(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("$%.0f", x)
	case x >= 0.1:
		return fmt.Sprintf("$%.2f", x)
	default:
		return fmt.Sprintf("$%.3g", x)
	}
}
