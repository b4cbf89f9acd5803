package report

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"
)

// The class page's chart: one figure of one variant across the class, as
// a strip plot over a box plot. Minimal SVG of its own, so that the page
// stays free of scripts and of the run report's charts.

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

// axis maps durations onto [x0, x1]: linear from zero, or log10 when the
// figures span more than logSpan (one TCG microVM beside KVM ones would
// squash every other dot against zero).
type axis struct {
	log    bool
	lo, hi float64
	x0, x1 float64
	ticks  []time.Duration
}

const logSpan = 20

func newAxis(min, max time.Duration, x0, x1 float64) axis {
	a := axis{x0: x0, x1: x1}
	if min > 0 && float64(max)/float64(min) > logSpan {
		a.log = true
		a.lo, a.hi = math.Floor(math.Log10(float64(min))), math.Ceil(math.Log10(float64(max)))
		for e := a.lo; e <= a.hi; e++ {
			a.ticks = append(a.ticks, time.Duration(math.Pow(10, e)))
		}
		return a
	}
	step := niceStep(float64(max) / 5)
	a.hi = math.Ceil(float64(max)/step) * step
	if a.hi == 0 {
		a.hi = float64(time.Millisecond)
		step = a.hi
	}
	for v := 0.0; v <= a.hi+step/2; v += step {
		a.ticks = append(a.ticks, time.Duration(v))
	}
	return a
}

// niceStep is the 1, 2 or 5 times a power of ten at or above x.
func niceStep(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

func (a axis) x(d time.Duration) float64 {
	var f float64
	if a.log {
		f = (math.Log10(math.Max(float64(d), 1)) - a.lo) / (a.hi - a.lo)
	} else {
		f = float64(d) / a.hi
	}
	return a.x0 + (a.x1-a.x0)*math.Min(1, math.Max(0, f))
}

// stripChart draws f: the middle half as a box with the median, whiskers
// to the farthest runs inside the fences, every run as a dot coloured by
// its accelerator (outliers ringed in red), and each outlier's name on a
// line of its own below the axis, joined to its dot.
func stripChart(f *ClassFigure) template.HTML {
	if len(f.Points) == 0 {
		return ""
	}
	const W, L, R, mid, axisY = 760.0, 30.0, 30.0, 34.0, 64.0
	nameY := axisY + 34
	H := nameY + 16*float64(len(f.Outliers)) + 4
	a := newAxis(f.Stats.Min, f.Stats.Max, L, W-R)
	f.LogScale = a.log
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="%s" class="strip" xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" role="img" aria-label="%s across the class">`,
		template.HTMLEscapeString(f.ID), W, H, template.HTMLEscapeString(f.Name))

	// Axis and ticks.
	fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f" stroke="#888"/>`, L, W-R, axisY, axisY)
	for _, t := range a.ticks {
		x := a.x(t)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="8" y2="%.0f" stroke="#eee"/><text x="%.1f" y="%.0f" text-anchor="middle" fill="#555">%s</text>`,
			x, x, axisY, x, axisY+15, dur(t))
	}

	// Box and whiskers: the middle half and the runs inside the fences.
	if len(f.Points) >= 2 {
		q1, q3, med := a.x(f.Stats.Q1), a.x(f.Stats.Q3), a.x(f.Stats.Median)
		lo, hi := f.Stats.Min, f.Stats.Max
		if f.Fenced {
			lo, hi = f.Stats.Max, f.Stats.Min
			for _, p := range f.Points {
				if p.Out == "" {
					lo, hi = min(lo, p.Value), max(hi, p.Value)
				}
			}
		}
		fmt.Fprintf(&b, `<line class="whisker" x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f" stroke="#999"/>`, a.x(lo), a.x(hi), mid, mid)
		fmt.Fprintf(&b, `<rect class="box" x="%.1f" y="%.0f" width="%.1f" height="28" fill="#eef2f8" stroke="#7a8aa6"><title>middle half: %s – %s</title></rect>`,
			q1, mid-14, math.Max(1, q3-q1), dur(f.Stats.Q1), dur(f.Stats.Q3))
		fmt.Fprintf(&b, `<line class="median" x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f" stroke="#334" stroke-width="2"><title>median %s</title></line>`,
			med, med, mid-14, mid+14, dur(f.Stats.Median))
	}

	// The runs: a little vertical jitter, so that equal figures stay
	// visible as several dots.
	for i, p := range f.Points {
		x, y := a.x(p.Value), mid+float64(i%5-2)*5
		ring := ""
		if p.Out != "" {
			ring = ` stroke="#c00" stroke-width="2.5"`
		}
		fmt.Fprintf(&b, `<circle class="run" cx="%.1f" cy="%.1f" r="4.5" fill="%s" fill-opacity="0.85"%s><title>%s: %s</title></circle>`,
			x, y, accelColor(p.Accel), ring, template.HTMLEscapeString(p.Who), dur(p.Value))
	}

	// The outliers' names, one a line, in the order of their figures.
	for i, p := range f.Outliers {
		x := a.x(p.Value)
		y := nameY + 16*float64(i)
		anchor, tx := "start", x+4
		if x > W/2 {
			anchor, tx = "end", x-4
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f" stroke="#c00" stroke-dasharray="2 2"/>`, x, x, mid+8, y-4)
		fmt.Fprintf(&b, `<text class="outlier" x="%.1f" y="%.0f" text-anchor="%s" fill="#b00">%s — %s</text>`,
			tx, y, anchor, template.HTMLEscapeString(p.Who), dur(p.Value))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
