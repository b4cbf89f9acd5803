package deployers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// DefaultPollInterval is how often readiness is probed: fast enough that the
// detected moment is within a few milliseconds of the real one.
const DefaultPollInterval = 2 * time.Millisecond

// MaxHedgedProbes bounds the hedged probes waiting for an answer at once
// (see Probe.Hedged). With probes started every interval, each may take
// MaxHedgedProbes intervals to be answered before the oldest gives way:
// 128 ms at the default interval, 32 s at half a second.
const MaxHedgedProbes = 64

// Probe is how a deployer waits for its endpoint to answer.
//
// Why hedged probes: a port forwarder (QEMU's user-mode network, a cloud
// instance whose kernel is still booting) may accept a connection, or let
// its SYN go unanswered, long before anything behind it listens; a probe on
// such a connection hangs until its own timeout, so one probe at a time
// with a timeout of T lands the first 200 on steps of T after the app was
// ready. Started every interval whatever the earlier ones are doing, the
// first probe sent after the app listens is answered at once: the first
// 200 is seen within an interval (plus one round trip) of the moment the
// app could answer, locally as on a slow cloud endpoint, and nothing
// quantizes it.
type Probe struct {
	// Client sends the probes; nil means a client that opens a fresh
	// connection for every probe (a kept-alive connection to a forwarder
	// can look healthy while nothing listens behind it) and uses no proxy.
	Client *http.Client
	// Interval is the time between probe starts (DefaultPollInterval when 0).
	Interval time.Duration
	// Hedged starts a probe every Interval while earlier ones still wait,
	// at most MaxHedgedProbes at once (the oldest is cancelled to make
	// room); the first 200 wins and cancels the rest. Without it one probe
	// runs at a time, bounded only by the client's Timeout and ctx: the
	// right choice where every probe is real work the platform scales out
	// for — a Function URL starts an execution environment per concurrent
	// request, so hedging there would start environments, not detect one.
	Hedged bool
	// Alive, when set, is called every Interval (before each probe
	// starts, and while an unhedged probe waits); its error (the
	// container or VM exited) ends the wait at once, so a dead process
	// fails fast instead of at the deadline.
	Alive func() error
	// AnyStatus counts any HTTP answer as ready, for a server that
	// answers requests but serves no health path (an emulator's 404).
	AnyStatus bool
}

// WaitReady waits with hedged probes and fresh connections (see Probe)
// until GET url answers 200, and returns the moment the 200 arrived.
// ctx bounds the wait.
func WaitReady(ctx context.Context, url string, interval time.Duration, alive func() error) (time.Time, error) {
	return Probe{Interval: interval, Alive: alive, Hedged: true}.Wait(ctx, url)
}

// WaitReadyVia is WaitReady with the caller's client (e.g. one that signs
// its requests), one probe at a time: for endpoints where each probe is real
// work (see Probe.Hedged).
func WaitReadyVia(ctx context.Context, client *http.Client, url string, interval time.Duration, alive func() error) (time.Time, error) {
	return Probe{Client: client, Interval: interval, Alive: alive}.Wait(ctx, url)
}

// probeResult is one finished probe.
type probeResult struct {
	seq int // start order, from 1
	at  time.Time
	err error // nil: ready
}

