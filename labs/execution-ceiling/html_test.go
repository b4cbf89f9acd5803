package ceiling

import (
	"bytes"
	"testing"

	"github.com/computeladder/computeladder/harness/report/reporttest"
)

// TestHTMLRendersInChromium lays the execution-ceiling page out in
// Chromium: the timing chart with the timeout marked, the steps chart.
func TestHTMLRendersInChromium(t *testing.T) {
	r := passing()
	r.Claim = Check(r)
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	g := reporttest.Render(t, b.Bytes())
	// Bars: vm and container 2 each; lambda's short job 2; its long job
	// only its end (no line came).
	g.Chart(t, "timing", reporttest.Want{Marks: 7, Axes: 1, Legend: 2,
		Texts: []string{"function timeout 1s", "lambda, 2s job", "lambda, 0.5s job", "time since the request was sent"}})
	// Steps: the lambda long job's last step and lines are 0 (no area).
	g.Chart(t, "steps", reporttest.Want{Marks: 3*3 + 1, Axes: 1, Legend: 3, Texts: []string{"steps"}})
	g.Table(t, "jobs", 5)
}
