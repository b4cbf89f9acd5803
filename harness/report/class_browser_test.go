package report

import (
	"bytes"
	"testing"

	"github.com/computeladder/computeladder/harness/report/reporttest"
)

// TestClassHTMLRendersInChromium lays the class page out in headless
// Chromium and measures what it drew: per variant, a chart per figure
// with one dot per run (each with an area), one labelled axis with its
// ticks, a legend entry per accelerator and the outliers named on the
// chart; and the table of the runs.
func TestClassHTMLRendersInChromium(t *testing.T) {
	var b bytes.Buffer
	c := sampleClass()
	if err := ClassHTML(&b, c); err != nil {
		t.Fatal(err)
	}
	g := reporttest.Render(t, b.Bytes())
	runs := len(c.Runs)
	for _, tc := range []struct {
		id     string
		legend int
		texts  []string
	}{
		// 400 ms – 9 s: more than 20×, a log axis; Tao's TCG run named.
		{"vm-startup", 2, []string{"startup (log scale)", "Tao — 9.00 s", "KVM", "TCG"}},
		{"vm-cold", 2, []string{"cold start"}},
		{"vm-warm", 2, []string{"warm p50"}},
		// No microVM in a container: no accelerator to tell apart.
		{"container-startup", 0, []string{"startup", "Una — 40.0 ms"}},
		{"container-cold", 0, []string{"cold start"}},
		{"container-warm", 0, []string{"warm p50"}},
	} {
		g.Chart(t, tc.id, reporttest.Want{Marks: runs, Axes: 1, Legend: tc.legend, Texts: tc.texts})
		for _, ch := range g.Charts {
			if ch.ID == tc.id && len(ch.Marks) != runs {
				t.Errorf("chart %q has %d marks, want one per run (%d)", tc.id, len(ch.Marks), runs)
			}
		}
	}
	// Only the outliers are named: the container's startup names Una
	// alone, the cold starts (all equal) nobody.
	for id, want := range map[string]int{"vm-startup": 1, "container-startup": 1, "vm-cold": 0, "container-warm": 0} {
		for _, ch := range g.Charts {
			if ch.ID == id && len(ch.Labels) != want {
				t.Errorf("chart %q names %d runs, want %d: %+v", id, len(ch.Labels), want, ch.Labels)
			}
		}
	}
	if len(g.Charts) != 6 {
		t.Errorf("%d charts rendered, want 6 (2 variants × 3 figures)", len(g.Charts))
	}
	// Each variant's table of runs: its header and a row per run.
	g.Table(t, "runs-variant-vm", 1+runs)
	g.Table(t, "runs-variant-container", 1+runs)
}
