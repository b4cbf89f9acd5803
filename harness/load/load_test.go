package load

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestQuantilesOf(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, x := range n {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // descending: QuantilesOf must sort
	}
	tests := []struct {
		name string
		in   []time.Duration
		want Quantiles
	}{
		{"empty", nil, Quantiles{}},
		{"one", ms(7), Quantiles{N: 1, Min: 7e6, P50: 7e6, P90: 7e6, P99: 7e6, P999: 7e6, Max: 7e6, Mean: 7e6}},
		{"1..100", ms(hundred...), Quantiles{N: 100, Min: 1e6, P50: 50e6, P90: 90e6, P99: 99e6, P999: 100e6, Max: 100e6, Mean: 50500e3}},
		{"two", ms(1, 3), Quantiles{N: 2, Min: 1e6, P50: 1e6, P90: 3e6, P99: 3e6, P999: 3e6, Max: 3e6, Mean: 2e6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]time.Duration(nil), tt.in...)
			if got := QuantilesOf(tt.in); got != tt.want {
				t.Errorf("QuantilesOf = %+v, want %+v", got, tt.want)
			}
			for i := range in {
				if in[i] != tt.in[i] {
					t.Fatal("QuantilesOf modified its input")
				}
			}
		})
	}
}

func TestMinSamples(t *testing.T) {
	for p, want := range map[float64]int{0.5: 2, 0.75: 4, 0.9: 10, 0.95: 20, 0.99: 100, 0.999: 1000, 0.9999: 10000, 0: 1, 1: math.MaxInt} {
		if got := MinSamples(p); got != want {
			t.Errorf("MinSamples(%v) = %d, want %d", p, got, want)
		}
	}
	// Below the rule the nearest-rank quantile is the maximum; at it, one
	// sample lies above.
	for _, p := range []float64{0.5, 0.9, 0.99, 0.999} {
		n := MinSamples(p)
		xs := make([]time.Duration, n)
		for i := range xs {
			xs[i] = time.Duration(i + 1)
		}
		if got := rank(xs, p); got != xs[n-2] {
			t.Errorf("p%v of %d samples = %v, want the second largest", p*100, n, got)
		}
		if got := rank(xs[:n-1], p); got != xs[n-2] {
			t.Errorf("p%v of %d samples = %v, want the max", p*100, n-1, got)
		}
	}
	q := Quantiles{N: 250}
	if !q.Supports(0.99) || q.Supports(0.999) {
		t.Error("250 samples support p99, not p99.9")
	}
	if (Quantiles{}).Supports(0.5) {
		t.Error("no samples support nothing")
	}
}

func TestPercentileEmpty(t *testing.T) {
	if _, err := Percentile(nil, 0.5); !errors.Is(err, ErrNoSamples) {
		t.Fatalf("Percentile(nil) error = %v, want ErrNoSamples", err)
	}
}

func TestSummarizeCountsErrors(t *testing.T) {
	s := Summarize([]Sample{
		{Code: 200, Latency: time.Millisecond},
		{Code: 500, Latency: time.Hour},
		{Code: 0, Error: "connection refused"},
		{Code: 204, Latency: 3 * time.Millisecond},
	}, 2*time.Second)
	if s.Requests != 4 || s.Answered != 3 || s.Errors != 2 {
		t.Fatalf("requests/answered/errors = %d/%d/%d, want 4/3/2", s.Requests, s.Answered, s.Errors)
	}
	if s.AchievedRate != 1.5 {
		t.Errorf("achieved rate = %v, want 1.5 (responses per second)", s.AchievedRate)
	}
	if s.Latency.Max != 3*time.Millisecond {
		t.Errorf("max = %v: failed requests must not enter the latency quantiles", s.Latency.Max)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		o    Options
	}{
		{"zero rate", Options{Rate: 0, Duration: time.Second}},
		{"negative rate", Options{Rate: -5, Duration: time.Second}},
		{"huge rate", Options{Rate: 1_000_000, Duration: time.Second}},
		{"zero duration", Options{Rate: 10}},
		{"negative timeout", Options{Rate: 10, Duration: time.Second, Timeout: -1}},
		{"negative procs", Options{Rate: 10, Duration: time.Second, Procs: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Run(context.Background(), Target{URL: "http://127.0.0.1:1/"}, tt.o); err == nil {
				t.Fatal("Run accepted invalid options")
			}
		})
	}
	if _, err := Run(context.Background(), Target{URL: "::not a url"}, Options{Rate: 1, Duration: time.Second}); err == nil {
		t.Fatal("Run accepted an invalid URL")
	}
}

