package cost

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
)

// Chart axis range in requests per second: six decades, from one request
// every 100 s to 10,000 per second, wide enough to hold the crossovers of
// the default prices and durations.
const (
	chartMinRate = 0.01
	chartMaxRate = 10000
)

// Colours of the option lines; Lambda is always the first.
var chartColours = []string{"#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"}

// SVG writes a log-log chart of monthly cost against request rate: Lambda
// as a rising line, each always-on option as a step line (one more
// instance at each multiple of its capacity), a dot where they first
// cross. Log scales because both the rates and the bills span decades;
// a line of slope one is "cost proportional to traffic".
func SVG(w io.Writer, m *Model) error {
	const (
		width, height          = 1100, 500
		left, right, top, bott = 80, 470, 60, 60
	)
	if err := m.Sized(); err != nil {
		return err
	}
	pw, ph := float64(width-left-right), float64(height-top-bott)
	opts := m.AlwaysOn()

	// Lambda is sampled on a log grid: with the free tier the bill is zero,
	// then bends, so its ends alone do not bound it.
	const steps = 240
	rates := make([]float64, steps+1)
	lo, hi := math.Inf(1), 0.0
	for i := range rates {
		rates[i] = math.Pow(10, math.Log10(chartMinRate)+(math.Log10(chartMaxRate)-math.Log10(chartMinRate))*float64(i)/steps)
		if v := m.LambdaMonthly(RequestsPerMonth(rates[i])); v > 0 {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	for _, o := range opts {
		if o.Monthly > 0 {
			lo, hi = math.Min(lo, o.Monthly), math.Max(hi, AlwaysOnMonthly(o, chartMaxRate))
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0.01, 1
	}
	ylo, yhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if yhi <= ylo {
		yhi = ylo + 1
	}
	// Eight decades are enough to read; a bill just past the free tier
	// ($0.0000…) would squash the rest.
	ylo = math.Max(ylo, yhi-8)
	xlo, xhi := math.Log10(chartMinRate), math.Log10(chartMaxRate)
	x := func(rate float64) float64 { return left + (math.Log10(rate)-xlo)/(xhi-xlo)*pw }
	y := func(cost float64) float64 {
		if cost <= 0 {
			return top + ph // a free month sits on the axis
		}
		// Below the axis's first decade: drawn on the axis.
		return top + ph - math.Max(0, math.Log10(cost)-ylo)/(yhi-ylo)*ph
	}

	b := bufio.NewWriter(w)
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	p(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	c := m.Config()
	p(`<text x="%d" y="22" font-size="15">Monthly cost against steady request rate</text>`+"\n", left)
	p(`<text x="%d" y="42">Lambda %s %d MB, %.2f ms billed per request%s · prices of %s (infra/pricing.json)</text>`+"\n",
		left, c.Arch, c.MemoryMB, c.BilledMS, map[bool]string{true: ", free tier", false: ""}[c.FreeTier], html.EscapeString(m.p.QueriedAt))
	for d := xlo; d <= xhi; d++ {
		xx := x(math.Pow(10, d))
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", xx, top, xx, top+ph)
		p(`<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", xx, top+ph+18, formatRate(math.Pow(10, d)))
	}
	for d := ylo; d <= yhi; d++ {
		yy := top + ph - (d-ylo)/(yhi-ylo)*ph
		p(`<line x1="%d" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, yy, left+pw, yy)
		p(`<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, yy+4, "$"+strconv.FormatFloat(math.Pow(10, d), 'f', -1, 64))
	}
	p(`<text x="%.1f" y="%d" text-anchor="middle">requests per second (log)</text>`+"\n", left+pw/2, height-15)
	p(`<text transform="translate(18 %.1f) rotate(-90)" text-anchor="middle">USD per 730-hour month (log)</text>`+"\n", top+ph/2)
	p(`<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#444"/>`+"\n", left, top, pw, ph)

	p(`<polyline fill="none" stroke="%s" stroke-width="2.5" points="`, chartColours[0])
	for _, r := range rates {
		p("%.1f,%.1f ", x(r), y(m.LambdaMonthly(RequestsPerMonth(r))))
	}
	p(`"/>` + "\n")
	legend := func(i int, label string) {
		ly := float64(top + 10 + 20*i)
		p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2.5"/>`+"\n", left+pw+12, ly, left+pw+32, ly, chartColours[i%len(chartColours)])
		p(`<text x="%.1f" y="%.1f" font-size="11">%s</text>`+"\n", left+pw+38, ly+4, html.EscapeString(label))
	}
	legend(0, "lambda")
	for i, o := range opts {
		col := chartColours[(i+1)%len(chartColours)]
		// The step line: flat while the instances serve the rate, up one
		// instance's bill at each multiple of the capacity.
		p(`<polyline fill="none" stroke="%s" stroke-width="2" stroke-dasharray="6 3" points="%.1f,%.1f `, col, x(chartMinRate), y(AlwaysOnMonthly(o, chartMinRate)))
		if o.Capacity > 0 {
			// Steps less than a pixel apart are drawn as one slope: k moves
			// on by at least a pixel's worth of rate, so that a small
			// capacity (millions of instances across the axis) stays a few
			// hundred points, not a file of gigabytes.
			pixel := math.Pow(10, (xhi-xlo)/pw)
			for k := math.Max(1, math.Ceil(chartMinRate/o.Capacity)); k*o.Capacity < chartMaxRate; k = math.Max(k+1, math.Ceil(k*pixel)) {
				xx := x(k * o.Capacity)
				p("%.1f,%.1f %.1f,%.1f ", xx, y(k*o.Monthly), xx, y((k+1)*o.Monthly))
			}
		}
		p(`%.1f,%.1f"/>`+"\n", x(chartMaxRate), y(AlwaysOnMonthly(o, chartMaxRate)))
		cr := m.Crossover(o)
		label := fmt.Sprintf("%s %s/month each, %s req/s each, never crosses", o.Name, Dollars(o.Monthly), formatRate(o.Capacity))
		if cr.Never == "" {
			label = fmt.Sprintf("%s %s/month each, %s req/s each, ● %s req/s", o.Name, Dollars(o.Monthly), formatRate(o.Capacity), formatRate(cr.Rate))
		}
		legend(i+1, label)
		if cr.Never == "" && cr.Rate >= chartMinRate && cr.Rate <= chartMaxRate {
			p(`<circle cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%s: %s req/s</title></circle>`+"\n", x(cr.Rate), y(float64(cr.Instances)*o.Monthly), col, html.EscapeString(o.Name), formatRate(cr.Rate))
		}
	}
	p("</svg>\n")
	if err := b.Flush(); err != nil {
		return fmt.Errorf("write chart: %w", err)
	}
	return nil
}
