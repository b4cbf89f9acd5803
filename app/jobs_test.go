package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRunJob(t *testing.T) {
	tests := []struct {
		seconds float64
		steps   int
	}{
		{0.25, 3}, // two full steps and a half one
		{0.2, 2},  // 0.2 s is exactly 2 steps despite float error
		{0.001, 1},
	}
	for _, tt := range tests {
		var seen []JobProgress
		start := time.Now()
		res, err := RunJob(t.Context(), tt.seconds, func(p JobProgress) { seen = append(seen, p) })
		took := time.Since(start)
		if err != nil {
			t.Fatalf("RunJob(%v): %v", tt.seconds, err)
		}
		if !res.Done || res.Steps != tt.steps || len(seen) != tt.steps || res.Hashes == 0 || len(res.Digest) != 64 {
			t.Errorf("RunJob(%v) = %+v after %d progress calls, want done in %d steps", tt.seconds, res, len(seen), tt.steps)
		}
		for i, p := range seen {
			if p.Step != i+1 || p.Steps != tt.steps || p.Done || (i > 0 && p.Hashes <= seen[i-1].Hashes) {
				t.Errorf("progress %d = %+v", i, p)
			}
		}
		want := time.Duration(tt.seconds * float64(time.Second))
		if took < want || took > want+time.Second {
			t.Errorf("RunJob(%v) took %v", tt.seconds, took)
		}
	}
}

func TestRunJobCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := RunJob(ctx, 10, nil)
	if !errors.Is(err, context.DeadlineExceeded) || res.Done {
		t.Fatalf("RunJob = %+v, %v; want not done, deadline exceeded", res, err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("cancellation took %v", took)
	}
}

func TestRunJobInvalid(t *testing.T) {
	for _, s := range []float64{0, -1, MaxJobSeconds + 0.001, math.NaN(), math.Inf(1)} {
		_, err := RunJob(t.Context(), s, nil)
		if e, ok := errors.AsType[*Error](err); !ok || e.Code != CodeInvalidDuration || e.Status != 400 {
			t.Errorf("RunJob(%v) error = %v, want 400 invalid_duration", s, err)
		}
	}
}

// TestJobsStream checks that lines arrive as the job runs (not buffered to
// the end) and that a client going away stops the job.
func TestJobsStream(t *testing.T) {
	srv := httptest.NewServer(New(Config{}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", srv.URL+"/jobs", strings.NewReader(`{"seconds":30}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	for i := 1; i <= 2; i++ {
		if !sc.Scan() {
			t.Fatalf("stream ended: %v", sc.Err())
		}
		var p JobProgress
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil || p.Step != i || p.Steps != 300 {
			t.Fatalf("line %d = %s (%v)", i, sc.Bytes(), err)
		}
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("two progress lines took %v: the stream is buffered", took)
	}
	cancel()
	// srv.Close (at cleanup) waits for the handler: it returns promptly only
	// if the job saw the cancellation.
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the job kept running after the client went away")
	}
}

func TestJobsEndToEnd(t *testing.T) {
	status, hdr, body := serve(t, New(Config{}), "POST", "/jobs", "application/json", []byte(`{"seconds":0.15}`))
	if status != 200 || hdr.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("status %d %q", status, hdr.Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 2 progress + 1 summary:\n%s", len(lines), body)
	}
	var res JobResult
	if err := json.Unmarshal([]byte(lines[2]), &res); err != nil || !res.Done || res.Steps != 2 || res.Seconds != 0.15 {
		t.Errorf("summary %s (%v)", lines[2], err)
	}
}

func TestJobsCancelledLine(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	r := httptest.NewRequestWithContext(ctx, "POST", "/jobs", strings.NewReader(`{"seconds":5}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	New(Config{}).ServeHTTP(w, r)
	lines := strings.Split(strings.TrimSpace(w.Body.String()), "\n")
	var last struct {
		Done  bool
		Error struct{ Code string }
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Done || last.Error.Code != CodeCancelled {
		t.Errorf("last line %s (%v), want done false with error cancelled", lines[len(lines)-1], err)
	}
}