func TestRunConstantRate(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)

	var progress []Progress
	res, err := Run(context.Background(), Target{URL: srv.URL}, Options{
		Rate: 200, Duration: 1500 * time.Millisecond,
		Progress: func(p Progress) { progress = append(progress, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Summary.Requests; n < 290 || n > 301 {
		t.Errorf("requests = %d, want about 300 (200/s for 1.5 s)", n)
	}
	if got, want := res.Summary.Errors, res.Summary.Requests/10; got < want-1 || got > want+1 {
		t.Errorf("errors = %d, want about %d (every tenth answer is a 503)", got, want)
	}
	if len(progress) == 0 || progress[0].Sent == 0 {
		t.Errorf("progress = %+v, want at least one report with requests sent", progress)
	}
	// A fast local server answers well within the 5 ms between requests:
	// the latency measured from the intended send time must show that.
	if p50 := res.Summary.Latency.P50; p50 > 4*time.Millisecond {
		t.Errorf("p50 = %v for an instant server: intended send times are off", p50)
	}
	for i, s := range res.Samples {
		if s.Latency < s.Service {
			t.Fatalf("sample %d: latency %v < service time %v", i, s.Latency, s.Service)
		}
	}
}

// A server that stalls once must show the stall in the latency of every
// request scheduled during it: a closed-loop tool would report one slow
// request and a clean tail (coordinated omission).
func TestRunAvoidsCoordinatedOmission(t *testing.T) {
	const stall = 300 * time.Millisecond
	var first atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if first.CompareAndSwap(false, true) {
			time.Sleep(stall)
		}
	}))
	t.Cleanup(srv.Close)
	// One worker: requests queue behind the stalled one, as on a server
	// that handles one request at a time.
	res, err := Run(context.Background(), Target{URL: srv.URL}, Options{Rate: 100, Duration: time.Second, MaxWorkers: 1})
	if err != nil {
		t.Fatal(err)
	}
	slow := 0
	for _, s := range res.Samples {
		if s.Latency >= 100*time.Millisecond {
			slow++
		}
	}
	// Requests intended in the first ~200 ms of the stall waited ≥ 100 ms.
	if slow < 15 {
		t.Errorf("%d samples ≥ 100 ms, want ≥ 15: delayed requests must count their wait", slow)
	}
}

func TestRunCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := Run(ctx, Target{URL: srv.URL}, Options{Rate: 50, Duration: time.Minute})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want deadline exceeded", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("Run did not stop promptly after its context ended")
	}
	if res == nil || len(res.Samples) == 0 {
		t.Fatal("want the samples gathered before the cancel")
	}
}

func TestPacerCatchesUp(t *testing.T) {
	p := newPacer(1000) // one hit per ms
	tests := []struct {
		elapsed time.Duration
		hits    uint64
		want    time.Duration
	}{
		{0, 0, time.Millisecond},                            // hit 0 is due at 1 ms
		{500 * time.Microsecond, 0, 500 * time.Microsecond}, // half way there
		{1500 * time.Millisecond, 10, 0},                    // far behind mid-second: send now
		{5 * time.Millisecond, 4, 0},                        // exactly due
		{5 * time.Millisecond, 9, 5 * time.Millisecond},     // ahead: wait
	}
	for _, tt := range tests {
		got, stop := p.Pace(tt.elapsed, tt.hits)
		if stop || got != tt.want {
			t.Errorf("Pace(%v, %d) = %v, %v; want %v, false", tt.elapsed, tt.hits, got, stop, tt.want)
		}
	}
	if r := p.Rate(0); r != 1000 {
		t.Errorf("Rate = %v, want 1000", r)
	}
}

