package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunIsolatedLeavesThisProcessUncapped is the regression test for the
// generator's GOMAXPROCS cap reaching what it measures: a server in the
// caller's process (as the local Function URL gateway is in the harness's)
// ran on one thread while the load lasted. In a worker, the cap stays
// there.
func TestRunIsolatedLeavesThisProcessUncapped(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	if before < 2 {
		t.Skip("one CPU: there is no cap to see")
	}
	var lowest atomic.Int64
	lowest.Store(int64(before))
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		if n := int64(runtime.GOMAXPROCS(0)); n < lowest.Load() {
			lowest.Store(n)
		}
	}))
	t.Cleanup(srv.Close)
	res, err := RunIsolated(t.Context(), Target{URL: srv.URL}, Options{Rate: 100, Duration: 500 * time.Millisecond, Procs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := lowest.Load(); got != int64(before) {
		t.Errorf("GOMAXPROCS in the measured process fell to %d during the load, want %d untouched", got, before)
	}
	s := res.Summary
	if s.Scheduled != 50 || s.Requests != 50 || s.Answered != 50 || s.Errors != 0 || len(res.Samples) != 50 {
		t.Errorf("scheduled/sent/answered/errors/samples = %d/%d/%d/%d/%d, want 50/50/50/0/50", s.Scheduled, s.Requests, s.Answered, s.Errors, len(res.Samples))
	}
	if s.Latency.N != 50 || s.Latency.P50 <= 0 {
		t.Errorf("latency = %+v, want 50 samples' quantiles", s.Latency)
	}
	if s.FellBehind(100) {
		t.Errorf("achieved %.1f/s of 100: flagged as behind", s.AchievedRate)
	}
}

func TestRunIsolatedReportsProgressAndStops(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	var reports atomic.Int64
	start := time.Now()
	res, err := RunIsolated(ctx, Target{URL: srv.URL}, Options{
		Rate: 50, Duration: time.Minute,
		Progress: func(p Progress) {
			if p.Sent > 0 {
				reports.Add(1)
			}
		},
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want the deadline", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("the worker did not stop promptly when the context ended")
	}
	if res == nil || len(res.Samples) == 0 {
		t.Fatal("want the samples gathered before the stop")
	}
	if sc := res.Summary.Scheduled; sc < 50 || sc > 80 {
		t.Errorf("scheduled = %d, want what 1.5 s of a 50/s schedule calls for, not a minute's", sc)
	}
	if reports.Load() == 0 {
		t.Error("no progress report came back from the worker")
	}
}

func TestRunIsolatedRefusesWhatCannotCross(t *testing.T) {
	if _, err := RunIsolated(t.Context(), Target{URL: "http://127.0.0.1:1"}, Options{Rate: 1, Duration: time.Second, Client: http.DefaultClient}); err == nil || !strings.Contains(err.Error(), "use Run") {
		t.Errorf("a client was accepted: %v", err)
	}
	if _, err := RunIsolated(t.Context(), Target{URL: "http://[::1"}, Options{Rate: 1, Duration: time.Second}); err == nil || !strings.Contains(err.Error(), "load target") {
		t.Errorf("a bad target was handed to a worker: %v", err)
	}
	if _, err := RunIsolated(t.Context(), Target{URL: "http://x", Header: http.Header{"Bad\nName": {"v"}}}, Options{Rate: 1, Duration: time.Second}); err == nil {
		t.Error("a bad header was handed to a worker")
	}
}

// A worker that ends without a result (an executable that never served
// one) is an error that says what to check.
func TestReadWorkerWithoutResult(t *testing.T) {
	var buf bytes.Buffer
	_ = writeFrame(&buf, frameProgress, []byte(`{"Sent":1}`))
	_, err := readWorker(bufio.NewReader(&buf), nil)
	if err == nil || !strings.Contains(err.Error(), "without a result") {
		t.Fatalf("error = %v, want one that says the worker ended without a result", err)
	}
	buf.Reset()
	buf.Write([]byte{frameResult, 200})
	if _, err := readWorker(bufio.NewReader(&buf), nil); err == nil {
		t.Fatal("a truncated frame was accepted")
	}
	buf.Reset()
	_ = writeFrame(&buf, 'x', nil)
	if _, err := readWorker(bufio.NewReader(&buf), nil); err == nil || !strings.Contains(err.Error(), "unknown frame") {
		t.Fatalf("error = %v, want an unknown frame refused", err)
	}
}

// TestRunCountsWhatTheScheduleCalledFor is the regression test for an
// overloaded run that looked clean: a target that answers one request at a
// time, slowly, cannot take 200 req/s; the requests the schedule called
// for and never sent must be counted, and the run flagged as behind.
func TestRunCountsWhatTheScheduleCalledFor(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		time.Sleep(20 * time.Millisecond)
	}))
	t.Cleanup(srv.Close)
	res, err := Run(t.Context(), Target{URL: srv.URL}, Options{Rate: 200, Duration: 500 * time.Millisecond, MaxWorkers: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	if s.Scheduled != 100 {
		t.Errorf("scheduled = %d, want 100 (200/s for 0.5 s)", s.Scheduled)
	}
	if s.Requests > 40 || s.Unsent() != s.Scheduled-s.Requests || s.Unsent() < 60 {
		t.Errorf("sent %d, unsent %d of %d: a 20 ms one-at-a-time target takes at most ~25", s.Requests, s.Unsent(), s.Scheduled)
	}
	if !s.FellBehind(200) {
		t.Errorf("achieved %.1f/s of 200 and not flagged as behind", s.AchievedRate)
	}
}
