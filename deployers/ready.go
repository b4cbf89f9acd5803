package deployers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"time"
)

// DefaultPollInterval is how often readiness is probed: fast enough that the
// detected moment is within a few milliseconds of the real one.
const DefaultPollInterval = 2 * time.Millisecond

// Hedging bounds (see Probe.Hedged).
const (
	// MaxHedgedProbes bounds the probes waiting for an answer at once.
	MaxHedgedProbes = 16
	// MinHedgeSpacing is the least time between two hedged probe starts.
	// It bounds how late readiness is seen behind stalled probes, and the
	// connections per second a forwarder (and a booting guest behind it)
	// is sent while probes stall.
	MinHedgeSpacing = 10 * time.Millisecond
)

// Probe is how a deployer waits for its endpoint to answer.
//
// Why hedged probes: a port forwarder (QEMU's user-mode network while the
// guest kernel boots) may accept a connection long before anything behind
// it can answer, and a cloud instance still booting leaves a connection
// attempt unanswered; a probe there hangs until its own timeout, so one
// probe at a time with a timeout of T lands the first 200 on steps of T,
// seconds after the app could answer. Hedged, while a probe waits another
// starts every hedge spacing (the larger of Interval and MinHedgeSpacing),
// up to MaxHedgedProbes at once; each waits for its answer for
// MaxHedgedProbes spacings (160 ms locally) before it gives way, so that
// stalled probes are replaced one spacing apart. The first 200 wins and
// cancels the rest. Readiness is thus seen within a spacing (plus a round
// trip) of the moment the app could answer; probes that fail fast (a
// refused connection, a reset) are followed by the next one an Interval
// later, one at a time, as in a plain poll loop.
//
// Why no faster, and no open-ended stream of probes: an app that can
// answer, but slowly (a guest under software emulation takes tens of
// milliseconds over its first requests), must not be sent requests faster
// than it answers them: the probes then slow what they measure, and at
// worst every one gives up before its answer comes and readiness is never
// seen (hedging every 2 ms, 64 at once, did that to the microVM). Hedges
// stop at MaxHedgedProbes, and none gives way before its time.
//
// Why hedging stops once the far side has answered: a probe reset, or
// answered with another status, shows that the path to the app
// is up (the guest's network stack sent the reset through the forwarder);
// a probe that waits after that waits on the app itself — its connection
// sits in the app's accept queue, or the app is slow over its first
// request — and will be answered without help. Hedges then only hand a
// slow app more connections to serve while its first answer is due: under
// TCG they delayed the microVM's first 200 (first 200 − its "listening",
// x86-64 guest, 2026-11-30: median of 21 boots each, interleaved, 47.2 ms
// hedged to the end, 42.5 ms without hedges after the first reset; traced
// boots showed three connections accepted together ~16 ms after the guest
// bound its port against one accepted after ~7 ms). From then on one
// probe waits at a time, and still gives way after its patience, so that a
// connection lost on the way is replaced.
type Probe struct {
	// Client sends the probes; nil means a client that opens a fresh
	// connection for every probe (a kept-alive connection to a forwarder
	// can look healthy while nothing listens behind it) and uses no proxy.
	Client *http.Client
	// Interval is the time between a probe that failed and the next
	// (DefaultPollInterval when 0).
	Interval time.Duration
	// Hedged starts more probes while earlier ones wait (see above).
	// Without it one probe runs at a time, bounded only by the client's
	// Timeout and ctx: the right choice where every probe is real work the
	// platform scales out for — a Function URL starts an execution
	// environment per concurrent request, so hedging there would start
	// environments, not detect one.
	Hedged bool
	// Alive, when set, is called every Interval; its error (the container
	// or VM exited) ends the wait at once, so a dead process fails fast
	// instead of at the deadline.
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
// answered with another status), not one that gave way.
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
	limit, spacing := 1, time.Duration(0)
	if p.Hedged {
		limit, spacing = MaxHedgedProbes, max(interval, MinHedgeSpacing)
	}
	giveUp := time.Duration(limit) * spacing // a hedged probe's patience

	ctx, cancelAll := context.WithCancel(ctx)
	defer cancelAll()
	done := make(chan probeResult, limit)
	type waiting struct {
		seq     int
		started time.Time
		cancel  func()
	}
	var (
		flying    []waiting // probes not given up yet, oldest first
		pending   int       // probes whose result has not come back
		seq       int
		lastStart time.Time
		last      probeResult // the most telling failure so far
		lastRank  int
		reached   bool // the far side answered a probe: hedge no more
	)
	// note keeps the most telling failure: one that ended on its own
	// outranks one that gave way or that the deadline cut short; among
	// equals, the later probe wins.
	note := func(r probeResult) {
		pending--
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
		if errors.Is(r.err, errGaveWay) || ctx.Err() != nil {
			rank = 1
		}
		reached = reached || rank == 2 && answeredByPeer(r.err)
		if rank > lastRank || rank == lastRank && r.seq > last.seq {
			last, lastRank = r, rank
		}
	}
	// drain cancels every probe still running and waits for it, so that
	// none outlives the call.
	drain := func() {
		cancelAll()
		for pending > 0 {
			note(<-done)
		}
	}
	start := func(now time.Time) {
		seq++
		pctx, cancel := context.WithCancelCause(ctx)
		flying = append(flying, waiting{seq: seq, started: now, cancel: func() { cancel(errGaveWay) }})
		pending++
		lastStart = now
		go func(seq int) { done <- p.once(pctx, client, url, seq) }(seq)
	}
	// step runs every Interval: it ends probes past their patience and
	// starts the next one when it is due.
	step := func(now time.Time) error {
		if err := p.alive(); err != nil {
			return err
		}
		if p.Hedged {
			for len(flying) > 0 && now.Sub(flying[0].started) >= giveUp {
				flying[0].cancel()
				flying = flying[1:]
			}
		}
		switch {
		case len(flying) == 0 && pending < 2*limit:
			start(now) // nothing waits: the next probe of the poll loop
		case p.Hedged && !reached && len(flying) < limit && now.Sub(lastStart) >= spacing:
			start(now) // something waits, maybe on a network not up yet: hedge
		}
		return nil
	}

	tick := time.NewTicker(interval)
	defer tick.Stop()
	if err := step(time.Now()); err != nil {
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
			if len(flying) == 0 {
				// It failed on its own: the next probe starts an
				// Interval from now, as in a plain poll loop.
				tick.Reset(interval)
			}
		case now := <-tick.C:
			if err := step(now); err != nil {
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

// answeredByPeer reports whether a probe's error came from the far side
// through an accepted connection: a reset, a connection closed before the
// answer, or an HTTP answer with another status. A refused connection does
// not count: the refusal may be this machine's own, from a forwarder not
// bound yet (QEMU's, in its first milliseconds), with the guest's network
// still to come up behind it. Nor do errors of this machine's own (a
// deadline, a route missing).
func answeredByPeer(err error) bool {
	var se *StatusError
	return errors.As(err, &se) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// errGaveWay is the cause given to a hedged probe that waited its time.
var errGaveWay = errors.New("probe gave way: no answer in its time")

func (p Probe) alive() error {
	if p.Alive == nil {
		return nil
	}
	return p.Alive()
}

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
		if cause := context.Cause(ctx); errors.Is(cause, errGaveWay) {
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
