// Package report renders lab results for people: a Markdown report, an
// HTML report with charts, and a terminal summary. Every reporter is a
// function of the results data that writes to an io.Writer.
package report

import (
	"fmt"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/results"
)

// rung is what the textbook says of each variant: the rows of the ladder
// table that are facts of the model rather than measurements.
type rung struct {
	Manage  string
	Scaling string
	PayFor  string
}

var rungs = map[deployers.Variant]rung{
	deployers.VM:        {Manage: "whole OS + app", Scaling: "manual", PayFor: "the VM while it is on"},
	deployers.Container: {Manage: "app + dependencies", Scaling: "orchestrated", PayFor: "hosts running containers"},
	deployers.Function:  {Manage: "function code", Scaling: "automatic, to zero", PayFor: "execution time (per request)"},
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
	rung
}

func rows(run *results.Run) []row {
	var out []row
	for _, v := range run.Variants {
		r := row{Variant: string(v.Variant), Platform: v.Description, rung: rungs[v.Variant]}
		r.Startup = stat(v.Startup.Total)
		r.Prepare = "—"
		if v.Startup.Prepare.Max > 0 {
			r.Prepare = stat(v.Startup.Prepare)
		}
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
			r.Startup = "not measured"
		}
		if v.ColdStart.FirstRequest.N == 0 {
			r.ColdStart = "not measured"
		}
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
