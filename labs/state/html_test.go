package state

import (
	"bytes"
	"testing"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/report/reporttest"
	"github.com/computeladder/computeladder/harness/results"
)

// TestHTMLRendersInChromium lays the state page out in Chromium: the
// counters request after request, and the instances' counters under
// concurrency.
func TestHTMLRendersInChromium(t *testing.T) {
	seq := []Request{req("fn-a", 1), req("fn-a", 2), req("fn-a", 3), req("fn-a", 4)}
	split := []Request{req("fn-x", 1), req("fn-y", 1), req("fn-x", 2), req("fn-y", 2), req("fn-z", 1)}
	cseq := []Request{req("ctr-a", 1), req("ctr-a", 2), req("ctr-a", 3), req("ctr-a", 4)}
	cconc := []Request{req("ctr-b", 5), req("ctr-b", 6), req("ctr-b", 7), req("ctr-b", 8), req("ctr-b", 9)}
	r := &Result{Header: results.Header{RunID: "r-state", Date: "2026-11-30T09:00:00Z"}, Sequential: 4, Workers: 5, PerWorker: 1,
		Function:  PlatformResult{Variant: deployers.Lambda, Sequential: seq, ResetBy: "cold start", AfterReset: req("fn-b", 1), Concurrent: split, Instances: instances(split), CounterSum: 5},
		Container: PlatformResult{Variant: deployers.Container, Sequential: cseq, ResetBy: "redeploy", AfterReset: req("ctr-b", 1), Concurrent: cconc, Instances: instances(cconc)},
	}
	r.judge()
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	g := reporttest.Render(t, b.Bytes())
	g.Chart(t, "sequential", reporttest.Want{Marks: 2, Axes: 2, Legend: 2, Texts: []string{"requests_served", "lambda (then cold start)", "container (then redeploy)"}})
	// 3 function environments and 1 container, 2 bars each.
	g.Chart(t, "instances", reporttest.Want{Marks: 8, Axes: 1, Legend: 2, Texts: []string{"lambda fn-x", "container ctr-b", "9"}})
	g.Table(t, "state", 7)
}
