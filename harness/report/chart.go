package report

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The chart kit: small, script-free SVG charts that every report page
// draws with (the ladder's and each lab's), so that no lab draws its own.
//
//   - Axis: a linear or log scale with ticks, tick labels and an axis
//     label (Duration and Count format their ticks).
//   - LineChart: lines or steps (a CDF) over two axes, with a legend.
//   - BarChart: horizontal bars, grouped or stacked, on a linear or log
//     axis, with whiskers (min–max) and a legend.
//   - Timeline: one row per item, split into named segments (startup
//     phases) on a time axis of its own, with the names on the chart and a
//     legend.
//
// Every chart is an <svg class="chart"> whose marks carry class "mark",
// ticks "tick", axis labels "axis-label" and legend entries "legend-item":
// the browser test measures those.

// Palette is the charts' colours, told apart also by people with the
// commonest colour-vision deficiencies (Okabe–Ito).
var Palette = []string{"#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#7f7f7f", "#f0e442"}

// Outcome colours: success, refused, throttled, other.
const (
	ColorOK        = "#009e73"
	ColorRefused   = "#d55e00"
	ColorThrottled = "#e69f00"
	ColorOther     = "#7f7f7f"
)

func color(i int) string { return Palette[i%len(Palette)] }

// Axis is one axis of a chart: its domain, whether it is logarithmic, its
// label and how a tick's value reads.
type Axis struct {
	Label    string
	Min, Max float64
	Log      bool
	// Integer keeps the ticks on whole numbers (counts).
	Integer bool
	// Format renders a tick (default: %g).
	Format func(float64) string
}

// Duration is an axis of durations in nanoseconds (time.Duration values)
// from 0 (or, on a log axis, the decade below lo) to a round value above
// hi.
func Duration(label string, lo, hi time.Duration, log bool) Axis {
	a := Axis{Label: label, Min: float64(lo), Max: float64(hi), Log: log,
		Format: func(v float64) string { return dur(time.Duration(v)) }}
	return a.nice()
}

// Count is a linear axis of counts or other plain numbers from 0 to a
// round value at or above hi.
func Count(label string, hi float64) Axis {
	return Axis{Label: label, Max: hi, Integer: true, Format: func(v float64) string { return fmt.Sprintf("%g", v) }}.nice()
}

// Linear is a linear axis from 0 to a round value at or above hi, its
// ticks written by format (e.g. dollars).
func Linear(label string, hi float64, format func(float64) string) Axis {
	return Axis{Label: label, Max: hi, Format: format}.nice()
}

// nice widens the domain to round ends: whole decades on a log axis, a
// multiple of the tick step (from 0) on a linear one.
func (a Axis) nice() Axis {
	if a.Log {
		lo, hi := math.Max(a.Min, 1e-9), math.Max(a.Max, 1e-9)
		if a.Min <= 0 {
			lo = hi / 10
		}
		a.Min = math.Pow(10, math.Floor(math.Log10(lo)))
		a.Max = math.Pow(10, math.Ceil(math.Log10(hi)))
		if a.Max <= a.Min {
			a.Max = a.Min * 10
		}
		return a
	}
	a.Min = math.Min(0, a.Min)
	if a.Max <= a.Min {
		a.Max = a.Min + 1
	}
	step := a.step()
	a.Max = math.Ceil(a.Max/step-1e-9) * step
	return a
}

