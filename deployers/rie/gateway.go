package rie

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/rie/internal/frontend"
)

const (
	// timeoutGrace lets the emulator's own timer (whole seconds, then a
	// 100 ms pause before it answers) speak first; the gateway's deadline
	// is the backstop and the only timer for fractional timeouts.
	timeoutGrace = 300 * time.Millisecond
	// envStartTimeout bounds one environment's container start.
	envStartTimeout = 60 * time.Second
	// capTimeout bounds the update of an environment's CPU share after
	// its init, and a request's wait for an environment being updated.
	capTimeout = 5 * time.Second
	// crashLogWait bounds the wait for a crashed environment's error line:
	// the engine writes container output to its log a little after the
	// emulator answered.
	crashLogWait = 500 * time.Millisecond
)

var (
	errThrottled = errors.New("throttled: every environment is busy and the concurrency limit is reached")
	errClosed    = errors.New("the gateway is shutting down")
)

// Retire reasons.
const (
	reasonKeepAlive = "keep-alive"
	reasonForced    = "forced"
	reasonTimeout   = "timeout"
	reasonCrash     = "crash"
	reasonTeardown  = "teardown"
	reasonCapFailed = "cpu-cap-failed"
)

// gateway is the local Function URL front end of one deployment.
type gateway struct {
	dp        *Deployer
	spec      envSpec
	timeout   time.Duration
	maxEnvs   int
	keepAlive time.Duration
	srv       *httpServer
	addr      string
	dialer    net.Dialer      // to the environments' emulators
	ctx       context.Context // ends at teardown: aborts starts and invokes
	cancel    context.CancelFunc
	wg        sync.WaitGroup // environment starts, removals, the reaper

	mu         sync.Mutex
	seq        int
	active     int    // environments live or starting: what concurrency counts
	idle       []*env // most recently released last
	envs       []*env // every environment started, in start order
	closed     bool
	fatal      error         // the first environment failure (fails Deploy fast)
	firstStart time.Time     // the first environment's container started
	capping    int           // environments between their first answer and their CPU cap
	capped     chan struct{} // closed (and replaced) whenever one of them is back
}

// startGateway listens on 127.0.0.1:port (0: random) and serves.
func (dp *Deployer) startGateway(spec envSpec, timeout time.Duration) (*gateway, error) {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", dp.opts.gatewayPort))
	if err != nil {
		return nil, fmt.Errorf("gateway: %w (choose another port, or 0 for a random one)", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &gateway{
		dp: dp, spec: spec, timeout: timeout,
		maxEnvs: dp.opts.maxConcurrency, keepAlive: dp.opts.keepAlive,
		addr:   ln.Addr().String(),
		dialer: net.Dialer{KeepAlive: 30 * time.Second},
		ctx:    ctx, cancel: cancel, capped: make(chan struct{}),
	}
	g.srv = newHTTPServer(g, dp.opts.log)
	go func() {
		if err := g.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			dp.opts.log.Error("gateway stopped", "err", err)
		}
	}()
	g.wg.Add(1)
	go g.reap()
	return g, nil
}

// ServeHTTP is the Function URL: HTTP in, event to an environment, HTTP out.
func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	payload, err := frontend.EncodeRequest(r)
	if errors.Is(err, frontend.ErrTooLarge) {
		writeError(w, http.StatusRequestEntityTooLarge, "Request must be smaller than 6291456 bytes for the InvokeFunction operation", "", "")
		return
	} else if err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request", "", err.Error())
		return
	}
	e, err := g.acquire()
	switch {
	case errors.Is(err, errThrottled):
		writeError(w, http.StatusTooManyRequests, "Rate Exceeded.", "", "")
		return
	case errors.Is(err, errClosed):
		writeError(w, http.StatusServiceUnavailable, "Service Unavailable", "", "")
		return
	case err != nil:
		writeError(w, http.StatusBadGateway, "Internal Server Error", "Sandbox.Failure", err.Error())
		return
	}

	ctx, cancel := context.WithTimeout(g.ctx, g.timeout+timeoutGrace)
	res, err := g.invoke(ctx, e, payload)
	timedOut := errors.Is(err, context.DeadlineExceeded) ||
		(err == nil && res.status == http.StatusOK && bytes.HasPrefix(res.payload, []byte("Task timed out after")))
	cancel()
	switch {
	case timedOut:
		g.served(e, res)
		g.release(e, reasonTimeout)
		writeError(w, http.StatusBadGateway, "Internal Server Error", "Sandbox.Timedout",
			fmt.Sprintf("Task timed out after %.2f seconds", g.timeout.Seconds()))
	case err != nil || res.status != http.StatusOK:
		// The emulator answers 502 when the runtime crashed (in init or
		// in the invoke); either way this environment is done.
		msg := g.crashed(e, res, err)
		g.served(e, res)
		g.release(e, reasonCrash)
		writeError(w, http.StatusBadGateway, "Internal Server Error", "Runtime.ExitError", msg)
	default:
		g.served(e, res)
		if !g.capAfterInit(e) {
			g.release(e, "")
		}
		if len(res.payload) > frontend.MaxPayload {
			writeError(w, http.StatusBadGateway, "Internal Server Error", "Function.ResponseSizeTooLarge",
				"Response payload size exceeded maximum allowed payload size (6291456 bytes).")
			return
		}
		if frontend.IsFunctionError(res.payload) {
			writeError(w, http.StatusBadGateway, "Internal Server Error", "", "")
			return
		}
		if err := frontend.WriteResponse(w, res.payload); err != nil {
			writeError(w, http.StatusBadGateway, "Internal Server Error", "Runtime.InvalidResponse", err.Error())
		}
	}
}

