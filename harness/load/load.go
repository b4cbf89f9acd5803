// Package load drives open-loop, constant-rate HTTP load and summarises it
// with exact percentiles.
//
// Requests are sent on a fixed schedule (vegeta's attacker, which adds
// workers rather than wait for slow responses, with a constant pacer), and each
// latency is measured from the request's intended send time, not from when a
// worker got round to it. A slow response therefore counts against every
// request it delayed: this is how coordinated omission is avoided (Gil Tene,
// wrk2). Percentiles are computed from every raw sample, sorted: exact, not
// estimated.
//
// The generator usually shares the machine with what it measures, so it is
// kept cheap: while a run lasts its process runs Go code on at most
// Options.Procs threads (GOMAXPROCS; a quarter of the CPUs, at least one,
// by default), which saves the cross-core wake-ups that cost the app CPU.
// Requests go through net/http's Transport (keep-alive, an idle connection
// kept per worker, no redirect followed, Timeout per request).
// BenchmarkFidelityThroughput (in this package) measures it beside wrk.
// An HTTP/1.1 client of the generator's own was measured beside net/http
// in that benchmark (2026-11-30: 1.16× net/http's saturation rate, the
// median of five paired runs, short of the 1.2× that would have paid for
// its thousand lines) and removed.
//
// That cap is process-wide, so the generator runs in a process of its own
// (RunIsolated, worker.go): nothing it measures shares its process, its
// scheduler or its cap. Run, in the caller's process, is for callers whose
// client must sign requests (a cloud Function URL), where nothing measured
// lives in the caller's process.
package load

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Target is the request sent on every tick.
type Target struct {
	Method string
	URL    string
	Body   []byte
	Header http.Header
}

// Options shape a run. Rate and Duration are required.
type Options struct {
	// Rate is requests per second.
	Rate int
	// Duration is how long requests are sent.
	Duration time.Duration
	// Timeout bounds each request (default 10 s).
	Timeout time.Duration
	// MaxWorkers caps concurrent requests in flight (default 1,000).
	MaxWorkers uint64
	// Procs caps the threads running Go code in the generator's process
	// while the run lasts (GOMAXPROCS, restored afterwards; concurrent
	// runs in one process share the lowest cap). 0 means a quarter of the
	// CPUs, at least 1: one drives tens of thousands of requests per
	// second, and leaves the other cores to the system under test when
	// both share the machine.
	Procs int
	// Client sends the requests (e.g. one that signs them) through its
	// Transport, in a copy whose Timeout is Timeout and which follows no
	// redirect (a 3xx is a sample's answer), as without one; the caller's
	// client is left as it was. nil means a keep-alive net/http Transport
	// that keeps an idle connection per worker.
	Client *http.Client
	// Progress, when set, is called about once a second with the figures so far.
	Progress func(Progress)
}

// Progress is a live view of a run.
type Progress struct {
	Elapsed  time.Duration
	Sent     int
	Errors   int
	LiveRate float64 // responses per second over the last interval
}

// Sample is one request: a flat record, kept raw beside every summary.
type Sample struct {
	Seq uint64 `json:"seq"`
	// Offset is the intended send time, from the start of the run.
	Offset time.Duration `json:"offset_ns"`
	// Latency is from the intended send time to the end of the response.
	Latency time.Duration `json:"latency_ns"`
	// Service is from the actual send time to the end of the response.
	Service time.Duration `json:"service_ns"`
	Code    int           `json:"code"`
	Error   string        `json:"error,omitempty"`
}

// OK reports whether the request succeeded (a 2xx and no transport error).
func (s Sample) OK() bool { return s.Error == "" && s.Code >= 200 && s.Code < 300 }

// Result is a run's raw samples and its summary.
type Result struct {
	Rate     int           `json:"rate"`
	Duration time.Duration `json:"duration_ns"`
	Summary  Summary       `json:"summary"`
	Samples  []Sample      `json:"samples,omitempty"` // results.json (schema 2) keeps them in a file beside it
}

// Validate checks the options before anything is sent.
func (o Options) Validate() error {
	switch {
	case o.Rate <= 0:
		return fmt.Errorf("rate %d: must be at least 1 request per second", o.Rate)
	case o.Rate > 100_000:
		return fmt.Errorf("rate %d: at most 100000 requests per second", o.Rate)
	case o.Duration <= 0:
		return fmt.Errorf("duration %s: must be positive", o.Duration)
	case o.Timeout < 0:
		return fmt.Errorf("timeout %s: must not be negative", o.Timeout)
	case o.Procs < 0:
		return fmt.Errorf("procs %d: must not be negative", o.Procs)
	}
	return nil
}

