package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/computeladder/computeladder/harness/results"
)

// ladderRowDef is a row of the ladder table: its label and how to read it
// off a variant's column.
type ladderRowDef struct {
	label string
	get   func(row) string
}

// ladderRows are the ladder table's rows.
var ladderRows = []ladderRowDef{
	{"platform", func(r row) string { return r.Platform }},
	{"you manage", func(r row) string { return r.Manage }},
	{"startup (→ first 200)", func(r row) string { return r.Startup }},
	{"preparation (before startup)", func(r row) string { return r.Prepare }},
	{"cold start (first request)", func(r row) string { return r.ColdStart }},
	{"platform Init Duration", func(r row) string { return r.InitDuration }},
	{"warm p50", func(r row) string { return r.WarmP50 }},
	{"warm p99", func(r row) string { return r.WarmP99 }},
	{"warm requests", func(r row) string { return r.WarmRequests }},
	{"scaling", func(r row) string { return r.Scaling + ": " + r.ScalingMeasured }},
	{"running when idle", func(r row) string { return r.IdleRunning }},
	{"you pay for", func(r row) string { return r.PayFor + ": " + r.CostMeasured }},
	{"artifact", func(r row) string { return r.Artifact }},
	{"behaviour table", func(r row) string { return r.Behaviour }},
	{"teardown", func(r row) string { return r.Teardown }},
}

// Markdown writes report.md: the ladder table with the variants side by
// side, then each variant's startup phases and warm latency percentiles.
func Markdown(w io.Writer, run *results.Run) error {
	ew := &ErrWriter{W: w}
	rs := rows(run)
	ew.Printf("# computeladder run %s\n\n", run.RunID)
	ew.Printf("%s%s · target **%s** · %s\n\n", labelPrefix(run, mdEscape), run.Started.Format("2006-01-02 15:04 MST"), run.Target, machine(run.Machine))
	ew.Printf("Settings: %d runs per variant; warm load %d req/s for %s after %s warm-up (excluded). "+
		"Figures are medians with (min–max, n) over the runs. A latency percentile p is shown where at least 1/(1−p) "+
		"successful requests support it (p99 100, p99.9 1,000), else \"—\" with their number n.\n\n",
		run.Settings.Runs, run.Settings.Rate, run.Settings.Duration, run.Settings.Warmup)

	ew.Printf("## The ladder\n\n|  |")
	for _, r := range rs {
		ew.Printf(" %s |", r.Variant)
	}
	ew.Printf("\n|---|%s\n", strings.Repeat("---|", len(rs)))
	for _, lr := range ladderRows {
		ew.Printf("| %s |", lr.label)
		for _, r := range rs {
			ew.Printf(" %s |", mdEscape(lr.get(r)))
		}
		ew.Printf("\n")
	}

	for _, v := range run.Variants {
		ew.Printf("\n## %s — %s\n\n", v.Variant, v.Description)
		if v.Error != "" {
			ew.Printf("**Error:** %s\n\n", mdEscape(v.Error))
		}
		for _, nm := range v.NotMeasured {
			ew.Printf("- not measured: %s\n", mdEscape(nm))
		}
		if len(v.Startup.Phases) > 0 && v.Startup.Total.N > 0 {
			ew.Printf("Startup phases (offset from %s; preparation before it: %s):\n\n| phase | median | min | max |\n|---|---|---|---|\n", startupFrom(v), preparation(v.Startup))
			for _, p := range v.Startup.Phases {
				ew.Printf("| %s | %s | %s | %s |\n", p.Name, dur(p.Stats.Median), dur(p.Stats.Min), dur(p.Stats.Max))
			}
			ew.Printf("\n")
		}
		if len(v.ColdStart.Samples) > 0 {
			ew.Printf("Cold starts (%s): first request %s", v.ColdStart.Method, stat(v.ColdStart.FirstRequest))
			if v.ColdStart.InitDuration != nil {
				ew.Printf("; platform Init Duration %s", stat(*v.ColdStart.InitDuration))
			}
			ew.Printf(".\n\n")
		}
		if v.Warm != nil && v.Warm.Result != nil {
			res := v.Warm.Result
			s := res.Summary
			q := s.Latency
			ew.Printf("Warm latency, %s at %d req/s for %s: %d scheduled, %d sent, %d answered, %d errors; achieved %s.\n\n",
				v.Warm.Endpoint, res.Rate, res.Duration, s.Scheduled, s.Requests, s.Answered, s.Errors, perSecond(s.AchievedRate))
			if note := behindNote(res); note != "" {
				ew.Printf("**%s**\n\n", note)
			}
			ew.Printf("| p50 | p90 | p99 | p99.9 | max | n |\n|---|---|---|---|---|---|\n| %s | %s | %s | %s | %s | %d |\n\n",
				quantile(q, 0.50, q.P50), quantile(q, 0.90, q.P90), quantile(q, 0.99, q.P99), quantile(q, 0.999, q.P999), dur(q.Max), q.N)
		}
		if sc := v.Scaling; sc != nil && sc.Burst != nil {
			b := sc.Burst
			burst, idle := scaling(sc)
			ew.Printf("Scaling: a burst of %d closed-loop clients (%s, %s, from idle): %s. Instances: %s. ", b.Clients, b.Endpoint, dur(b.Duration), mdEscape(burst), mdEscape(b.InstancesHow))
			if z := sc.ScaleToZero; z != nil {
				ew.Printf("After the burst: %s (%s).", mdEscape(idle), mdEscape(z.How))
			}
			ew.Printf("\n\n")
		}
		if c := v.Cost; c != nil {
			ew.Printf("You pay for: %s", mdEscape(costCell(c)))
			if c.Basis != "" {
				ew.Printf(" — %s", mdEscape(c.Basis))
			}
			ew.Printf(".\n\n")
		}
		for _, f := range v.Behaviour.Failures {
			ew.Printf("- behaviour failure: %s\n", mdEscape(f))
		}
		for _, l := range v.Teardown.Leftovers {
			ew.Printf("- LEFT AFTER TEARDOWN: %s (run `computeladder sweep`)\n", mdEscape(l))
		}
	}
	if len(run.Errors) > 0 {
		ew.Printf("\n## Errors\n\n")
		for _, e := range run.Errors {
			ew.Printf("- %s\n", mdEscape(e))
		}
	}
	return ew.Err
}