// acquire returns an idle environment, or starts one (a cold start) while
// the concurrency limit allows. Like a synchronous Lambda invoke it never
// queues: over the limit it fails with errThrottled.
func (g *gateway) acquire() (*env, error) {
	g.mu.Lock()
	deadline := time.Now().Add(capTimeout)
	for {
		if g.closed {
			g.mu.Unlock()
			return nil, errClosed
		}
		if n := len(g.idle); n > 0 {
			e := g.idle[n-1]
			g.idle = g.idle[:n-1]
			g.mu.Unlock()
			return e, nil
		}
		if g.capping == 0 || !time.Now().Before(deadline) {
			break
		}
		// An environment that has just answered its first request is
		// free on Lambda; here it is free once its CPU share is set,
		// milliseconds later. Wait for it rather than start another.
		ch := g.capped
		g.mu.Unlock()
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-ch:
		case <-t.C:
		case <-g.ctx.Done():
			t.Stop()
			return nil, errClosed
		}
		t.Stop()
		g.mu.Lock()
	}
	if g.active >= g.maxEnvs {
		g.mu.Unlock()
		return nil, errThrottled
	}
	g.active++
	g.seq++
	name := fmt.Sprintf("%s-e%d", strings.ReplaceAll(g.spec.deployment, ":", "-"), g.seq)
	g.wg.Add(1) // under mu and before closed: Teardown's Wait sees it
	g.mu.Unlock()
	defer g.wg.Done()

	ctx, cancel := context.WithTimeout(g.ctx, envStartTimeout)
	defer cancel()
	e, err := g.dp.startEnv(ctx, g.spec, name)

	g.mu.Lock()
	if err != nil {
		g.active--
		if g.fatal == nil && g.ctx.Err() == nil {
			g.fatal = err
		}
		g.mu.Unlock()
		return nil, err
	}
	g.envs = append(g.envs, e)
	if g.firstStart.IsZero() {
		g.firstStart = e.running
	}
	closed := g.closed
	if closed {
		g.retireLocked(e, reasonTeardown)
	}
	g.mu.Unlock()
	if closed {
		return nil, errors.Join(errClosed, g.dp.removeContainer(context.Background(), e.id))
	}
	return e, nil
}