// step is the linear axis's tick step: 1, 2, 2.5 or 5 times a power of
// ten, about a fifth of the span; whole, and never 2.5, on an Integer axis.
func (a Axis) step() float64 {
	raw := (a.Max - a.Min) / 5
	if a.Integer && raw <= 1 {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m == 2.5 && a.Integer {
			continue
		}
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

// Ticks are the values an axis labels: each decade on a log axis (with 2
// and 5 between when it spans at most two), round steps on a linear one.
func (a Axis) Ticks() []float64 {
	var out []float64
	if a.Log {
		lo, hi := math.Round(math.Log10(a.Min)), math.Round(math.Log10(a.Max))
		for e := lo; e <= hi; e++ {
			d := math.Pow(10, e)
			out = append(out, d)
			if hi-lo <= 2 && e < hi {
				out = append(out, 2*d, 5*d)
			}
		}
		return out
	}
	step := a.step()
	for v := a.Min; v <= a.Max+step/1e6; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

// frac is where v lies on the axis, 0 at Min and 1 at Max, clamped.
func (a Axis) frac(v float64) float64 {
	var f float64
	if a.Log {
		v = math.Max(v, a.Min)
		f = (math.Log10(v) - math.Log10(a.Min)) / (math.Log10(a.Max) - math.Log10(a.Min))
	} else {
		f = (v - a.Min) / (a.Max - a.Min)
	}
	return math.Max(0, math.Min(1, f))
}

func (a Axis) format(v float64) string {
	if a.Format == nil {
		return fmt.Sprintf("%g", v)
	}
	return a.Format(v)
}

// svgBuilder writes one chart's SVG.
type svgBuilder struct{ strings.Builder }

func (b *svgBuilder) f(format string, a ...any) { fmt.Fprintf(&b.Builder, format, a...) }

func (b *svgBuilder) open(id, label string, w, h float64) {
	b.f(`<svg class="chart" id="%s" xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`,
		esc(id), w, h, w, h, esc(label))
	b.f(`<title>%s</title>`, esc(label))
}

func (b *svgBuilder) html() template.HTML { return template.HTML(b.String() + `</svg>`) }

func esc(s string) string { return template.HTMLEscapeString(s) }

// textWidth estimates the width of s at the charts' 12 px font.
func textWidth(s string) float64 { return 6.8 * float64(utf8.RuneCountInString(s)) }

// xAxis draws a horizontal axis at y from x0 to x1: grid lines up to top,
// ticks, tick labels and the axis label below.
func (b *svgBuilder) xAxis(a Axis, x0, x1, y, top float64) {
	b.f(`<g class="axis x">`)
	b.f(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>`, x0, x1, y, y)
	lastEnd := math.Inf(-1)
	for _, v := range a.Ticks() {
		x := x0 + (x1-x0)*a.frac(v)
		b.f(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#e4e4e4"/>`, x, x, top, y)
		b.f(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>`, x, x, y, y+4)
		s := a.format(v)
		w := textWidth(s)
		if x-w/2 < lastEnd+4 {
			continue // its label would overlap the last one: a tick without a label
		}
		lastEnd = x + w/2
		b.f(`<text class="tick" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x, y+17, esc(s))
	}
	b.f(`<text class="axis-label" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, (x0+x1)/2, y+34, esc(a.Label))
	b.f(`</g>`)
}

// yAxis draws a vertical axis at x from y0 (bottom) to y1 (top), with grid
// lines to right.
func (b *svgBuilder) yAxis(a Axis, x, y0, y1, right float64) {
	b.f(`<g class="axis y">`)
	b.f(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>`, x, x, y0, y1)
	lastTop := math.Inf(1)
	for _, v := range a.Ticks() {
		y := y0 - (y0-y1)*a.frac(v)
		b.f(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#e4e4e4"/>`, x, right, y, y)
		b.f(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>`, x-4, x, y, y)
		if y+4 > lastTop-2 {
			continue
		}
		lastTop = y - 8
		b.f(`<text class="tick" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, x-7, y+4, esc(a.format(v)))
	}
	b.f(`<text class="axis-label" transform="translate(%.1f %.1f) rotate(-90)" text-anchor="middle">%s</text>`, x-58, (y0+y1)/2, esc(a.Label))
	b.f(`</g>`)
}

// LegendItem is one entry of a legend.
type LegendItem struct{ Name, Color string }

// legend draws items in rows from (x, y), wrapping at width, and returns
// the height it took.
func (b *svgBuilder) legend(items []LegendItem, x, y, width float64) float64 {
	if len(items) == 0 {
		return 0
	}
	b.f(`<g class="legend">`)
	cx, cy := x, y
	for _, it := range items {
		w := 18 + textWidth(it.Name) + 14
		if cx+w > x+width && cx > x {
			cx, cy = x, cy+18
		}
		b.f(`<g class="legend-item"><rect x="%.1f" y="%.1f" width="12" height="12" fill="%s"/><text x="%.1f" y="%.1f">%s</text></g>`,
			cx, cy, it.Color, cx+17, cy+10.5, esc(it.Name))
		cx += w
	}
	b.f(`</g>`)
	return cy - y + 22
}

// legendHeight is what legend would take, without drawing.
func legendHeight(items []LegendItem, width float64) float64 {
	var b svgBuilder
	return b.legend(items, 0, 0, width)
}

// Point is one point of a line.
type Point struct{ X, Y float64 }

// Series is one line.
type Series struct {
	Name   string
	Color  string // default: the palette's, by position
	Points []Point
	// Dash draws the line dashed (an SVG dash array, e.g. "6 4"): a line
	// that may lie on another stays visible.
	Dash string
}

// LineChart is lines over two axes; Step draws each as a staircase (a
// CDF: the value holds until the next point).
type LineChart struct {
	ID, Label string
	X, Y      Axis
	Series    []Series
	Step      bool
	// Width and Height default to 760 × 340.
	Width, Height float64
}

// SVG renders the chart.
func (c LineChart) SVG() template.HTML {
	W, H := orDefault(c.Width, 760), orDefault(c.Height, 340)
	const L, R, T, B = 86.0, 24.0, 12.0, 46.0
	var items []LegendItem
	for i, s := range c.Series {
		items = append(items, LegendItem{s.Name, orColor(s.Color, i)})
	}
	lh := legendHeight(items, W-L-R)
	var b svgBuilder
	b.open(c.ID, c.Label, W, H+lh)
	b.legend(items, L, T, W-L-R)
	top, bottom := T+lh, H+lh-B
	b.yAxis(c.Y, L, bottom, top, W-R)
	b.xAxis(c.X, L, W-R, bottom, top)
	px := func(v float64) float64 { return L + (W-R-L)*c.X.frac(v) }
	py := func(v float64) float64 { return bottom - (bottom-top)*c.Y.frac(v) }
	for i, s := range c.Series {
		if len(s.Points) == 0 {
			continue
		}
		var pts strings.Builder
		for j, p := range s.Points {
			if c.Step && j > 0 {
				fmt.Fprintf(&pts, "%.1f,%.1f ", px(p.X), py(s.Points[j-1].Y))
			}
			fmt.Fprintf(&pts, "%.1f,%.1f ", px(p.X), py(p.Y))
		}
		dash := ""
		if s.Dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, esc(s.Dash))
		}
		b.f(`<polyline class="mark" fill="none" stroke="%s" stroke-width="2"%s points="%s"><title>%s</title></polyline>`,
			orColor(s.Color, i), dash, strings.TrimSpace(pts.String()), esc(s.Name))
		if !c.Step {
			for _, p := range s.Points {
				b.f(`<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`, px(p.X), py(p.Y), orColor(s.Color, i))
			}
		}
	}
	return b.html()
}

// Bar is one bar: its value, an optional spread drawn as a whisker (Lo <
// Hi) and a title shown on hover. A bar with Missing set is not drawn.
type Bar struct {
	Value, Lo, Hi float64
	Title         string
	Missing       bool
}

// BarGroup is one row of a bar chart: a label and a bar per series.
type BarGroup struct {
	Label string
	Bars  []Bar
}

// BarChart is horizontal bars: one row per group, one bar per series in
// it — side by side, or end to end when Stacked — along the X axis.
type BarChart struct {
	ID, Label string
	X         Axis
	// Series names the bars of each group (the legend), Colors their
	// colours (default: the palette).
	Series  []string
	Colors  []string
	Groups  []BarGroup
	Stacked bool
	// ValueLabels writes each bar's value (X's format) at its end.
	ValueLabels bool
	// Markers are reference values drawn across every row (a timeout, a
	// limit), each a dashed line labelled at its top.
	Markers []Marker
	Width   float64
}

// Marker is a labelled reference value on a bar chart.
type Marker struct {
	Value float64
	Label string
}

// SVG renders the chart.
func (c BarChart) SVG() template.HTML {
	W := orDefault(c.Width, 760)
	L := 20.0
	for _, g := range c.Groups {
		L = math.Max(L, textWidth(g.Label)+16)
	}
	L = math.Min(L, W/3)
	const R, T, B, barH, gap = 70.0, 10.0, 46.0, 16.0, 14.0
	var items []LegendItem
	for i, s := range c.Series {
		items = append(items, LegendItem{s, c.col(i)})
	}
	lh := legendHeight(items, W-L-R)
	rowH := barH
	if !c.Stacked {
		rowH = barH * float64(max(1, len(c.Series)))
	}
	top := T + lh
	if len(c.Markers) > 0 {
		top += 16 // the markers' labels
	}
	bottom := top + float64(len(c.Groups))*(rowH+gap) + 4
	var b svgBuilder
	b.open(c.ID, c.Label, W, bottom+B)
	b.legend(items, L, T, W-L-R)
	b.xAxis(c.X, L, W-R, bottom, top)
	px := func(v float64) float64 { return L + (W-R-L)*c.X.frac(v) }
	for gi, g := range c.Groups {
		y := top + 6 + float64(gi)*(rowH+gap)
		b.f(`<text class="group-label" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, L-8, y+rowH/2+4, esc(fit(g.Label, L-12, 6.8)))
		acc := c.X.Min
		for si, bar := range g.Bars {
			if bar.Missing {
				continue
			}
			by := y
			x0, x1 := px(c.X.Min), px(bar.Value)
			if c.Stacked {
				x0, x1 = px(acc), px(acc+bar.Value)
				acc += bar.Value
			} else {
				by = y + float64(si)*barH
			}
			title := bar.Title
			if title == "" && si < len(c.Series) {
				title = c.Series[si] + ": " + c.X.format(bar.Value)
			}
			b.f(`<rect class="mark" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`,
				x0, by+1, math.Max(x1-x0, 0), barH-2, c.col(si), esc(title))
			if bar.Hi > bar.Lo {
				lo, hi, cy := px(bar.Lo), px(bar.Hi), by+barH/2
				b.f(`<path class="whisker" d="M%.1f %.1fH%.1fM%.1f %.1fV%.1fM%.1f %.1fV%.1f" stroke="#222" fill="none"/>`,
					lo, cy, hi, lo, cy-4, cy+4, hi, cy-4, cy+4)
			}
			if c.ValueLabels && !c.Stacked {
				x := math.Max(x1, px(bar.Hi))
				b.f(`<text class="value" x="%.1f" y="%.1f">%s</text>`, x+4, by+barH-4, esc(c.X.format(bar.Value)))
			}
		}
	}
	for _, m := range c.Markers {
		x := px(m.Value)
		w := textWidth(m.Label)
		tx := math.Max(4, math.Min(x-w/2, W-4-w))
		b.f(`<line class="marker" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#b00" stroke-dasharray="5 3" stroke-width="1.5"/>`, x, x, top-4, bottom)
		b.f(`<text class="value marker-label" x="%.1f" y="%.1f" fill="#b00">%s</text>`, tx, top-8, esc(m.Label))
	}
	return b.html()
}

func (c BarChart) col(i int) string {
	if i < len(c.Colors) && c.Colors[i] != "" {
		return c.Colors[i]
	}
	return color(i)
}

// Segment is one named stretch of a timeline row, From → To.
type Segment struct {
	Name     string
	From, To float64
}

// TimelineRow is one item of a timeline: its segments in order, and the
// note written at its end (e.g. the total).
type TimelineRow struct {
	Label    string
	Note     string
	Segments []Segment
}

// Timeline draws each row as a bar split into its segments, on a time axis
// of its own (rows of very different lengths each stay readable), with
// each segment's name at its end and a legend of every segment name.
type Timeline struct {
	ID, Label string
	// AxisLabel labels each row's axis.
	AxisLabel string
	Rows      []TimelineRow
	Width     float64
}

// SVG renders the timeline.
func (c Timeline) SVG() template.HTML {
	W := orDefault(c.Width, 760)
	const L, R, T = 20.0, 40.0, 10.0
	var names []string
	colorOf := map[string]string{}
	for _, r := range c.Rows {
		for _, s := range r.Segments {
			if _, ok := colorOf[s.Name]; !ok {
				colorOf[s.Name] = color(len(names))
				names = append(names, s.Name)
			}
		}
	}
	var items []LegendItem
	for _, n := range names {
		items = append(items, LegendItem{n, colorOf[n]})
	}
	lh := legendHeight(items, W-L-R)

	var body svgBuilder
	y := T + lh + 8
	for _, r := range c.Rows {
		var end float64
		for _, s := range r.Segments {
			end = math.Max(end, s.To)
		}
		ax := Duration(c.AxisLabel, 0, time.Duration(end), false)
		px := func(v float64) float64 { return L + (W-R-L)*ax.frac(v) }
		body.f(`<text class="row-label" x="%.1f" y="%.1f" font-weight="600">%s</text>`, L, y+12, esc(fit(r.Label+" "+r.Note, W-L-R, 7.5)))
		y += 20
		barY := y
		for _, s := range r.Segments {
			body.f(`<rect class="mark" x="%.1f" y="%.1f" width="%.1f" height="22" fill="%s"><title>%s: %s → %s</title></rect>`,
				px(s.From), barY, math.Max(1, px(s.To)-px(s.From)), colorOf[s.Name], esc(s.Name), dur(time.Duration(s.From)), dur(time.Duration(s.To)))
		}
		// Each segment's name under the bar at its end, on the first
		// line where it does not overlap the names before it.
		var lineEnds []float64
		labelY := barY + 22
		for _, s := range r.Segments {
			text := s.Name + " " + dur(time.Duration(s.To))
			w := textWidth(text)
			x := math.Min(px(s.To), W-4-w)
			line := 0
			for line < len(lineEnds) && x < lineEnds[line]+8 {
				line++
			}
			if line == len(lineEnds) {
				lineEnds = append(lineEnds, 0)
			}
			lineEnds[line] = x + w
			ty := labelY + 14 + 15*float64(line)
			body.f(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#888"/>`, px(s.To), px(s.To), barY+22, ty-10)
			body.f(`<text class="phase-label" x="%.1f" y="%.1f">%s</text>`, x, ty, esc(text))
		}
		axisY := labelY + 15*float64(len(lineEnds)) + 8
		body.xAxis(ax, L, W-R, axisY, axisY) // no grid lines across the names
		y = axisY + 48
	}
	var b svgBuilder
	b.open(c.ID, c.Label, W, y)
	b.legend(items, L, T, W-L-R)
	b.WriteString(body.String())
	return b.html()
}

// fit cuts s with an ellipsis to about width pixels, at charWidth pixels
// a character.
func fit(s string, width, charWidth float64) string {
	r := []rune(s)
	n := int(width / charWidth)
	if len(r) <= n || n < 2 {
		return s
	}
	return string(r[:n-1]) + "…"
}

func orDefault(v, d float64) float64 {
	if v > 0 {
		return v
	}
	return d
}

func orColor(c string, i int) string {
	if c != "" {
		return c
	}
	return color(i)
}

// Dot is one dot of a strip plot: a value, its colour and hover title;
// Ring draws a red ring round it (an outlier) and Name, when set, writes
// it under the axis on a line of its own, joined to the dot.
type Dot struct {
	Value float64
	Color string
	Title string
	Ring  bool
	Name  string
}

// BoxStats is a box plot's box (Q1 – Q3, with the median) and whiskers
// (Lo – Hi).
type BoxStats struct{ Lo, Q1, Median, Q3, Hi float64 }

// StripChart is a strip plot over a box plot: every value a dot (with a
// little vertical jitter, so that equal values stay visible as several
// dots) along the X axis, the box behind them, a legend of the dots'
// colours and the named dots' names under the axis, one a line in the
// order of their values.
type StripChart struct {
	ID, Label string
	X         Axis
	Dots      []Dot
	Box       *BoxStats // nil: no box
	Legend    []LegendItem
	Width     float64
}

// SVG renders the chart.
func (c StripChart) SVG() template.HTML {
	W := orDefault(c.Width, 760)
	const L, R, T, band = 40.0, 40.0, 10.0, 56.0
	lh := legendHeight(c.Legend, W-L-R)
	top := T + lh
	mid, axisY := top+band/2, top+band
	var named []Dot
	for _, d := range c.Dots {
		if d.Name != "" {
			named = append(named, d)
		}
	}
	slices.SortStableFunc(named, func(a, b Dot) int { return cmp.Compare(a.Value, b.Value) })
	nameY := axisY + 54
	H := nameY + 16*float64(len(named)) - 4
	if len(named) == 0 {
		H = axisY + 46
	}
	var b svgBuilder
	b.open(c.ID, c.Label, W, H)
	b.legend(c.Legend, L, T, W-L-R)
	b.xAxis(c.X, L, W-R, axisY, top)
	px := func(v float64) float64 { return L + (W-R-L)*c.X.frac(v) }
	if s := c.Box; s != nil {
		b.f(`<line class="whisker" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#999"/>`, px(s.Lo), px(s.Hi), mid, mid)
		b.f(`<rect class="box" x="%.1f" y="%.1f" width="%.1f" height="28" fill="#eef2f8" stroke="#7a8aa6"><title>middle half: %s – %s</title></rect>`,
			px(s.Q1), mid-14, math.Max(1, px(s.Q3)-px(s.Q1)), esc(c.X.format(s.Q1)), esc(c.X.format(s.Q3)))
		b.f(`<line class="median" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#334" stroke-width="2"><title>median %s</title></line>`,
			px(s.Median), px(s.Median), mid-14, mid+14, esc(c.X.format(s.Median)))
	}
	for i, d := range c.Dots {
		ring := ""
		if d.Ring {
			ring = ` stroke="#c00" stroke-width="2.5"`
		}
		b.f(`<circle class="mark" cx="%.1f" cy="%.1f" r="4.5" fill="%s" fill-opacity="0.85"%s><title>%s</title></circle>`,
			px(d.Value), mid+float64(i%5-2)*5, orColor(d.Color, 0), ring, esc(d.Title))
	}
	for i, d := range named {
		x, y := px(d.Value), nameY+16*float64(i)
		w := textWidth(d.Name)
		tx := x + 4
		if x > W/2 {
			tx = x - 4 - w
		}
		tx = math.Max(4, math.Min(tx, W-4-w))
		b.f(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#c00" stroke-dasharray="2 2"/>`, x, x, mid+8, y-4)
		b.f(`<text class="value outlier" x="%.1f" y="%.1f" fill="#b00">%s</text>`, tx, y, esc(d.Name))
	}
	return b.html()
}
