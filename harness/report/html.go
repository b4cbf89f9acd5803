package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/results"
)

// HTML writes report.html: one self-contained page (no scripts, no network)
// with the ladder table, the startup timelines, cold against warm, the warm
// latency's CDF and percentiles, and the published cloud figures beside
// the local ones with the chapter's words.
func HTML(w io.Writer, run *results.Run) error {
	published, err := Published()
	if err != nil {
		return err
	}
	rs := rows(run)
	header := []string{""}
	for _, r := range rs {
		header = append(header, r.Variant)
	}
	var table [][]string
	for _, lr := range ladderRows {
		tr := []string{lr.label}
		for _, r := range rs {
			tr = append(tr, lr.get(r))
		}
		table = append(table, tr)
	}
	p := Page{
		Title: "computeladder run " + run.RunID,
		Lead: []string{
			fmt.Sprintf("%s%s · target %s · %s", labelPrefix(run, func(s string) string { return s }), run.Started.Format("2006-01-02 15:04 MST"), run.Target, machine(run.Machine)),
			fmt.Sprintf("%d runs per variant; warm load %d req/s for %s after %s warm-up (excluded). Medians with (min–max, n).",
				run.Settings.Runs, run.Settings.Rate, run.Settings.Duration, run.Settings.Warmup),
		},
	}
	ladder := Section{Heading: "The ladder", Blocks: []template.HTML{Table("ladder", header, table)}}
	for _, v := range run.Variants {
		if v.Warm != nil && v.Warm.Result != nil {
			if note := behindNote(v.Warm.Result); note != "" {
				ladder.Blocks = append(ladder.Blocks, ParaClass("err", string(v.Variant)+": "+note))
			}
		}
	}
	lats := okLatencies(run)
	p.Sections = append(p.Sections, ladder,
		Section{Heading: "Startup", Blocks: []template.HTML{Figure(timelineChart(run),
			"Startup phases of each variant: the median offset of each phase from the startup origin, the call that asks the platform to run the prepared artifact, "+
				"on a time axis of the variant's own (their lengths differ tenfold; the cold-against-warm chart sets them on one scale). Each segment ends when the phase named at its end was reached. "+
				"Preparation before the origin (image build, upload) is not shown; nor is a variant whose platform only recorded its startup.")}},
		Section{Heading: "Cold against warm", Blocks: []template.HTML{Figure(coldWarmChart(run),
			"Per variant, on one logarithmic time axis: the startup to the first 200, each fresh environment's first request, the platform's Init Duration where it reports one, "+
				"and the warm p50 and p99. Bars are medians, whiskers min–max over the runs; a warm percentile its successful requests do not support is left out.")}},
		Section{Heading: "Warm latency", Blocks: []template.HTML{
			Figure(cdfChart(run, lats), "The share of successful warm requests answered within each latency (a CDF of every raw sample; logarithmic time axis), "+
				"each latency measured from the request's intended send time."),
			Figure(latencyChart(run, lats), "Warm latency by percentile (log scales). A line stops at the highest percentile its successful requests support: "+
				"p needs at least 1/(1−p) of them (p99 100, p99.9 1,000)."),
		}},
		Section{Heading: "Here, in the cloud, and in the chapter", Blocks: []template.HTML{
			Para("Each local figure beside a published figure of its cloud counterpart (with its source and date: published figures change, check them before relying on one) and the chapter's words for that row."),
			publishedTable(run, rs, published),
		}},
	)
	var notes []template.HTML
	for _, v := range run.Variants {
		if v.Error != "" {
			notes = append(notes, ParaClass("err", string(v.Variant)+": "+v.Error))
		}
		for _, nm := range v.NotMeasured {
			notes = append(notes, Para(string(v.Variant)+": not measured: "+nm))
		}
		for _, l := range v.Teardown.Leftovers {
			notes = append(notes, ParaClass("err", string(v.Variant)+": left after teardown: "+l+" (run computeladder sweep)"))
		}
	}
	for _, e := range run.Errors {
		notes = append(notes, ParaClass("err", e))
	}
	if len(notes) > 0 {
		p.Sections = append(p.Sections, Section{Heading: "Errors and gaps", Blocks: notes})
	}
	return p.Write(w)
}