// capAfterInit applies the handler's CPU share to e after its first
// answer — its init is over — and then releases it; until then e is
// neither idle nor retired, so no request runs on it with init's share.
// It returns false, doing nothing, when e needs no cap.
func (g *gateway) capAfterInit(e *env) bool {
	g.mu.Lock()
	if e.capped || g.closed {
		g.mu.Unlock()
		return false
	}
	e.capped = true
	g.capping++
	g.wg.Add(1) // under mu and before closed: close's Wait sees it
	g.mu.Unlock()
	go func() {
		defer g.wg.Done()
		ctx, cancel := context.WithTimeout(g.ctx, capTimeout)
		err := g.dp.setCPUs(ctx, e.id, g.spec.cpus)
		cancel()
		switch {
		case g.ctx.Err() != nil:
			// The gateway is closing: close removes e with the others.
		case err != nil:
			// Uncapped it would measure a faster function than the
			// platform runs: retire it.
			g.dp.opts.log.Warn("cap environment after init", "env", e.name, "err", err)
			g.release(e, reasonCapFailed)
		default:
			g.release(e, "")
		}
		g.mu.Lock()
		g.capping--
		close(g.capped)
		g.capped = make(chan struct{})
		g.mu.Unlock()
	}()
	return true
}

// served records that e answered a request (or failed it): the count,
// its first invoke's latency and when it was last used.
func (g *gateway) served(e *env, res invokeResult) {
	now := res.done
	if now.IsZero() {
		now = time.Now()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	e.requests++
	if e.requests == 1 {
		e.firstInvoke = res.latency
		e.firstDone = now
	}
	e.lastUsed = now
}

// release returns e after a request: to the idle pool, or, when reason is
// set (or e is draining, or the gateway closing), into retirement.
func (g *gateway) release(e *env, reason string) {
	g.mu.Lock()
	switch {
	case g.closed:
		reason = reasonTeardown
	case reason == "" && e.drain:
		reason = reasonForced
	}
	if reason == "" {
		g.idle = append(g.idle, e)
		g.mu.Unlock()
		return
	}
	g.retireLocked(e, reason)
	background := !g.closed // Teardown removes what is left after closing
	if background {
		g.wg.Add(1)
	}
	g.mu.Unlock()
	if background {
		go func() {
			defer g.wg.Done()
			if err := g.finalize(context.Background(), e); err != nil {
				g.dp.opts.log.Warn("retire environment", "env", e.name, "err", err)
			}
		}()
	}
}

// crashed describes a failed invoke from e's log; a failure of an
// environment's first invoke is its init failing, which fails Deploy fast.
func (g *gateway) crashed(e *env, res invokeResult, err error) string {
	msg := fmt.Sprintf("the emulator answered %d", res.status)
	if err != nil {
		msg = err.Error()
	}
	var facts LogFacts
	var log string
	_ = deployers.Poll(g.ctx, 20*time.Millisecond, crashLogWait, func(context.Context) (bool, error) {
		log, facts, _ = g.dp.collectLogs(g.ctx, e.id)
		return len(facts.Errors) > 0, nil // after the wait, what the log holds
	})
	if len(facts.Errors) > 0 {
		msg = strings.Join(facts.Errors, "; ")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	e.facts = &facts
	if e.requests == 0 && g.fatal == nil {
		g.fatal = fmt.Errorf("function failed in its first invoke (environment %s): %s: check the bootstrap (does it start the Lambda runtime loop?)\nlast log lines:\n%s",
			e.name, msg, lastLines(log, 12))
	}
	return msg
}

// retireLocked takes e out of service. g.mu must be held.
func (g *gateway) retireLocked(e *env, reason string) {
	if !e.retired.IsZero() {
		return
	}
	e.retired, e.reason = time.Now(), reason
	g.active--
	for i, x := range g.idle {
		if x == e {
			g.idle = append(g.idle[:i], g.idle[i+1:]...)
			break
		}
	}
}

// finalize records a retired environment's log facts and removes its
// container.
func (g *gateway) finalize(ctx context.Context, e *env) error {
	e.closeConn()
	ctx, cancel := context.WithTimeout(ctx, cleanupTimeout)
	defer cancel()
	_, facts, lerr := g.dp.collectLogs(ctx, e.id)
	g.mu.Lock()
	if lerr == nil && (e.facts == nil || len(facts.InitReports) >= len(e.facts.InitReports)) {
		e.facts = &facts
	}
	g.mu.Unlock()
	return g.dp.removeContainer(ctx, e.id)
}

// reap retires environments idle for longer than the keep-alive period.
func (g *gateway) reap() {
	defer g.wg.Done()
	tick := min(max(g.keepAlive/4, 10*time.Millisecond), time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-g.ctx.Done():
			return
		case <-t.C:
		}
		g.mu.Lock()
		var old []*env
		for _, e := range g.idle {
			if time.Since(e.lastUsed) > g.keepAlive {
				old = append(old, e)
			}
		}
		for _, e := range old {
			g.retireLocked(e, reasonKeepAlive)
		}
		g.mu.Unlock()
		for _, e := range old {
			if err := g.finalize(context.Background(), e); err != nil {
				g.dp.opts.log.Warn("retire idle environment", "env", e.name, "err", err)
			}
		}
	}
}

// forceCold retires every idle environment now and every busy one when its
// request ends, so that the next request starts a new environment.
func (g *gateway) forceCold(ctx context.Context) error {
	g.mu.Lock()
	idle := append([]*env(nil), g.idle...)
	for _, e := range idle {
		g.retireLocked(e, reasonForced)
	}
	for _, e := range g.envs {
		if e.retired.IsZero() {
			e.drain = true
		}
	}
	g.mu.Unlock()
	var errs []error
	for _, e := range idle {
		errs = append(errs, g.finalize(ctx, e))
	}
	return errors.Join(errs...)
}

// close stops the gateway: no new requests, starts aborted, in-flight
// invokes cut; then it records and removes every live environment.
func (g *gateway) close(ctx context.Context) error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	g.mu.Unlock()
	shutCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	// Requests in flight get a second to finish, then their connections
	// are cut with the environments they wait for.
	_ = g.srv.Shutdown(shutCtx)
	errs := []error{g.srv.Close()}
	g.cancel()
	g.wg.Wait()
	g.mu.Lock()
	var live []*env
	for _, e := range g.envs {
		if e.retired.IsZero() || e.reason == reasonTeardown {
			live = append(live, e)
		}
		g.retireLocked(e, reasonTeardown)
	}
	g.mu.Unlock()
	for _, e := range live {
		errs = append(errs, g.finalize(ctx, e))
	}
	return errors.Join(errs...)
}

