package state

import (
	"fmt"
	"html/template"
	"io"

	"github.com/computeladder/computeladder/harness/report"
)

// HTML writes the run's page, report.html: each variant's counter request
// after request and after its reset, the counters of the instances that
// shared the concurrent requests, the table and the claims.
func HTML(w io.Writer, r *Result) error {
	f, c := r.Function, r.Container
	var series []report.Series
	most := 1.0
	for _, p := range []PlatformResult{f, c} {
		s := report.Series{Name: fmt.Sprintf("%s (then %s)", p.Variant, p.ResetBy), Color: report.Palette[len(series)]}
		if len(series) > 0 {
			s.Dash = "7 5" // the two lines often coincide: both stay visible
		}
		for i, q := range p.Sequential {
			s.Points = append(s.Points, report.Point{X: float64(i + 1), Y: float64(q.RequestsServed)})
			most = max(most, float64(q.RequestsServed))
		}
		if p.AfterReset.OK() {
			s.Points = append(s.Points, report.Point{X: float64(len(p.Sequential) + 1), Y: float64(p.AfterReset.RequestsServed)})
		}
		series = append(series, s)
	}
	seq := report.LineChart{
		ID: "sequential", Label: "requests_served, request after request", Series: series, Height: 300,
		X: report.Count("request (the last one after the reset)", float64(max(len(f.Sequential), len(c.Sequential))+1)),
		Y: report.Count("requests_served", most),
	}
	var groups []report.BarGroup
	top := 1.0
	for _, p := range []PlatformResult{f, c} {
		for _, in := range p.Instances {
			groups = append(groups, report.BarGroup{Label: fmt.Sprintf("%s %s", p.Variant, short(in.InstanceID)),
				Bars: []report.Bar{{Value: float64(in.Seen)}, {Value: float64(in.Counter)}}})
			top = max(top, float64(in.Seen), float64(in.Counter))
		}
	}
	var conc template.HTML = report.Para("No concurrent request was answered.")
	if len(groups) > 0 {
		conc = report.Figure(report.BarChart{
			ID: "instances", Label: "instances under concurrent requests", X: report.Count("requests", top),
			Series: []string{"requests it answered", "its counter (requests_served)"}, Groups: groups, ValueLabels: true,
		}.SVG(), fmt.Sprintf("%d clients × %d requests at once: each instance that answered, how many of them it answered and its counter. "+
			"The function's environments each count their own share; the one container counts them all (after its %d sequential requests).", r.Workers, r.PerWorker, len(c.Sequential)))
	}
	p := report.Page{
		Title: "State: run " + r.RunID,
		Lead:  []string{fmt.Sprintf("%s; %d sequential requests, then %d clients × %d requests at once.", r.Date, r.Sequential, r.Workers, r.PerWorker)},
		Sections: []report.Section{
			{Heading: "One after the other, then a reset", Blocks: []template.HTML{report.Figure(seq.SVG(),
				"The in-memory counter each answer reported (requests_served), request after request on one fresh instance, and the first request after the instance was replaced: a new instance starts again from 1.")}},
			{Heading: "At once", Blocks: []template.HTML{conc}},
			{Heading: "Figures", Blocks: []template.HTML{report.Table("state", []string{"", "function", "container"}, figures(r))}},
			{Heading: "Claims", Blocks: []template.HTML{report.ClaimsList(r.Claims), report.TeardownLine(r.FlatTeardown, r.RunID)}},
		},
	}
	return p.Write(w)
}

// short is an instance id cut to 12 characters for a chart's label.
func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