// publishedTable sets each published figure beside the run's figure for
// the same row and variant, and the chapter's words for that row.
func publishedTable(run *results.Run, rs []row, published []PublishedFigure) template.HTML {
	var out [][]template.HTML
	for _, f := range published {
		i := slices.IndexFunc(rs, func(r row) bool { return r.Variant == f.Variant })
		if i < 0 {
			continue // the run did not deploy this variant
		}
		local := "—"
		for _, lr := range ladderRows {
			if lr.label == f.Row {
				local = lr.get(rs[i])
			}
		}
		src := template.HTML(fmt.Sprintf(`<a href="%s">%s</a>, %s`, esc(f.Source.URL), esc(f.Source.Title), esc(f.Source.Date)))
		h := func(s string) template.HTML { return template.HTML(esc(s)) }
		out = append(out, []template.HTML{h(f.Row + " · " + f.Variant), h(local), h(f.Figure), src, h(f.Why), h(chapterSays(f.Row, deployers.Variant(f.Variant)))})
	}
	if len(out) == 0 {
		return Para("No published figure for the variants this run deployed.")
	}
	return TableHTML("published", []string{"row", "measured here (" + run.Target + ")", "published (cloud)", "source, date", "why they differ", "the chapter says"}, out)
}

// okLatencies are, per variant (in run.Variants' order), the sorted
// latencies of its successful warm requests (none when its raw samples
// were not read): sorted once for both charts that use them, as a run may
// hold a million samples.
func okLatencies(run *results.Run) [][]time.Duration {
	out := make([][]time.Duration, len(run.Variants))
	for i, v := range run.Variants {
		if v.Warm == nil || v.Warm.Result == nil {
			continue
		}
		var lat []time.Duration
		for _, s := range v.Warm.Result.Samples {
			if s.OK() {
				lat = append(lat, s.Latency)
			}
		}
		slices.Sort(lat)
		out[i] = lat
	}
	return out
}

// CDF is the empirical CDF of sorted lat as a LineChart's Step series:
// (lat[0], 0), then about n points: the latency of the k-th request and
// the share answered within it, the last at 1. Empty lat gives none.
func CDF(lat []time.Duration, n int) []Point {
	if len(lat) == 0 {
		return nil
	}
	pts := []Point{{float64(lat[0]), 0}}
	step := max(1, len(lat)/n)
	for i := 0; i < len(lat); i += step {
		pts = append(pts, Point{float64(lat[i]), float64(i+1) / float64(len(lat))})
	}
	if last := len(lat) - 1; last%step != 0 {
		pts = append(pts, Point{float64(lat[last]), 1})
	}
	return pts
}

// cdfChart is the CDF of each variant's successful warm latencies (lats:
// okLatencies).
func cdfChart(run *results.Run, lats [][]time.Duration) template.HTML {
	var series []Series
	lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
	for vi, v := range run.Variants {
		lat := lats[vi]
		if len(lat) == 0 {
			continue
		}
		lo, hi = min(lo, lat[0]), max(hi, lat[len(lat)-1])
		series = append(series, Series{Name: fmt.Sprintf("%s (n=%d)", v.Variant, len(lat)), Color: variantColor(v.Variant), Points: CDF(lat, 400)})
	}
	if len(series) == 0 {
		return Para("No warm load was measured (or its raw samples were not read).")
	}
	y := Axis{Label: "share of requests answered within", Max: 1, Format: func(f float64) string { return fmt.Sprintf("%.0f %%", f*100) }}.nice()
	return LineChart{ID: "cdf", Label: "warm latency CDF", X: Duration("latency (log scale)", lo, hi, true), Y: y, Series: series, Step: true}.SVG()
}

// variantColor gives each variant the same colour on every chart.
func variantColor(v deployers.Variant) string {
	if i := slices.Index(deployers.Variants, v); i >= 0 {
		return color(i)
	}
	return color(len(deployers.Variants))
}