// Run sends tgt at opts.Rate for opts.Duration, or until ctx ends (then the
// samples so far are returned with ctx's error), in this process: while it
// lasts, every goroutine of the process runs on at most opts.Procs threads.
// Use RunIsolated unless opts.Client must sign requests and nothing
// measured lives in this process.
func Run(ctx context.Context, tgt Target, opts Options) (*Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := validTarget(tgt); err != nil {
		return nil, err
	}
	if tgt.Method == "" {
		tgt.Method = http.MethodGet
	}
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.MaxWorkers == 0 {
		opts.MaxWorkers = 1000
	}
	if opts.Procs == 0 {
		opts.Procs = max(1, runtime.NumCPU()/4)
	}
	defer limitProcs(opts.Procs)()
	attackerOpts := []func(*vegeta.Attacker){
		vegeta.MaxWorkers(opts.MaxWorkers),
		// Response bodies are read to the end (the connection is reused)
		// but not kept: a sample is a flat record.
		vegeta.MaxBody(0),
		vegeta.Workers(min(opts.MaxWorkers, 64)),
	}
	// vegeta.Client replaces the whole client vegeta's options would set
	// up: the one handed over carries the timeout and redirect rule.
	var client http.Client
	if opts.Client != nil {
		client = *opts.Client
	} else {
		tr := newTransport(opts)
		defer tr.CloseIdleConnections()
		client.Transport = tr
	}
	client.Timeout = opts.Timeout
	client.CheckRedirect = noFollow
	attackerOpts = append(attackerOpts, vegeta.Client(&client))
	atk := vegeta.NewAttacker(attackerOpts...)
	pc := newPacer(opts.Rate)
	interval := pc.interval
	targeter := vegeta.NewStaticTargeter(vegeta.Target{
		Method: tgt.Method, URL: tgt.URL, Body: tgt.Body, Header: tgt.Header,
	})

	// vegeta starts its clock inside Attack; ours is taken just before, so
	// intended send times are at most microseconds early (latencies at most
	// that much too long).
	began := time.Now()
	results := atk.Attack(targeter, pc, opts.Duration, "")

	// Progress and cancellation are watched beside the loop that collects
	// results, which then does nothing else per result.
	var done, errCount atomic.Int64
	var ctxErr error
	scheduleEnd := opts.Duration // when the schedule stopped calling for requests
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var last int64
		lastAt := began
		ctxDone := ctx.Done()
		for {
			select {
			case <-stop:
				return
			case <-ctxDone:
				ctxErr = ctx.Err()
				scheduleEnd = min(scheduleEnd, time.Since(began))
				atk.Stop()    // results drain and the channel closes
				ctxDone = nil // once
			case now := <-tick.C:
				if opts.Progress != nil {
					n := done.Load()
					opts.Progress(Progress{
						Elapsed:  now.Sub(began),
						Sent:     int(n),
						Errors:   int(errCount.Load()),
						LiveRate: float64(n-last) / now.Sub(lastAt).Seconds(),
					})
					last, lastAt = n, now
				}
			}
		}
	}()

	res := &Result{Rate: opts.Rate, Duration: opts.Duration}
	res.Samples = make([]Sample, 0, int(float64(opts.Rate)*opts.Duration.Seconds())+1)
	for r := range results {
		s := sampleOf(r, began, interval)
		if !s.OK() {
			errCount.Add(1)
		}
		res.Samples = append(res.Samples, s)
		done.Add(1)
	}
	close(stop)
	<-stopped
	res.Summary = Summarize(res.Samples, time.Since(began))
	// Hit k is due at (k+1) intervals and is sent if due by the end.
	res.Summary.Scheduled = int(scheduleEnd / interval)
	if ctxErr != nil {
		return res, fmt.Errorf("load interrupted: %w", ctxErr)
	}
	return res, nil
}

// procs is the GOMAXPROCS cap of the runs under way.
var procs struct {
	sync.Mutex
	active int
	saved  int
}

// limitProcs lowers GOMAXPROCS to n (if that is lower) until the returned
// function is called; the value before the first of concurrent runs is
// restored when the last one ends.
func limitProcs(n int) (restore func()) {
	procs.Lock()
	defer procs.Unlock()
	if procs.active == 0 {
		procs.saved = runtime.GOMAXPROCS(0)
	}
	procs.active++
	if n < runtime.GOMAXPROCS(0) {
		runtime.GOMAXPROCS(n)
	}
	return func() {
		procs.Lock()
		defer procs.Unlock()
		if procs.active--; procs.active == 0 {
			runtime.GOMAXPROCS(procs.saved)
		}
	}
}

// noFollow makes a client return a redirect as the response.
func noFollow(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// newTransport is the generator's own Transport: keep-alive, as many idle
// connections kept as workers may be in flight (net/http keeps two per
// host by default, and would open and close one per request above that),
// HTTP/1.1 (what the labs' apps serve in plain http; a Function URL takes
// it too), proxies from the environment.
func newTransport(opts Options) *http.Transport {
	d := &net.Dialer{Timeout: opts.Timeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         d.DialContext,
		MaxIdleConns:        0, // no limit across hosts; per host below
		MaxIdleConnsPerHost: int(min(opts.MaxWorkers, 10_000)),
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: opts.Timeout,
		ForceAttemptHTTP2:   false,
	}
}

// validHeaders refuses header names and values that would break the
// request's framing, before anything is sent (net/http would refuse each
// request of the run).
func validHeaders(h http.Header) error {
	for k, vs := range h {
		if k == "" || strings.ContainsAny(k, " \t\r\n:") {
			return fmt.Errorf("load: invalid header name %q", k)
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				return fmt.Errorf("load: invalid value for header %s", k)
			}
		}
	}
	return nil
}

// sampleOf converts vegeta's result, re-basing latency on the intended send
// time of its sequence number: the pacer schedules hit k (from 0) at (k+1)
// intervals after the start.
func sampleOf(r *vegeta.Result, began time.Time, interval time.Duration) Sample {
	intended := time.Duration(r.Seq+1) * interval
	end := r.Timestamp.Add(r.Latency).Sub(began)
	lat := end - intended
	if lat < r.Latency {
		lat = r.Latency
	}
	return Sample{
		Seq: r.Seq, Offset: intended, Latency: lat, Service: r.Latency,
		Code: int(r.Code), Error: r.Error,
	}
}

// ErrNoSamples is returned by Percentile on an empty input.
var ErrNoSamples = errors.New("no samples")
