package localfriction

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/harness/report/reporttest"
	"github.com/computeladder/computeladder/harness/results"
)

// frictionResult is a run as the lab records one, built here without
// Docker; its gateway answered the forged signature with 403, so the
// no-IAM claim does not hold.
func frictionResult() *Result {
	ok := Exchange{Status: 200, Body: `{"statusCode":200}`}
	r := &Result{
		Header: results.Header{RunID: "r-friction", Date: "2026-11-30T10:00:00Z"}, MemoryMB: 128, Timeout: 2 * time.Second, Idle: 2 * time.Second,
		Behaviour: results.Behaviour{Passed: 32},
		Init: InitFigures{InitReport: 215 * time.Millisecond, ReportInit: 320 * time.Microsecond, FirstDuration: 240 * time.Millisecond,
			FirstInvoke: 250 * time.Millisecond, Warm: 68 * time.Millisecond},
		Memory: MemoryFigures{Reports: 34, MemorySizeMB: 128, MaxMemoryUsedMB: []int{128}, LimitBytes: 128 << 20,
			UsageBytes: 9875456, MaxUsageBytes: 27631616, NanoCPUs: 100000000},
		Freeze: FreezeFigures{Running: true, CPUBefore: 281 * time.Millisecond, CPUAfter: 282 * time.Millisecond},
		IAM:    IAMFigures{Unsigned: ok, Forged: Exchange{Status: 403}},
		Events: EventFigures{Shape: Shape{Version: "2.0", Read: readFields, Missing: []string{"headers.x-amzn-trace-id"}},
			Direct:  []Direct{{Event: "function-url.json", Exchange: ok, PayloadStatus: 200}},
			NotHTTP: Exchange{Status: 200, Body: `{"errorMessage":"no method"}`}},
		TimeoutRun: TimeoutRun{JobSeconds: 3, Direct: Exchange{Status: 200, Body: "Task timed out after 2.00 seconds"}, Resets: 1,
			Gateway: Exchange{Status: 502}, RetireReasons: []string{"timeout"}},
		Concurrency: Concurrency{Direct: []Exchange{{Error: "EOF"}, {Error: "EOF"}}, Gateway: []Exchange{ok, ok}, NewEnvironments: 2},
		Rows:        Rows,
	}
	r.judge()
	return r
}

// TestHTMLRendersInChromium lays the page out in Chromium: the init on a
// log axis, the memory reported beside the memory measured, and the
// table of differences with a row per difference.
func TestHTMLRendersInChromium(t *testing.T) {
	r := frictionResult()
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	g := reporttest.Render(t, b.Bytes())
	// Five bars: REPORT Init Duration, INIT REPORT, first REPORT Duration,
	// first invoke, warm invoke.
	g.Chart(t, "init", reporttest.Want{Marks: 5, Axes: 1, Legend: 1, Texts: []string{
		"duration (log scale)", "REPORT Init Duration", "emulator INIT REPORT", "first invoke (gateway)", "warm invoke (emulator)"}})
	g.Chart(t, "memory", reporttest.Want{Marks: 3, Axes: 1, Legend: 1, Texts: []string{
		"MiB", "REPORT Max Memory Used", "container now (docker stats)", "container peak (cgroup)", "Memory Size 128 MB", "128"}})
	g.Table(t, "differences", len(Rows)+1)
	g.Table(t, "try", len(Rows)+1)
}

// TestHTMLShowsEachClaim checks the table's content: every row's topic and
// the run's figure, "no" for the claim that did not hold, and the
// sources as links.
func TestHTMLShowsEachClaim(t *testing.T) {
	r := frictionResult()
	if r.Claim(ClaimNoIAM).Holds || !r.Claim(ClaimReportInit).Holds {
		t.Fatalf("the test's run judged no-IAM %v, report-init %v: want false, true", r.Claim(ClaimNoIAM).Holds, r.Claim(ClaimReportInit).Holds)
	}
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	_, table, _ := strings.Cut(page, `<table id="differences">`)
	table, _, _ = strings.Cut(table, "</table>")
	rows := strings.Split(table, "<tr>")[2:] // past the header
	if len(rows) != len(Rows) {
		t.Fatalf("%d rows in the table, want %d", len(rows), len(Rows))
	}
	for i, row := range rows {
		want := `<span class="ok">yes</span>`
		if Rows[i].Claim == ClaimNoIAM {
			want = `<span class="err">no</span>`
		}
		if !strings.Contains(row, want) || !strings.Contains(row, Rows[i].Topic) {
			t.Errorf("row %d (%s) lacks %q or its topic:\n%s", i, Rows[i].Claim, want, row)
		}
	}
	for _, s := range []string{"unsigned GET /whoami: 200; with a forged SigV4 signature: 403", "REPORT Init Duration 0.32 ms",
		`<a href="https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html">`, "12 of 13 claims held."} {
		if !strings.Contains(page, s) {
			t.Errorf("the page lacks %q", s)
		}
	}
}
