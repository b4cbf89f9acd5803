package coldstart

import (
	"context"
	"net/http"
	"time"

	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/probe"
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
	at := time.Since(t0)
	res, err := probe.Whoami(ctx, hc, base)
	r := Request{At: at, Latency: res.Latency, Status: res.Status,
		InstanceID: res.Who.InstanceID, Cold: res.Who.Cold, RequestsServed: res.Who.RequestsServed}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

// burst sends n GET /whoami at once: every goroutine waits at the same
// gate, so all n arrive while the earlier ones are still being served.
func burst(ctx context.Context, hc *http.Client, base string, n int, t0 time.Time) []Request {
	return kit.Together(n, func(int) Request { return whoami(ctx, hc, base, t0) })
}
