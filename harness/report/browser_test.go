package report

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/computeladder/computeladder/harness/report/reporttest"
	"github.com/computeladder/computeladder/harness/results"
)

// TestHTMLRendersInChromium lays report.html out in headless Chromium and
// measures what it drew: the ladder table and the published-figures table
// with their rows, and every chart with an area, marks with an area,
// labelled axes with tick labels inside the chart, and a legend entry per
// series.
func TestHTMLRendersInChromium(t *testing.T) {
	var b bytes.Buffer
	if err := HTML(&b, sampleRun()); err != nil {
		t.Fatal(err)
	}
	g := reporttest.Render(t, b.Bytes())
	g.Table(t, "ladder", 1+len(ladderRows))
	g.Table(t, "published", 2)
	// The timeline: one row (and one axis) per variant, a legend entry
	// per phase name, each phase named on the chart.
	g.Chart(t, "timeline", reporttest.Want{Marks: 3 + 2 + 4, Axes: 3, Legend: 7,
		Texts: []string{"time since the startup origin", "kernel 900 ms", "env-started 400 ms", "started 250 ms"}})
	g.Chart(t, "cold-warm", reporttest.Want{Marks: 3 * 4, Axes: 1, Legend: len(coldWarmBars), Texts: []string{"time (log scale)", "vm", "lambda"}})
	g.Chart(t, "cdf", reporttest.Want{Marks: 3, Axes: 2, Legend: 3, Texts: []string{"latency (log scale)", "100 %", "vm (n=100)"}})
	g.Chart(t, "latency", reporttest.Want{Marks: 3, Axes: 2, Legend: 3, Texts: []string{"p90", "p99", "percentile"}})
}

// TestReferencePageRendersInChromium renders the ladder's committed
// reference run — real figures, real descriptions, every raw sample — and
// measures it as the sample's page: nothing drawn outside its chart.
func TestReferencePageRendersInChromium(t *testing.T) {
	run, err := results.ReadFile(filepath.Join("..", "..", "labs", "ladder", "reference", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := HTML(&b, run); err != nil {
		t.Fatal(err)
	}
	g := reporttest.Render(t, b.Bytes())
	g.Table(t, "ladder", 1+len(ladderRows))
	g.Table(t, "published", 5)
	// The timeline: the VM's kernel, init, listening, answered and first-200,
	// the container's created, started and first-200, the function's
	// env-started and first-200; a legend entry per phase name.
	g.Chart(t, "timeline", reporttest.Want{Marks: 5 + 3 + 2, Axes: 3, Legend: 8, Texts: []string{"kernel", "answered", "env-started", "first-200"}})
	g.Chart(t, "cold-warm", reporttest.Want{Marks: 3*4 + 1, Axes: 1, Legend: len(coldWarmBars)})
	g.Chart(t, "cdf", reporttest.Want{Marks: 3, Axes: 2, Legend: 3, Texts: []string{"vm (n=250)"}})
	g.Chart(t, "latency", reporttest.Want{Marks: 3, Axes: 2, Legend: 3})
}
