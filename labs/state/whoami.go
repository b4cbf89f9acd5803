package state

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/probe"
)

// Request is one GET /whoami and what the instance remembered.
type Request struct {
	Latency        time.Duration `json:"latency_ns"`
	Error          string        `json:"error,omitempty"`
	InstanceID     string        `json:"instance_id,omitempty"`
	Cold           bool          `json:"cold"`
	RequestsServed int64         `json:"requests_served"`
}

// OK reports whether the app answered.
func (r Request) OK() bool { return r.Error == "" }

// whoami sends one GET /whoami; a failure is recorded in the Request.
func whoami(ctx context.Context, hc *http.Client, base string) Request {
	res, err := probe.Whoami(ctx, hc, base)
	r := Request{Latency: res.Latency, InstanceID: res.Who.InstanceID, Cold: res.Who.Cold, RequestsServed: res.Who.RequestsServed}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

// sequential sends n requests one after the other.
func sequential(ctx context.Context, hc *http.Client, base string, n int) ([]Request, error) {
	out := make([]Request, 0, n)
	for range n {
		r := whoami(ctx, hc, base)
		out = append(out, r)
		if !r.OK() {
			return out, fmt.Errorf("GET /whoami: %s", r.Error)
		}
	}
	return out, nil
}

// concurrent runs workers clients, each sending perWorker requests one
// after the other; they all start at the same moment, so the platform sees
// workers requests in flight at once.
func concurrent(ctx context.Context, hc *http.Client, base string, workers, perWorker int) ([]Request, error) {
	out := kit.Together(workers, func(int) []Request {
		var rs []Request
		for range perWorker {
			rs = append(rs, whoami(ctx, hc, base))
		}
		return rs
	})
	var all []Request
	for _, rs := range out {
		all = append(all, rs...)
	}
	for _, r := range all {
		if !r.OK() {
			return all, fmt.Errorf("GET /whoami: %s", r.Error)
		}
	}
	return all, nil
}

// Instance is what one instance's counter said by the end of a phase.
type Instance struct {
	InstanceID string `json:"instance_id"`
	// Seen is how many of the phase's requests it answered; Counter is its
	// highest requests_served. On a fresh instance the two are equal.
	Seen    int   `json:"seen"`
	Counter int64 `json:"counter"`
}

// instances groups requests by the instance that answered, in order of
// first appearance.
func instances(rs []Request) []Instance {
	idx := map[string]int{}
	var out []Instance
	for _, r := range rs {
		if !r.OK() {
			continue
		}
		i, ok := idx[r.InstanceID]
		if !ok {
			i = len(out)
			idx[r.InstanceID] = i
			out = append(out, Instance{InstanceID: r.InstanceID})
		}
		out[i].Seen++
		out[i].Counter = max(out[i].Counter, r.RequestsServed)
	}
	return out
}
