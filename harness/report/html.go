package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"time"

	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/results"
)

// HTML writes report.html: one self-contained page (no scripts, no network)
// with the ladder table, a latency-percentile chart and the startup timelines.
func HTML(w io.Writer, run *results.Run) error {
	rs := rows(run)
	type tableRow struct {
		Label string
		Cells []string
	}
	var table []tableRow
	for _, lr := range ladderRows {
		tr := tableRow{Label: lr.label}
		for _, r := range rs {
			tr.Cells = append(tr.Cells, lr.get(r))
		}
		table = append(table, tr)
	}
	var behind []string
	for _, v := range run.Variants {
		if v.Warm != nil && v.Warm.Result != nil {
			if note := behindNote(v.Warm.Result); note != "" {
				behind = append(behind, string(v.Variant)+": "+note)
			}
		}
	}
	data := struct {
		Run       *results.Run
		Machine   string
		Variants  []row
		Table     []tableRow
		Latency   template.HTML
		Timelines template.HTML
		Behind    []string
	}{run, machine(run.Machine), rs, table, latencyChart(run), timelineChart(run), behind}
	return page.Execute(w, data)
}

var page = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>computeladder run {{.Run.RunID}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.35rem .6rem;text-align:left}
th{background:#f4f4f4}td.label{font-weight:600}
.err{color:#b00}figure{margin:1.5rem 0}figcaption{font-size:.9rem;color:#555}
svg text{font-size:12px;font-family:system-ui,sans-serif}
</style></head><body>
<h1>computeladder run {{.Run.RunID}}</h1>
<p>{{.Run.Started.Format "2006-01-02 15:04 MST"}} · target <b>{{.Run.Target}}</b> · {{.Machine}}<br>
{{.Run.Settings.Runs}} runs per variant; warm load {{.Run.Settings.Rate}} req/s for {{.Run.Settings.Duration}}
after {{.Run.Settings.Warmup}} warm-up (excluded). Medians with (min–max, n).</p>
<h2>The ladder</h2>
<table id="ladder"><thead><tr><th></th>{{range .Variants}}<th>{{.Variant}}</th>{{end}}</tr></thead><tbody>
{{range .Table}}<tr><td class="label">{{.Label}}</td>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody></table>
<figure>{{.Latency}}<figcaption>Warm latency by percentile (log scales), measured from each request's intended send time.
A line stops at the highest percentile its successful requests support: p needs at least 1/(1−p) of them (p99 100, p99.9 1,000).</figcaption></figure>
<figure>{{.Timelines}}<figcaption>Startup phases: median offset of each phase from the startup origin, the call that asks the platform to run the prepared artifact (preparation before it — image build, upload, probe — is not shown; nor is a variant whose platform only recorded it).</figcaption></figure>
{{range .Behind}}<p class="err">{{.}}</p>
{{end}}{{range .Run.Variants}}{{if .Error}}<p class="err">{{.Variant}}: {{.Error}}</p>{{end}}
{{range .NotMeasured}}<p>not measured: {{.}}</p>{{end}}
{{range .Teardown.Leftovers}}<p class="err">left after teardown: {{.}} (run computeladder sweep)</p>{{end}}{{end}}
</body></html>
`))

var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"}

// latencyChart is a percentile spectrum: x is log10(1/(1-p)), y log latency.
func latencyChart(run *results.Run) template.HTML {
	const W, H, L, R, T, B = 760.0, 320.0, 70.0, 140.0, 20.0, 40.0
	ps := []float64{0, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999}
	type series struct {
		name string
		pts  []time.Duration
	}
	var all []series
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range run.Variants {
		if v.Warm == nil || v.Warm.Result == nil {
			continue
		}
		var lat []time.Duration
		for _, s := range v.Warm.Result.Samples {
			if s.OK() {
				lat = append(lat, s.Latency)
			}
		}
		if len(lat) == 0 {
			continue
		}
		slices.Sort(lat)
		se := series{name: fmt.Sprintf("%s (n=%d)", v.Variant, len(lat))}
		for _, p := range ps {
			if p > 0 && len(lat) < load.MinSamples(p) {
				break // this percentile and those above it: n does not support them
			}
			i := min(len(lat)-1, max(0, int(math.Ceil(p*float64(len(lat))))-1))
			se.pts = append(se.pts, lat[i])
		}
		for _, d := range se.pts {
			lo, hi = math.Min(lo, float64(d)), math.Max(hi, float64(d))
		}
		all = append(all, se)
	}
	if len(all) == 0 {
		return `<p>No warm load was measured.</p>`
	}
	ylo, yhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if yhi == ylo {
		yhi++
	}
	xmax := math.Log10(1 / (1 - ps[len(ps)-1]))
	x := func(p float64) float64 { return L + (W-L-R)*math.Log10(1/(1-p))/xmax }
	y := func(d time.Duration) float64 {
		return T + (H-T-B)*(1-(math.Log10(float64(d))-ylo)/(yhi-ylo))
	}
	s := fmt.Sprintf(`<svg id="latency" xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" role="img" aria-label="latency percentiles">`, W, H)
	for e := ylo; e <= yhi; e++ {
		d := time.Duration(math.Pow(10, e))
		yy := y(d)
		s += fmt.Sprintf(`<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.0f" y="%.1f" text-anchor="end">%s</text>`, L, W-R, yy, yy, L-6, yy+4, dur(d))
	}
	for _, p := range ps {
		xx := x(p)
		s += fmt.Sprintf(`<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f" stroke="#eee"/><text x="%.1f" y="%.0f" text-anchor="middle">p%s</text>`, xx, xx, T, H-B, xx, H-B+16, pctLabel(p))
	}
	for i, se := range all {
		c := palette[i%len(palette)]
		pts := ""
		for j, d := range se.pts {
			pts += fmt.Sprintf("%.1f,%.1f ", x(ps[j]), y(d))
		}
		s += fmt.Sprintf(`<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, c, pts)
		s += fmt.Sprintf(`<text x="%.0f" y="%.0f" fill="%s">%s</text>`, W-R+10, T+16*float64(i+1), c, template.HTMLEscapeString(se.name))
	}
	return template.HTML(s + `</svg>`)
}

func pctLabel(p float64) string {
	switch p {
	case 0:
		return "0"
	case 0.999:
		return "99.9"
	}
	return fmt.Sprintf("%.0f", p*100)
}

// timelineChart draws one bar per variant, split at each phase's median offset.
func timelineChart(run *results.Run) template.HTML {
	const W, L, R, rowH = 760.0, 90.0, 20.0, 46.0
	var longest time.Duration
	// Only measured startups: a variant whose startup was not measured
	// (an emulator that only records it) has no row at all.
	var measured []results.Variant
	for _, v := range run.Variants {
		if v.Startup.Total.N == 0 {
			continue
		}
		measured = append(measured, v)
		for _, p := range v.Startup.Phases {
			longest = max(longest, p.Stats.Median)
		}
	}
	if longest == 0 {
		return `<p>No startup was measured.</p>`
	}
	H := 20 + rowH*float64(len(measured))
	scale := (W - L - R) / float64(longest)
	s := fmt.Sprintf(`<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" role="img" aria-label="startup timeline">`, W, H)
	for i, v := range measured {
		top := 10 + rowH*float64(i)
		s += fmt.Sprintf(`<text x="0" y="%.0f">%s</text>`, top+16, template.HTMLEscapeString(string(v.Variant)))
		prev := time.Duration(0)
		for j, p := range v.Startup.Phases {
			if j == 0 {
				continue
			}
			w := math.Max(1, float64(p.Stats.Median-prev)*scale)
			s += fmt.Sprintf(`<rect x="%.1f" y="%.0f" width="%.1f" height="20" fill="%s"><title>%s at %s</title></rect>`,
				L+float64(prev)*scale, top, w, palette[(j-1)%len(palette)], template.HTMLEscapeString(p.Name), dur(p.Stats.Median))
			prev = max(prev, p.Stats.Median)
		}
		s += fmt.Sprintf(`<text x="%.0f" y="%.0f" fill="#555">%s</text>`, L, top+36, template.HTMLEscapeString(phaseList(v.Startup.Phases)))
	}
	return template.HTML(s + `</svg>`)
}

func phaseList(ps []results.PhaseStats) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += " → "
		}
		s += fmt.Sprintf("%s %s", p.Name, dur(p.Stats.Median))
	}
	return s
}