// alive fails when an environment failed: Deploy stops waiting at once.
func (g *gateway) alive() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.fatal
}

// snapshot returns every environment, in start order.
func (g *gateway) snapshot() []Environment {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]Environment, 0, len(g.envs))
	for _, e := range g.envs {
		env := Environment{
			ID: e.id, Name: e.name, InvokeURL: e.url + rieInvokePath, MemoryMB: g.spec.memoryMB, CPUs: g.spec.cpus, InitCPUs: g.spec.initCPUs,
			Started: e.started, Listening: e.listening.Sub(e.started),
			FirstInvoke: e.firstInvoke, Requests: e.requests,
			Retired: e.retired, RetireReason: e.reason,
		}
		if !e.firstDone.IsZero() {
			env.ColdStart = e.firstDone.Sub(e.started)
		}
		if f := e.facts; f != nil {
			if len(f.InitReports) > 0 {
				env.InitDuration = f.InitReports[0]
			}
			if len(f.ReportInitDurations) > 0 {
				env.ReportInitDuration = f.ReportInitDurations[0]
			}
			env.Inits, env.Timeouts = len(f.InitReports), f.Timeouts
			env.Errors = append([]string(nil), f.Errors...)
		}
		out = append(out, env)
	}
	return out
}

// writeError answers like a Function URL: a JSON body with "Message".
// errorType and errorMessage are local additions for students (a real
// Function URL keeps them in the function's log).
func writeError(w http.ResponseWriter, status int, message, errType, errMsg string) {
	body := map[string]string{"Message": message}
	if errType != "" {
		body["errorType"] = errType
	}
	if errMsg != "" {
		body["errorMessage"] = errMsg
	}
	b, _ := json.Marshal(body) // a map of strings always marshals
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
