package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/results"
)

// warmRun is one container variant whose warm load has n successful
// samples, all distinct (1 ms, 2 ms, …), at rate for a second.
func warmRun(n, rate int) *results.Run {
	var samples []load.Sample
	for i := range n {
		d := time.Duration(i+1) * time.Millisecond
		samples = append(samples, load.Sample{Seq: uint64(i), Offset: time.Duration(i+1) * time.Second / time.Duration(rate), Latency: d, Service: d, Code: 200})
	}
	res := &load.Result{Rate: rate, Duration: time.Second, Samples: samples, Summary: load.Summarize(samples, time.Second)}
	res.Summary.Scheduled = rate
	return &results.Run{
		SchemaVersion: results.SchemaVersion, RunID: "r-warm", Target: "local",
		Settings: results.Settings{Runs: 1, Rate: rate, Duration: time.Second},
		Variants: []results.Variant{{Variant: deployers.Container, Backend: "fake", Description: "fake container",
			Warm: &results.Warm{Endpoint: "POST /checkout", Result: res}}},
	}
}

func renderAll(t *testing.T, run *results.Run) (md, html, cmp string) {
	t.Helper()
	var a, b, c bytes.Buffer
	if err := Markdown(&a, run); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&b, run); err != nil {
		t.Fatal(err)
	}
	if err := Compare(&c, []*results.Run{run}); err != nil {
		t.Fatal(err)
	}
	return a.String(), b.String(), c.String()
}

// TestUnsupportedPercentilesAreNotShown is the regression test for a p99.9
// taken from 250 samples, which is their max: no report shows a
// percentile its sample count does not support.
func TestUnsupportedPercentilesAreNotShown(t *testing.T) {
	md, html, _ := renderAll(t, warmRun(250, 250))
	// p50 125 ms, p90 225 ms, p99 248 ms are supported; p99.9 (= max, 250 ms) is not.
	if !strings.Contains(md, "| 125 ms | 225 ms | 248 ms | — (n=250) | 250 ms | 250 |") {
		t.Errorf("report.md's percentile row is not p50, p90, p99, then — (n=250):\n%s", md)
	}
	if !strings.Contains(md, "| warm p99 | 248 ms |") {
		t.Errorf("report.md's ladder lacks the supported p99:\n%s", md)
	}
	// The chart's line stops at p99: min, p50, p75, p90, p95, p99.
	m := regexp.MustCompile(`(?s)id="latency".*?<polyline[^>]*points="([^"]*)"`).FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("no latency line in report.html")
	}
	if pts := strings.Fields(m[1]); len(pts) != 6 {
		t.Errorf("the latency line has %d points, want 6 (to p99; 250 samples do not support p99.9)", len(pts))
	}

	md, html, cmp := renderAll(t, warmRun(50, 50))
	for name, out := range map[string]string{"report.md": md, "report.html": html, "compare": cmp} {
		if !strings.Contains(out, "— (n=50)") {
			t.Errorf("%s shows a p99 of 50 samples (want — (n=50)):\n%s", name, out)
		}
	}
	if strings.Contains(html, "<td>50.0 ms</td>") || strings.Contains(cmp, "| 50.0 ms |") || !strings.Contains(md, "| warm p99 | — (n=50) |") {
		t.Errorf("the max of 50 samples is shown as their p99:\n%s\n%s\n%s", md, html, cmp)
	}
}

// TestBehindIsFlagged is the regression test for an overloaded run that
// looked clean ("achieved 16995.9/s, 0 errors of 85373" at --rate 30000):
// the requests the schedule called for and never sent are counted, and the
// run is flagged, in every report.
func TestBehindIsFlagged(t *testing.T) {
	run := warmRun(200, 30000)
	s := &run.Variants[0].Warm.Result.Summary
	s.Scheduled, s.Requests, s.Answered, s.Errors, s.AchievedRate = 150000, 85373, 85373, 0, 16995.9
	md, html, cmp := renderAll(t, run)
	for name, out := range map[string]string{"report.md": md, "report.html": html, "compare": cmp} {
		for _, want := range []string{"BEHIND", "16995.9/s of 30000/s", "64627 of 150000 scheduled never sent"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, out)
			}
		}
	}
	for name, out := range map[string]string{"report.md": md, "report.html": html} {
		if !strings.Contains(out, "Fell behind the schedule") {
			t.Errorf("%s does not explain the shortfall:\n%s", name, out)
		}
	}

	md, html, cmp = renderAll(t, warmRun(200, 200))
	for name, out := range map[string]string{"report.md": md, "report.html": html, "compare": cmp} {
		if strings.Contains(out, "BEHIND") || strings.Contains(out, "Fell behind") {
			t.Errorf("%s flags a run that kept its schedule:\n%s", name, out)
		}
		if !strings.Contains(out, "200 of 200 sent, 0 errors") {
			t.Errorf("%s lacks the schedule's counts:\n%s", name, out)
		}
	}
}
