package reporttest

import (
	"fmt"
	"strings"
	"testing"
)

// recorder keeps what a check reports instead of failing the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, a...))
}

// The checks fail on what they are there to catch: a chart drawn with no
// marks, overlapping tick labels, a label outside the chart, a missing
// axis label and legend.
func TestChecksCatchBrokenCharts(t *testing.T) {
	page := `<!doctype html><html><body>
<svg class="chart" id="bad" width="300" height="120">
<rect class="mark" x="10" y="10" width="0" height="20"/>
<text class="tick" x="20" y="100">100 ms</text><text class="tick" x="24" y="100">200 ms</text>
<text class="group-label" x="280" y="50">far too long a label</text>
</svg></body></html>`
	g := Render(t, []byte(page))
	var r recorder
	r.TB = t
	g.Chart(&r, "bad", Want{Axes: 1, Legend: 2})
	g.Chart(&r, "absent", Want{})
	all := strings.Join(r.errs, "\n")
	for _, want := range []string{"0 of its 1 marks", "0 axis labels, want 1", "overlap", "outside the chart", "0 legend entries, want 2", `chart "absent" was not rendered`} {
		if !strings.Contains(all, want) {
			t.Errorf("the checks did not report %q; they reported:\n%s", want, all)
		}
	}
}
