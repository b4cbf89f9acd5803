package report

import (
	"html/template"
	"time"
)

// The class page's chart: one figure of one variant across the class, a
// strip plot over a box plot drawn with the chart kit (StripChart).

// accelColor is the dot colour of a run by its microVM's accelerator.
func accelColor(accel string) string {
	switch accel {
	case "KVM":
		return "#2a8f4a"
	case "HVF":
		return "#2a6fd6"
	case "TCG":
		return "#e08a00"
	}
	return "#555"
}

// logSpan is the spread (max / min) beyond which a figure is drawn on a
// log axis: one TCG microVM beside KVM ones would squash every other dot
// against zero.
const logSpan = 20

// stripChart draws f: the middle half as a box with the median, whiskers
// to the farthest runs inside the fences, every run as a dot coloured by
// its accelerator (a legend of accels), outliers ringed in red and named
// under the axis.
func stripChart(f *ClassFigure, accels []string) template.HTML {
	if len(f.Points) == 0 {
		return ""
	}
	lo, hi := f.Stats.Min, f.Stats.Max
	if hi <= 0 {
		hi = time.Millisecond
	}
	f.LogScale = lo > 0 && float64(hi)/float64(lo) > logSpan
	label := f.Name
	if f.LogScale {
		label += " (log scale)"
	}
	c := StripChart{ID: f.ID, Label: f.Name + " across the class", X: Duration(label, lo, hi, f.LogScale)}
	for _, a := range accels {
		c.Legend = append(c.Legend, LegendItem{a, accelColor(a)})
	}
	if len(f.Points) >= 2 {
		wlo, whi := f.Stats.Min, f.Stats.Max
		if f.Fenced {
			wlo, whi = f.Stats.Max, f.Stats.Min
			for _, p := range f.Points {
				if p.Out == "" {
					wlo, whi = min(wlo, p.Value), max(whi, p.Value)
				}
			}
		}
		c.Box = &BoxStats{Lo: float64(wlo), Q1: float64(f.Stats.Q1), Median: float64(f.Stats.Median), Q3: float64(f.Stats.Q3), Hi: float64(whi)}
	}
	for _, p := range f.Points {
		d := Dot{Value: float64(p.Value), Color: accelColor(p.Accel), Title: p.Who + ": " + dur(p.Value), Ring: p.Out != ""}
		if d.Ring {
			d.Name = p.Who + " — " + dur(p.Value)
		}
		c.Dots = append(c.Dots, d)
	}
	return c.SVG()
}
