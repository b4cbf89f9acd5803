package report

import (
	"cmp"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/results"
)

// The class page: a class's runs, one section per variant, each of its
// figures drawn across the class with the runs far from the rest named.

// OutlierMinRuns is the fewest runs with a figure for which outliers are
// named: with three, the quartiles are single runs and the fences mean
// nothing.
const OutlierMinRuns = 4

// MinIQR is the smallest IQR the fences use, as a fraction of the
// median: runs on one kind of laptop agree within a few percent, and
// Tukey's rule alone would then name a run 5 % off, which is noise.
const MinIQR = 0.1

// OutlierRule says how the class page (and compare --help) picks
// outliers.
const OutlierRule = "A run is an outlier when its figure lies outside Tukey's fences: below Q1 − 1.5 × IQR or above Q3 + 1.5 × IQR, " +
	"where Q1 and Q3 are Tukey's hinges of the class's runs of that variant (the medians of the lower and upper halves, " +
	"each half including the middle run when the number of runs is odd) and IQR = Q3 − Q1, " +
	"but at least a tenth of the median, so that in a class whose runs agree within a few percent the run 5 % off is not called an outlier. " +
	"Outliers are named only where at least 4 runs have the figure."

// Hinges are Tukey's hinges of xs: the medians of its lower and upper
// halves, each including the median when len(xs) is odd (for an even
// count, the quartiles of results.StatsOf). With five runs, one far off,
// the plain halves would put that run in the upper quartile itself and
// hide it; Tukey's halves do not.
func Hinges(xs []time.Duration) (q1, q3 time.Duration) {
	if len(xs) == 0 {
		return 0, 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	half := (len(s) + 1) / 2
	return results.StatsOf(s[:half]).Median, results.StatsOf(s[len(s)-half:]).Median
}

// Fences are Tukey's fences of xs: Q1 − 1.5 × IQR and Q3 + 1.5 × IQR of
// its Hinges, the IQR at least a tenth of the median (MinIQR); ok is
// false for fewer than OutlierMinRuns values, when no value is called an
// outlier.
func Fences(xs []time.Duration) (lo, hi time.Duration, ok bool) {
	if len(xs) < OutlierMinRuns {
		return 0, 0, false
	}
	q1, q3 := Hinges(xs)
	iqr := max(q3-q1, time.Duration(float64(results.StatsOf(xs).Median)*MinIQR))
	return q1 - iqr*3/2, q3 + iqr*3/2, true
}

// classMetric is one figure of the class page.
type classMetric struct {
	id, name, what string
	get            func(results.Variant) (time.Duration, bool)
}

var classMetrics = []classMetric{
	{"startup", "startup", "deploy → first HTTP 200, the median of the run's deployments",
		func(v results.Variant) (time.Duration, bool) { return v.Startup.Total.Median, v.Startup.Total.N > 0 }},
	{"cold", "cold start", "a fresh environment's first request, the median of the run's cold starts",
		func(v results.Variant) (time.Duration, bool) {
			return v.ColdStart.FirstRequest.Median, v.ColdStart.FirstRequest.N > 0
		}},
	{"warm", "warm p50", "the warm load's median latency (where its samples support it)",
		func(v results.Variant) (time.Duration, bool) {
			if v.Warm == nil || v.Warm.Result == nil {
				return 0, false
			}
			q := v.Warm.Result.Summary.Latency
			return q.P50, q.Supports(0.5)
		}},
}

// classPoint is one run's figure.
type classPoint struct {
	Who, RunID, Accel string
	Value             time.Duration
	// Out is "above" or "below" the fences, or "".
	Out string
}

// ClassFigure is one figure of one variant across the class. Its Stats'
// quartiles are Hinges, so that the box drawn is the one the fences
// stand on.
type ClassFigure struct {
	ID, Name, What string
	Stats          results.Stats
	// Lo and Hi are the fences; Fenced is false with too few runs.
	Lo, Hi      time.Duration
	Fenced      bool
	Points      []classPoint
	Outliers    []classPoint
	NotMeasured []string
	Chart       template.HTML
	// LogScale says the chart's axis is logarithmic (the figures span
	// more than 20×).
	LogScale bool
}

// ClassVariant is one variant (on one target) across the class.
type ClassVariant struct {
	ID, Title string
	Figures   []*ClassFigure
	Rows      []classRow
	Accels    []string
}

type classRow struct {
	Who, RunID, CPU, Machine, Accel, Docker string
	Cells                                   []classCell
}

type classCell struct {
	Text string
	Out  bool
}

// ClassVariants groups c's runs by variant (and target, when the class
// ran on more than one), in the ladder's order, and computes each
// figure's spread and outliers.
func ClassVariants(c *results.Class) []*ClassVariant {
	who := names(c)
	targets := map[string]bool{}
	for _, l := range c.Runs {
		targets[l.Run.Target] = true
	}
	type key struct{ variant, target string }
	groups := map[key]*ClassVariant{}
	var order []key
	for _, l := range c.Runs {
		for _, v := range l.Run.Variants {
			k := key{string(v.Variant), l.Run.Target}
			g := groups[k]
			if g == nil {
				g = &ClassVariant{ID: "variant-" + k.variant, Title: k.variant}
				if len(targets) > 1 {
					g.ID += "-" + k.target
					g.Title += " · " + k.target
				}
				for _, m := range classMetrics {
					g.Figures = append(g.Figures, &ClassFigure{ID: strings.TrimPrefix(g.ID, "variant-") + "-" + m.id, Name: m.name, What: m.what})
				}
				groups[k] = g
				order = append(order, k)
			}
			row := classRow{Who: who[l.Run.RunID], RunID: l.Run.RunID, CPU: l.Run.Machine.CPUModel, Machine: machine(l.Run.Machine),
				Accel: accelName(v.Accel), Docker: l.Run.Machine.DockerVersion}
			if v.Accel != "" && !slices.Contains(g.Accels, accelName(v.Accel)) {
				g.Accels = append(g.Accels, accelName(v.Accel))
			}
			for i, m := range classMetrics {
				f := g.Figures[i]
				d, ok := m.get(v)
				if !ok {
					f.NotMeasured = append(f.NotMeasured, row.Who)
					continue
				}
				f.Points = append(f.Points, classPoint{Who: row.Who, RunID: l.Run.RunID, Accel: accelName(v.Accel), Value: d})
			}
			g.Rows = append(g.Rows, row)
		}
	}
	rank := func(v string) int {
		if i := slices.Index(deployers.Variants, deployers.Variant(v)); i >= 0 {
			return i
		}
		return len(deployers.Variants)
	}
	slices.SortStableFunc(order, func(a, b key) int {
		return cmp.Or(cmp.Compare(rank(a.variant), rank(b.variant)), cmp.Compare(a.variant, b.variant), cmp.Compare(a.target, b.target))
	})
	out := make([]*ClassVariant, 0, len(order))
	for _, k := range order {
		g := groups[k]
		slices.Sort(g.Accels)
		for _, f := range g.Figures {
			f.settle(g.Accels)
		}
		g.fillCells()
		out = append(out, g)
	}
	return out
}

// settle computes f's spread, fences and outliers, and draws it (a
// legend of accels).
func (f *ClassFigure) settle(accels []string) {
	xs := make([]time.Duration, len(f.Points))
	for i, p := range f.Points {
		xs[i] = p.Value
	}
	f.Stats = results.StatsOf(xs)
	f.Stats.Q1, f.Stats.Q3 = Hinges(xs)
	f.Lo, f.Hi, f.Fenced = Fences(xs)
	for i, p := range f.Points {
		switch {
		case !f.Fenced:
		case p.Value < f.Lo:
			f.Points[i].Out = "below"
		case p.Value > f.Hi:
			f.Points[i].Out = "above"
		}
		if f.Points[i].Out != "" {
			f.Outliers = append(f.Outliers, f.Points[i])
		}
	}
	slices.SortStableFunc(f.Outliers, func(a, b classPoint) int { return cmp.Compare(a.Value, b.Value) })
	f.Chart = stripChart(f, accels)
}

// fillCells fills each row's figures, marking outliers.
func (g *ClassVariant) fillCells() {
	for i := range g.Rows {
		r := &g.Rows[i]
		for _, f := range g.Figures {
			cell := classCell{Text: "—"}
			for _, p := range f.Points {
				if p.RunID == r.RunID {
					cell = classCell{Text: dur(p.Value), Out: p.Out != ""}
				}
			}
			r.Cells = append(r.Cells, cell)
		}
	}
}

// names is how the page names each run: its label, with its run id when
// another run has the same label (a student who ran twice), or the run id
// alone when it has none.
func names(c *results.Class) map[string]string {
	count := map[string]int{}
	for _, l := range c.Runs {
		count[l.Run.Label]++
	}
	out := map[string]string{}
	for _, l := range c.Runs {
		switch r := l.Run; {
		case r.Label == "":
			out[r.RunID] = r.RunID
		case count[r.Label] > 1:
			out[r.RunID] = r.Label + " (" + r.RunID + ")"
		default:
			out[r.RunID] = r.Label
		}
	}
	return out
}

// ClassHTML writes the class page: one self-contained HTML page (no
// script, no network) with, per variant, the distribution of startup,
// cold start and warm p50 across c's runs — each run a dot, the middle
// half a box, the outliers (OutlierRule) named — and a table of the runs;
// then the files skipped and those counted once.
func ClassHTML(w io.Writer, c *results.Class) error {
	var first, last time.Time
	labels := 0
	for _, l := range c.Runs {
		t := l.Run.Started
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
		if l.Run.Label != "" {
			labels++
		}
	}
	data := struct {
		Class       *results.Class
		Files       int
		Labels      int
		First, Last string
		Rule        string
		Variants    []*ClassVariant
		Metrics     []struct{ Name, What string }
	}{c, len(c.Runs) + len(c.Skipped) + len(c.Duplicates), labels, day(first), day(last), OutlierRule, ClassVariants(c), nil}
	for _, m := range classMetrics {
		data.Metrics = append(data.Metrics, struct{ Name, What string }{m.name, m.what})
	}
	return classPage.Execute(w, data)
}

func day(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02")
}

var classPage = template.Must(template.New("class").Funcs(template.FuncMap{
	"dur":  dur,
	"join": func(xs []string) string { return strings.Join(xs, ", ") },
	"fence": func(f *ClassFigure) string {
		return fmt.Sprintf("fences %s – %s", signedDur(f.Lo), dur(f.Hi))
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>computeladder class view</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .55rem;text-align:left}
th{background:#f4f4f4}td.out{color:#b00;font-weight:700}
.rule{background:#f7f7f2;border-left:4px solid #bb8;padding:.5rem .8rem}
.err{color:#b00}figure{margin:1rem 0}figcaption{font-size:.9rem;color:#444;max-width:760px}
svg.chart{display:block;max-width:100%;height:auto}
svg text{font-size:12px;font-family:system-ui,sans-serif}
</style></head><body>
<h1>computeladder class view</h1>
<p id="summary">{{len .Class.Runs}} runs from {{.Files}} files (skipped: {{len .Class.Skipped}}; duplicates counted once: {{len .Class.Duplicates}}){{if .Class.Runs}}, started {{.First}}{{if ne .First .Last}} to {{.Last}}{{end}}; {{.Labels}} of them labelled{{end}}.
Each dot is one run: {{range $i, $m := .Metrics}}{{if $i}}; {{end}}<b>{{$m.Name}}</b> is {{$m.What}}{{end}}.</p>
<p class="rule" id="rule">{{.Rule}}</p>
{{if .Variants}}<p>{{range .Variants}}<a href="#{{.ID}}">{{.Title}}</a> {{end}}{{if .Class.Skipped}}· <a href="#skipped">skipped files</a>{{end}}</p>{{else}}<p class="err">No run to show.</p>{{end}}
{{range .Variants}}<section id="{{.ID}}">
<h2>{{.Title}}</h2>
<p>{{if .Accels}}Dot colour: the microVM's accelerator (the charts' legend). {{end}}A red ring marks an outlier, named under the axis.</p>
{{range .Figures}}<figure>{{.Chart}}<figcaption><b>{{.Name}}</b>{{if .LogScale}} (log scale){{end}}: {{if .Points}}{{len .Points}} runs, median {{dur .Stats.Median}}, middle half {{dur .Stats.Q1}} – {{dur .Stats.Q3}}, range {{dur .Stats.Min}} – {{dur .Stats.Max}}{{if .Fenced}} ({{fence .}}).
{{if .Outliers}}<span class="err">Outliers: {{range $i, $o := .Outliers}}{{if $i}}, {{end}}<b>{{$o.Who}}</b> {{dur $o.Value}} ({{$o.Out}}){{end}}.</span>{{else}}No outliers.{{end}}{{else}}. Fewer than 4 runs: no outliers named.{{end}}{{else}}not measured in any run.{{end}}
{{if .NotMeasured}}Not measured: {{join .NotMeasured}}.{{end}}</figcaption></figure>
{{end}}<table class="runs" id="runs-{{.ID}}"><thead><tr><th>who</th><th>run</th><th>CPU model</th><th>machine</th><th>accel</th><th>Docker</th>{{range .Figures}}<th>{{.Name}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr><td>{{.Who}}</td><td>{{.RunID}}</td><td>{{or .CPU "—"}}</td><td>{{.Machine}}</td><td>{{or .Accel "—"}}</td><td>{{or .Docker "—"}}</td>{{range .Cells}}<td{{if .Out}} class="out"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody></table>
</section>
{{end}}{{if .Class.Skipped}}<section id="skipped"><h2>Files skipped</h2><p>These could not be read; every other file was compared.</p><ul>
{{range .Class.Skipped}}<li><code>{{.Path}}</code>: {{.Err}}</li>
{{end}}</ul></section>
{{end}}{{if .Class.Duplicates}}<section id="duplicates"><h2>Duplicates, counted once</h2><ul>
{{range .Class.Duplicates}}<li><code>{{.Path}}</code> holds run {{.RunID}}, already read from <code>{{.First}}</code>{{if .OtherLabel}} <span class="err">under another label</span>{{end}}.</li>
{{end}}</ul></section>
{{end}}</body></html>
`))

// signedDur is dur for a fence, which may fall below zero.
func signedDur(d time.Duration) string {
	if d < 0 {
		return "−" + dur(-d)
	}
	return dur(d)
}
