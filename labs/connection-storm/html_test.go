package storm

import (
	"bytes"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/harness/report/reporttest"
	"github.com/computeladder/computeladder/harness/results"
)

func sampleResult() *Result {
	r := &Result{Header: results.Header{RunID: "r-storm", Date: "2026-11-30T09:00:00Z"},
		Postgres: Postgres{MaxConnections: 23, Reserved: 3, Available: 20}, Burst: 12, Rounds: 3, PoolSize: 5,
		Cases: []Case{
			{Name: CaseStorm, Variant: "lambda", PoolSize: 5, Environments: 12, WantedConnections: 60, PeakServerConnections: 20, Requests: 36, Created: 21, DBUnavailable: 15},
			{Name: CaseShared, Variant: "container", PoolSize: 5, Environments: 1, WantedConnections: 5, PeakServerConnections: 5, Requests: 36, Created: 36},
			{Name: CaseCapped, Variant: "lambda", PoolSize: 5, MaxConcurrency: 4, Environments: 4, WantedConnections: 20, PeakServerConnections: 20, Requests: 36, Created: 20, Throttled: 16},
			{Name: CaseBouncer, Variant: "lambda", PoolSize: 5, BouncerPool: 10, Environments: 12, WantedConnections: 60, PeakServerConnections: 10, Requests: 36, Created: 35, Other: 1},
		}}
	r.judge()
	return r
}

// TestHTMLRendersInChromium lays the storm's page out in Chromium: the
// 201/503/429 counts of every case are stacked bars on a labelled axis
// with a legend, the connections chart marks the seats.
func TestHTMLRendersInChromium(t *testing.T) {
	var b bytes.Buffer
	if err := HTML(&b, sampleResult()); err != nil {
		t.Fatal(err)
	}
	g := reporttest.Render(t, b.Bytes())
	// 4 cases: storm 201+503, shared 201, capped 201+429, bouncer 201+other.
	g.Chart(t, "outcomes", reporttest.Want{Marks: 7, Axes: 1, Legend: 4,
		Texts: []string{"requests", "503 database unavailable", "429 throttled", "storm (lambda)"}})
	g.Chart(t, "connections", reporttest.Want{Marks: 8, Axes: 1, Legend: 2, Texts: []string{"20 seats for the app", "connections"}})
	g.Table(t, "cases", 5)
}

func TestHTMLEscapesAndWritesErrors(t *testing.T) {
	r := sampleResult()
	r.Cases[0].Name = "<script>x</script>"
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script>") {
		t.Error("a case name reached the page unescaped")
	}
}
