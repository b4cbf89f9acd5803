package coldstart

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/computeladder/computeladder/app"
)

// Request is one GET /whoami as the client saw it.
type Request struct {
	// At is when the request was sent, relative to the scenario's start.
	At      time.Duration `json:"at_ns"`
	Latency time.Duration `json:"latency_ns"`
	Status  int           `json:"status"`
	Error   string        `json:"error,omitempty"`
	// InstanceID, Cold and RequestsServed are the app's answer.
	InstanceID     string `json:"instance_id,omitempty"`
	Cold           bool   `json:"cold"`
	RequestsServed int64  `json:"requests_served,omitempty"`
}

// OK reports whether the app answered.
func (r Request) OK() bool { return r.Status == http.StatusOK && r.Error == "" }

// whoami sends one GET /whoami and times it; a failure is recorded in the
// Request, not returned, so that a burst keeps every sample.
func whoami(ctx context.Context, hc *http.Client, base string, t0 time.Time) Request {
	start := time.Now()
	r := Request{At: start.Sub(t0)}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/whoami", nil)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	resp, err := hc.Do(req)
	if err != nil {
		r.Latency, r.Error = time.Since(start), err.Error()
		return r
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	r.Latency, r.Status = time.Since(start), resp.StatusCode
	if err != nil {
		r.Error = fmt.Sprintf("read body: %v", err)
		return r
	}
	if resp.StatusCode != http.StatusOK {
		r.Error = fmt.Sprintf("status %d: %.200s", resp.StatusCode, body)
		return r
	}
	var w app.Whoami
	if err := json.Unmarshal(body, &w); err != nil {
		r.Error = fmt.Sprintf("decode whoami: %v", err)
		return r
	}
	r.InstanceID, r.Cold, r.RequestsServed = w.InstanceID, w.Cold, w.RequestsServed
	return r
}

// burst sends n GET /whoami at once: every goroutine waits at the same
// gate, so all n arrive while the earlier ones are still being served.
func burst(ctx context.Context, hc *http.Client, base string, n int, t0 time.Time) []Request {
	out := make([]Request, n)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			out[i] = whoami(ctx, hc, base, t0)
		}()
	}
	close(gate)
	wg.Wait()
	return out
}