// While a run lasts the process runs Go code on at most Procs threads; the
// setting before it is restored afterwards, also when runs overlap.
func TestRunLimitsProcsAndRestoresThem(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	if before < 2 {
		t.Skip("one CPU: nothing to lower")
	}
	var during atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		during.Store(int64(runtime.GOMAXPROCS(0)))
	}))
	t.Cleanup(srv.Close)
	restore := limitProcs(before) // an overlapping run that lowers nothing
	if _, err := Run(t.Context(), Target{URL: srv.URL}, Options{Rate: 20, Duration: 200 * time.Millisecond, Procs: 1}); err != nil {
		t.Fatal(err)
	}
	if got := during.Load(); got != 1 {
		t.Errorf("GOMAXPROCS during the run = %d, want 1", got)
	}
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("GOMAXPROCS = %d while the other run lasts, want still 1", got)
	}
	restore()
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Errorf("GOMAXPROCS after both runs = %d, want %d restored", got, before)
	}
}

// Run keeps its connections: the server sees Rate×Duration requests on
// at most MaxWorkers connections.
func TestRunUsesKeptConnections(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	res, err := Run(t.Context(), Target{URL: srv.URL}, Options{Rate: 500, Duration: time.Second, MaxWorkers: 8})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Requests < 450 || res.Summary.Errors != 0 {
		t.Fatalf("requests %d errors %d, want ~500 and none", res.Summary.Requests, res.Summary.Errors)
	}
	if n := conns.Load(); n > 8 {
		t.Errorf("%d connections for 8 workers: connections are not kept", n)
	}
}

func TestRunRejectsBadHeaders(t *testing.T) {
	for _, h := range []http.Header{
		{"Bad Name": {"v"}},
		{"": {"v"}},
		{"X-Split": {"a\r\nInjected: yes"}},
	} {
		_, err := Run(t.Context(), Target{URL: "http://127.0.0.1:1/", Header: h}, Options{Rate: 1, Duration: time.Second})
		if err == nil || !strings.Contains(err.Error(), "invalid") {
			t.Errorf("header %q: error = %v, want it refused before the run", h, err)
		}
	}
}

// A caller's client (one that signs requests) keeps the run's timeout and
// its rule of following no redirect: vegeta.Client replaced both with the
// client's own (none and ten redirects followed).
func TestRunWithACallersClientKeepsTimeoutAndNoRedirect(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var signed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Signed") == "yes" {
			signed.Add(1)
		}
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "/slow":
			select { // a bounded wait, so that a missing timeout fails rather than hangs
			case <-release:
			case <-r.Context().Done():
			case <-time.After(3 * time.Second):
			}
		}
	}))
	t.Cleanup(srv.Close)
	caller := &http.Client{Transport: signer{http.DefaultTransport}}
	opts := Options{Rate: 20, Duration: 250 * time.Millisecond, Timeout: 100 * time.Millisecond, Client: caller}

	res, err := Run(t.Context(), Target{URL: srv.URL + "/moved"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Samples {
		if s.Code != http.StatusFound {
			t.Fatalf("sample %+v: want the 302 itself, the redirect not followed", s)
		}
	}
	start := time.Now()
	res, err = Run(t.Context(), Target{URL: srv.URL + "/slow"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Samples) == 0 || res.Summary.Errors != len(res.Samples) {
		t.Fatalf("%d errors of %d requests to a server that never answers, want all", res.Summary.Errors, len(res.Samples))
	}
	for _, s := range res.Samples {
		if s.Service > 2*time.Second {
			t.Fatalf("sample %+v: the 100 ms timeout did not apply", s)
		}
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the run took %s: the timeout did not apply", took)
	}
	if n := signed.Load(); n == 0 {
		t.Error("no request went through the caller's transport")
	}
	if caller.Timeout != 0 || caller.CheckRedirect != nil {
		t.Error("the caller's client was changed")
	}
}

// signer marks every request, as a signing transport would.
type signer struct{ rt http.RoundTripper }

func (s signer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Signed", "yes")
	return s.rt.RoundTrip(r)
}