// latencyChart is a percentile spectrum: x is 1/(1-p) on a log axis
// (p0, p90, p99, p99.9 a decade apart), y log latency; lats as cdfChart's.
func latencyChart(run *results.Run, lats [][]time.Duration) template.HTML {
	ps := []float64{0, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999}
	var series []Series
	lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
	for vi, v := range run.Variants {
		lat := lats[vi]
		if len(lat) == 0 {
			continue
		}
		se := Series{Name: fmt.Sprintf("%s (n=%d)", v.Variant, len(lat)), Color: variantColor(v.Variant)}
		for _, p := range ps {
			if p > 0 && len(lat) < load.MinSamples(p) {
				break // this percentile and those above it: n does not support them
			}
			i := min(len(lat)-1, max(0, int(math.Ceil(p*float64(len(lat))))-1))
			se.Points = append(se.Points, Point{1 / (1 - p), float64(lat[i])})
			lo, hi = min(lo, lat[i]), max(hi, lat[i])
		}
		series = append(series, se)
	}
	if len(series) == 0 {
		return Para("No warm load was measured (or its raw samples were not read).")
	}
	x := Axis{Label: "percentile", Min: 1, Max: 1000, Log: true, Format: func(v float64) string { return "p" + pctLabel(1-1/v) }}
	return LineChart{ID: "latency", Label: "latency percentiles", X: x, Y: Duration("latency (log scale)", lo, hi, true), Series: series}.SVG()
}

func pctLabel(p float64) string {
	s := fmt.Sprintf("%.1f", p*100)
	return strings.TrimSuffix(s, ".0")
}

// coldWarmBars are the cold-against-warm chart's series.
var coldWarmBars = []string{"startup (→ first 200)", "cold start (first request)", "platform Init Duration", "warm p50", "warm p99"}

// coldWarmChart sets each variant's startup and cold figures against its
// warm latency on one log axis.
func coldWarmChart(run *results.Run) template.HTML {
	var groups []BarGroup
	lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
	stat := func(s results.Stats) Bar {
		if s.N == 0 || s.Median <= 0 {
			return Bar{Missing: true}
		}
		lo, hi = min(lo, max(s.Min, 1)), max(hi, s.Max)
		return Bar{Value: float64(s.Median), Lo: float64(s.Min), Hi: float64(s.Max)}
	}
	for _, v := range run.Variants {
		g := BarGroup{Label: string(v.Variant)}
		g.Bars = append(g.Bars, stat(v.Startup.Total), stat(v.ColdStart.FirstRequest))
		if v.ColdStart.InitDuration != nil {
			g.Bars = append(g.Bars, stat(*v.ColdStart.InitDuration))
		} else {
			g.Bars = append(g.Bars, Bar{Missing: true})
		}
		for _, p := range []float64{0.5, 0.99} {
			b := Bar{Missing: true}
			if v.Warm != nil && v.Warm.Result != nil {
				q := v.Warm.Result.Summary.Latency
				d := q.P50
				if p == 0.99 {
					d = q.P99
				}
				if q.Supports(p) && d > 0 {
					b = Bar{Value: float64(d)}
					lo, hi = min(lo, d), max(hi, d)
				}
			}
			g.Bars = append(g.Bars, b)
		}
		groups = append(groups, g)
	}
	if hi == 0 {
		return Para("Nothing cold or warm was measured.")
	}
	return BarChart{ID: "cold-warm", Label: "cold against warm", X: Duration("time (log scale)", lo, hi, true),
		Series: coldWarmBars, Groups: groups, ValueLabels: true}.SVG()
}

// timelineChart draws each measured variant's startup phases.
func timelineChart(run *results.Run) template.HTML {
	var rows []TimelineRow
	for _, v := range run.Variants {
		// Only measured startups: a variant whose startup was not
		// measured (an emulator that only records it) has no row.
		if v.Startup.Total.N == 0 || len(v.Startup.Phases) < 2 {
			continue
		}
		r := TimelineRow{Label: string(v.Variant),
			Note: fmt.Sprintf("— first 200 at %s (median of %d)", dur(v.Startup.Total.Median), v.Startup.Total.N)}
		prev := v.Startup.Phases[0].Stats.Median
		for _, p := range v.Startup.Phases[1:] {
			end := max(prev, p.Stats.Median)
			r.Segments = append(r.Segments, Segment{Name: p.Name, From: float64(prev), To: float64(end)})
			prev = end
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return Para("No startup was measured.")
	}
	return Timeline{ID: "timeline", Label: "startup timeline", AxisLabel: "time since the startup origin", Rows: rows}.SVG()
}