// Wait probes GET url until it is ready, and returns the moment the
// winning answer arrived. When the wait ends without one, the error wraps
// ctx's (or Alive's) and the most telling probe's: that of the latest
// probe that was answered or failed on its own (a *StatusError when it was
// answered with another status), not one this wait cancelled.
func (p Probe) Wait(ctx context.Context, url string) (time.Time, error) {
	interval := p.Interval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	client := p.Client
	if client == nil {
		client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	}
	if _, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil); err != nil {
		return time.Time{}, fmt.Errorf("readiness probe: %w", err)
	}
	limit := 1
	if p.Hedged {
		limit = MaxHedgedProbes
	}

	ctx, cancelAll := context.WithCancel(ctx)
	defer cancelAll()
	done := make(chan probeResult, limit)
	type waiting struct {
		seq    int
		cancel func()
	}
	var (
		flying      []waiting // probes not cancelled yet, oldest first
		outstanding int       // probes whose result has not come back
		seq         int
		last        probeResult // the most telling failure so far
		lastRank    int
	)
	// note keeps the most telling failure: one that ended on its own
	// outranks one this wait cancelled or the deadline cut short; among
	// equals, the later probe wins.
	note := func(r probeResult) {
		outstanding--
		for i, f := range flying {
			if f.seq == r.seq {
				f.cancel()
				flying = append(flying[:i], flying[i+1:]...)
				break
			}
		}
		if r.err == nil {
			return
		}
		rank := 2
		if errors.Is(r.err, errHedgeCancelled) || ctx.Err() != nil {
			rank = 1
		}
		if rank > lastRank || rank == lastRank && r.seq > last.seq {
			last, lastRank = r, rank
		}
	}
	// drain cancels every probe still running and waits for it, so that
	// none outlives the call.
	drain := func() {
		cancelAll()
		for outstanding > 0 {
			note(<-done)
		}
	}
	start := func() error {
		if err := p.alive(); err != nil {
			return err
		}
		if len(flying) == limit {
			// The oldest gives way; its result still comes back.
			flying[0].cancel()
			flying = flying[1:]
		}
		seq++
		pctx, cancel := context.WithCancelCause(ctx)
		flying = append(flying, waiting{seq: seq, cancel: func() { cancel(errHedgeCancelled) }})
		outstanding++
		go func(seq int) { done <- p.once(pctx, client, url, seq) }(seq)
		return nil
	}

	tick := time.NewTicker(interval)
	defer tick.Stop()
	if err := start(); err != nil {
		return time.Time{}, err
	}
	for {
		select {
		case r := <-done:
			note(r)
			if r.err == nil {
				drain()
				return r.at, nil
			}
			if !p.Hedged {
				// One at a time: the next probe starts an interval
				// after this one ended, as in a plain poll loop.
				tick.Reset(interval)
			}
		case <-tick.C:
			if !p.Hedged && outstanding > 0 {
				// A probe still waits; a process that died meanwhile
				// ends the wait now, not when the probe gives up.
				if err := p.alive(); err != nil {
					drain()
					return time.Time{}, err
				}
				continue
			}
			if err := start(); err != nil {
				drain()
				return time.Time{}, err
			}
		case <-ctx.Done():
			err := ctx.Err()
			drain()
			lastErr := last.err
			if lastErr == nil {
				lastErr = err
			}
			return time.Time{}, fmt.Errorf("not ready: %w (last probe: %w)", err, lastErr)
		}
	}
}

func (p Probe) alive() error {
	if p.Alive == nil {
		return nil
	}
	return p.Alive()
}

// errHedgeCancelled is the cause given to a probe this wait cancelled.
var errHedgeCancelled = errors.New("probe cancelled: a newer one took its place")

// once sends one probe and reports how it ended. The moment is taken when
// the response's header has arrived: the app answered then.
func (p Probe) once(ctx context.Context, client *http.Client, url string, seq int) probeResult {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return probeResult{seq: seq, err: err}
	}
	resp, err := client.Do(req)
	at := time.Now()
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, errHedgeCancelled) {
			err = cause
		}
		return probeResult{seq: seq, err: err}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK || p.AnyStatus {
		return probeResult{seq: seq, at: at}
	}
	return probeResult{seq: seq, at: at, err: &StatusError{URL: url, Code: resp.StatusCode, Status: resp.Status}}
}

// StatusError is a readiness probe answered with a status other than 200.
type StatusError struct {
	URL    string
	Code   int
	Status string // e.g. "503 Service Unavailable"
}

func (e *StatusError) Error() string { return fmt.Sprintf("GET %s: %s", e.URL, e.Status) }

// ErrNotFound may be wrapped by backends for resources that are already gone;
// Teardown and Sweep treat it as success.
var ErrNotFound = errors.New("not found")