func machine(m results.Machine) string {
	s := fmt.Sprintf("%s/%s, %d CPUs", m.OS, m.Arch, m.CPUs)
	if m.MemoryMiB > 0 {
		s += fmt.Sprintf(", %.0f GiB", float64(m.MemoryMiB)/1024)
	}
	if m.Kernel != "" {
		s += ", kernel " + m.Kernel
	}
	return s
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// ErrWriter writes to W and keeps the first write error (then writes no
// more), so that rendering code prints straight through and returns Err.
type ErrWriter struct {
	W   io.Writer
	Err error
}

// Printf writes as fmt.Fprintf does, unless a write has failed.
func (e *ErrWriter) Printf(format string, a ...any) {
	if e.Err == nil {
		_, e.Err = fmt.Fprintf(e.W, format, a...)
	}
}

// startupFrom names the phase a variant's startup is measured from.
func startupFrom(v results.Variant) string {
	if len(v.Startup.Samples) > 0 && v.Startup.Samples[0].From != "" {
		return "\"" + v.Startup.Samples[0].From + "\""
	}
	return "the deploy request"
}

// labelPrefix is "label NAME · " for a run that carries a label (run
// --label), escaped for the page it goes on; empty otherwise.
func labelPrefix(run *results.Run, escape func(string) string) string {
	if run.Label == "" {
		return ""
	}
	return "label " + escape(run.Label) + " · "
}
