package storm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/computeladder/computeladder/app"
)

// orderBody is one small cart.
const orderBody = `{"items":[{"sku":"TEA-1","quantity":2,"unit_price_cents":1299}],"region":"CA"}`

// Round is one burst of concurrent POST /orders.
type Round struct {
	Round int `json:"round"`
	// Created answered 201; DBUnavailable 503 database_unavailable;
	// Throttled 429 (the platform's concurrency limit); Other anything
	// else (OtherSample shows one).
	Created       int    `json:"created"`
	DBUnavailable int    `json:"database_unavailable"`
	Throttled     int    `json:"throttled"`
	Other         int    `json:"other"`
	OtherSample   string `json:"other_sample,omitempty"`
	// Latencies of every request, in send order.
	Latencies []time.Duration `json:"latencies_ns"`
	// ServerConnections is the app role's connections on the server after
	// the burst (pg_stat_activity).
	ServerConnections int `json:"server_connections"`
}

// Burst sends n POST /orders at once and classifies the answers (the
// checkout lab sends its order spike with it too).
func Burst(ctx context.Context, hc *http.Client, base string, n int) Round {
	type answer struct {
		status int
		code   string
		err    error
		lat    time.Duration
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			t := time.Now()
			a := &answers[i]
			a.status, a.code, a.err = postOrder(ctx, hc, base)
			a.lat = time.Since(t)
		}()
	}
	close(start)
	wg.Wait()
	var r Round
	for _, a := range answers {
		r.Latencies = append(r.Latencies, a.lat)
		switch {
		case a.err == nil && a.status == http.StatusCreated:
			r.Created++
		case a.err == nil && a.status == http.StatusServiceUnavailable && a.code == app.CodeDatabaseUnavailable:
			r.DBUnavailable++
		case a.err == nil && a.status == http.StatusTooManyRequests:
			r.Throttled++
		default:
			r.Other++
			if r.OtherSample == "" {
				if a.err != nil {
					r.OtherSample = a.err.Error()
				} else {
					r.OtherSample = fmt.Sprintf("status %d %s", a.status, a.code)
				}
			}
		}
	}
	return r
}

// postOrder sends one order and returns the status and the error code of
// an error body.
func postOrder(ctx context.Context, hc *http.Client, base string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/orders", bytes.NewReader([]byte(orderBody)))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return resp.StatusCode, "", fmt.Errorf("read body: %w", err)
	}
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e) // a 201 or a throttle has no error code
	return resp.StatusCode, e.Error.Code, nil
}

// percentile returns the exact nearest-rank p-th percentile (0 < p ≤ 100).
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	k := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(k, len(s)-1))]
}
