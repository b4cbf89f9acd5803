package coldstart

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/harness/load"
)

// burstOf is a burst whose latencies are n requests of 10 ms, then one of
// slowest.
func burstOf(n int, slowest time.Duration) BurstResult {
	lat := make([]time.Duration, n-1, n)
	for i := range lat {
		lat[i] = 10 * time.Millisecond
	}
	return BurstResult{Latency: load.QuantilesOf(append(lat, slowest))}
}

// row returns the cells of the Markdown table row whose first cell is name.
func row(t *testing.T, md, name string) []string {
	t.Helper()
	for _, l := range strings.Split(md, "\n") {
		cells := strings.Split(strings.Trim(l, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) > 1 && cells[0] == name {
			return cells
		}
	}
	t.Fatalf("no row %q in\n%s", name, md)
	return nil
}

// fiveAndAHundred is a burst of 5 on one warm environment, too few for a
// p99, slowest 8 s, and one of 100 on 100 pre-warmed ones, slowest 900 ms.
func fiveAndAHundred() *Result {
	r := &Result{ColdBurst: burstOf(5, 8*time.Second)}
	r.PrewarmedBurst = burstOf(100, 900*time.Millisecond)
	r.PrewarmedBurst.PrewarmedEnvs = 100
	return r
}

// The percentile rule (load.MinSamples: p needs n ≥ 1/(1−p)) in the
// summary: a burst of 5 has a p50 but no p99 — its "p99" would be its
// slowest request under another name — so the p99 cell is "—" and the
// slowest is given with n; a p99 the count supports is shown.
func TestBurstTableShowsOnlySupportedPercentiles(t *testing.T) {
	r := fiveAndAHundred()
	var b bytes.Buffer
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if h := row(t, md, "burst"); strings.Join(h[:5], ",") != "burst,n,p50,p99,slowest" {
		t.Fatalf("header %q: want burst, n, p50, p99, slowest", h)
	}
	if c := row(t, md, "on 1 warm environment"); c[1] != "5" || c[2] != "10.00 ms" || c[3] != "—" || c[4] != "8000.00 ms" {
		t.Errorf("burst of 5: n %s, p50 %s, p99 %s, slowest %s; want 5, 10.00 ms, —, 8000.00 ms", c[1], c[2], c[3], c[4])
	}
	if c := row(t, md, "on 100 pre-warmed"); c[1] != "100" || c[3] != "10.00 ms" || c[4] != "900.00 ms" {
		t.Errorf("burst of 100: n %s, p99 %s, slowest %s; want 100, 10.00 ms (the 99th of 100), 900.00 ms", c[1], c[3], c[4])
	}
}

func TestBurstTableEmptyBurst(t *testing.T) {
	r := &Result{ColdBurst: BurstResult{Errors: 5}, PrewarmedBurst: burstOf(2, time.Second)}
	r.PrewarmedBurst.PrewarmedEnvs = 2
	var b bytes.Buffer
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	if c := row(t, b.String(), "on 1 warm environment"); c[1] != "0" || c[2] != "—" || c[3] != "—" || c[4] != "—" || c[7] != "5" {
		t.Errorf("burst with no answer: %q, want n 0, no figures, 5 errors", c)
	}
}

// The progress line follows the same rule.
func TestLatenciesLine(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{
		{5, "p50 10ms, slowest 8s (n=5)"},
		{100, "p50 10ms, p99 10ms, slowest 8s (n=100)"},
		{1, "slowest 8s (n=1)"},
		{0, "no request answered"},
	} {
		var q load.Quantiles
		if tt.n > 0 {
			q = burstOf(tt.n, 8*time.Second).Latency
		}
		if got := latencies(q); got != tt.want {
			t.Errorf("n=%d: %q, want %q", tt.n, got, tt.want)
		}
	}
}

// The page's bursts table follows the same rule as the summary's.
func TestHTMLBurstTableShowsOnlySupportedPercentiles(t *testing.T) {
	r := fiveAndAHundred()
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		"<th>n</th><th>p50</th><th>p99</th><th>slowest</th>",
		"<td class=\"label\">on 1 warm environment</td><td>5</td><td>10.00 ms</td><td>—</td><td>8000.00 ms</td>",
		"<td class=\"label\">on 100 pre-warmed</td><td>100</td><td>10.00 ms</td><td>10.00 ms</td><td>900.00 ms</td>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html has no %q", want)
		}
	}
}
