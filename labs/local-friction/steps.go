package localfriction

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/computeladder/computeladder/deployers/rie"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/report"
	"github.com/computeladder/computeladder/labs/ladder"
)

// behaviour runs the app's behaviour table against the gateway, as the
// ladder lab runs it against every deployment.
func (s *session) behaviour(ctx context.Context, res *Result) error {
	res.Behaviour = ladder.BehaviourTable()(ctx, "lambda", s.d.URL, s.hc)
	s.cfg.Logf("behaviour table on the gateway: %d passed, %d failed", res.Behaviour.Passed, res.Behaviour.Failed)
	return ctx.Err()
}

// report reads the first environment's REPORT lines beside its INIT
// REPORT, the gateway's timing and the container's own memory figures.
func (s *session) report(ctx context.Context, res *Result) error {
	envs, err := s.live(ctx)
	if err != nil {
		return err
	}
	if len(envs) == 0 {
		return fmt.Errorf("no live environment after the deploy")
	}
	e := envs[0]
	res.Env = e.Name
	warm := s.invoke(ctx, e.InvokeURL, s.event(http.MethodGet, "/whoami", ""))
	st, err := s.cfg.Function.InspectEnvironment(ctx, s.d, e.Name)
	if err != nil {
		return err
	}
	reports := parseReports(st.Log)
	if len(reports) == 0 {
		return fmt.Errorf("environment %s: no REPORT line in its log", e.Name)
	}
	res.Init = InitFigures{
		InitReport: e.InitDuration, ReportInit: reports[0].InitDuration,
		FirstInvoke: e.FirstInvoke, FirstDuration: reports[0].Duration, Warm: warm.Latency,
	}
	m := MemoryFigures{Reports: len(reports), MemorySizeMB: reports[0].MemorySizeMB,
		LimitBytes: st.MemoryLimit, UsageBytes: st.MemoryUsage, MaxUsageBytes: st.MemoryMaxUsage, NanoCPUs: st.NanoCPUs}
	seen := map[int]bool{}
	for _, r := range reports {
		if !seen[r.MaxMemoryUsedMB] {
			seen[r.MaxMemoryUsedMB] = true
			m.MaxMemoryUsedMB = append(m.MaxMemoryUsedMB, r.MaxMemoryUsedMB)
		}
	}
	res.Memory = m
	s.cfg.Logf("report    %s: INIT REPORT %s, REPORT Init Duration %s, first REPORT Duration %s, first invoke %s, warm %s",
		e.Name, report.Millis(e.InitDuration), report.Millis(reports[0].InitDuration), report.Millis(reports[0].Duration), report.Millis(e.FirstInvoke), report.Millis(warm.Latency))
	s.cfg.Logf("memory    %d REPORT lines, Max Memory Used %v MB of %d MB; the container uses %s of its %s limit",
		len(reports), m.MaxMemoryUsedMB, m.MemorySizeMB, mib(st.MemoryUsage), mib(st.MemoryLimit))
	return nil
}

// freeze reads the idle environment's state twice, Idle apart.
func (s *session) freeze(ctx context.Context, res *Result) error {
	before, err := s.cfg.Function.InspectEnvironment(ctx, s.d, res.Env)
	if err != nil {
		return err
	}
	if err := pause(ctx, s.cfg.Idle); err != nil {
		return err
	}
	after, err := s.cfg.Function.InspectEnvironment(ctx, s.d, res.Env)
	if err != nil {
		return err
	}
	res.Freeze = FreezeFigures{Running: before.Running && after.Running, Paused: before.Paused || after.Paused,
		CPUBefore: before.CPUTime, CPUAfter: after.CPUTime}
	s.cfg.Logf("freeze    %s idle %s: running %v, paused %v, CPU time %s → %s",
		res.Env, s.cfg.Idle, res.Freeze.Running, res.Freeze.Paused, report.Millis(before.CPUTime), report.Millis(after.CPUTime))
	return nil
}

// forgedAuth is a SigV4 Authorization header no one signed.
const forgedAuth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000"

// iam sends an unsigned and a wrongly signed request to the gateway.
func (s *session) iam(ctx context.Context, res *Result) error {
	res.IAM.Unsigned = s.do(ctx, http.MethodGet, s.d.URL+"/whoami", nil, nil)
	res.IAM.Forged = s.do(ctx, http.MethodGet, s.d.URL+"/whoami", nil, map[string]string{"Authorization": forgedAuth, "X-Amz-Date": "20261130T000000Z"})
	s.cfg.Logf("iam       unsigned GET /whoami: %d; forged signature: %d", res.IAM.Unsigned.Status, res.IAM.Forged.Status)
	return ctx.Err()
}

// events compares the gateway's event with a real-shaped one and posts
// real-shaped events and a non-HTTP event straight to the emulator.
func (s *session) events(ctx context.Context, res *Result) error {
	r, err := http.NewRequest(http.MethodGet, s.d.URL+"/whoami?verbose=1&tag=a&tag=b", nil)
	if err != nil {
		return err
	}
	r.Header.Set("Cookie", "session=abc123; theme=dark")
	r.Header.Set("User-Agent", "curl/8.5.0")
	r.Header.Set("Accept", "*/*")
	local, err := rie.Event(r)
	if err != nil {
		return err
	}
	res.Events.Shape, err = compareShapes(s.fixtures[Fixtures[0]], local)
	if err != nil {
		return err
	}
	s.cfg.Logf("events    the gateway's event lacks %v of the real-shaped one", res.Events.Shape.Missing)
	envs, err := s.live(ctx)
	if err != nil || len(envs) == 0 {
		return fmt.Errorf("no live environment: %v", err)
	}
	url := envs[0].InvokeURL
	for _, name := range Fixtures {
		x := s.invoke(ctx, url, s.fixtures[name])
		res.Events.Direct = append(res.Events.Direct, Direct{Event: name, Exchange: x, PayloadStatus: payloadStatus(x.Body)})
	}
	x := s.invoke(ctx, url, local)
	res.Events.Direct = append(res.Events.Direct, Direct{Event: "the gateway's event", Exchange: x, PayloadStatus: payloadStatus(x.Body)})
	for _, d := range res.Events.Direct {
		s.cfg.Logf("events    %s straight to the emulator: HTTP %d, statusCode %d", d.Event, d.Status, d.PayloadStatus)
	}
	res.Events.NotHTTP = s.invoke(ctx, url, []byte(`{}`))
	s.cfg.Logf("events    {} straight to the emulator: HTTP %d, X-Amz-Function-Error %q, %s", res.Events.NotHTTP.Status, res.Events.NotHTTP.FunctionError, res.Events.NotHTTP.Body)
	return ctx.Err()
}

// timeout runs a job longer than the timeout on the bare emulator and
// through the gateway.
func (s *session) timeout(ctx context.Context, res *Result) error {
	seconds := s.cfg.Timeout.Seconds() + 1
	body := fmt.Sprintf(`{"seconds":%g}`, seconds)
	envs, err := s.live(ctx)
	if err != nil || len(envs) == 0 {
		return fmt.Errorf("no live environment: %v", err)
	}
	e := envs[0]
	res.TimeoutRun.JobSeconds = seconds
	res.TimeoutRun.Direct = s.invoke(ctx, e.InvokeURL, s.event(http.MethodPost, "/jobs", body))
	s.cfg.Logf("timeout   %gs job straight to the emulator: HTTP %d after %s: %q", seconds, res.TimeoutRun.Direct.Status, report.Millis(res.TimeoutRun.Direct.Latency), res.TimeoutRun.Direct.Body)
	// The emulator answers before it has reset the runtime: an invoke sent
	// at once may fail (ErrGateCanceled). Let the reset finish.
	if err := pause(ctx, resetPause); err != nil {
		return err
	}
	if st, err := s.cfg.Function.InspectEnvironment(ctx, s.d, e.Name); err == nil {
		res.TimeoutRun.Resets = count(st.Log, "Reset initiated: Timeout")
	}
	res.TimeoutRun.Gateway = s.do(ctx, http.MethodPost, s.d.URL+"/jobs", []byte(body), map[string]string{"Content-Type": "application/json"})
	all, err := s.cfg.Function.Environments(ctx, s.d)
	if err != nil {
		return err
	}
	for _, x := range all {
		if x.RetireReason != "" {
			res.TimeoutRun.RetireReasons = append(res.TimeoutRun.RetireReasons, x.RetireReason)
		}
	}
	s.cfg.Logf("timeout   through the gateway: HTTP %d %s; retired: %v", res.TimeoutRun.Gateway.Status, res.TimeoutRun.Gateway.Body, res.TimeoutRun.RetireReasons)
	return ctx.Err()
}

// concurrency sends two jobs at once to one environment's emulator, then
// two at once through the gateway.
func (s *session) concurrency(ctx context.Context, res *Result) error {
	if err := s.cfg.Function.ForceColdStart(ctx, s.d); err != nil {
		return err
	}
	if x := s.do(ctx, http.MethodGet, s.d.URL+"/whoami", nil, nil); x.Status != http.StatusOK {
		return fmt.Errorf("GET /whoami on a new environment: %d %s %s", x.Status, x.Error, x.Body)
	}
	envs, err := s.live(ctx)
	if err != nil || len(envs) == 0 {
		return fmt.Errorf("no live environment: %v", err)
	}
	e := envs[len(envs)-1]
	job := s.event(http.MethodPost, "/jobs", fmt.Sprintf(`{"seconds":%g}`, ConcurrentJob.Seconds()))
	res.Concurrency.Direct = kit.Together(2, func(int) Exchange { return s.invoke(ctx, e.InvokeURL, job) })
	if err := pause(ctx, logPause); err != nil { // the engine copies the log a little later
		return err
	}
	if st, err := s.cfg.Function.InspectEnvironment(ctx, s.d, e.Name); err == nil {
		res.Concurrency.EmulatorPanicked = count(st.Log, "panic: ") > 0
		res.Concurrency.EmulatorRunning = st.Running
	}
	for _, x := range res.Concurrency.Direct {
		s.cfg.Logf("emulator  two jobs at once on %s: HTTP %d %s", e.Name, x.Status, firstNonEmpty(x.Error, x.Body))
	}
	s.cfg.Logf("emulator  afterwards: panicked %v, container running %v", res.Concurrency.EmulatorPanicked, res.Concurrency.EmulatorRunning)

	// Retire it, then the same through the gateway.
	if err := s.cfg.Function.ForceColdStart(ctx, s.d); err != nil {
		return err
	}
	before, err := s.cfg.Function.Environments(ctx, s.d)
	if err != nil {
		return err
	}
	body := []byte(fmt.Sprintf(`{"seconds":%g}`, ConcurrentJob.Seconds()))
	res.Concurrency.Gateway = kit.Together(2, func(int) Exchange {
		return s.do(ctx, http.MethodPost, s.d.URL+"/jobs", body, map[string]string{"Content-Type": "application/json"})
	})
	after, err := s.cfg.Function.Environments(ctx, s.d)
	if err != nil {
		return err
	}
	res.Concurrency.NewEnvironments = len(after) - len(before)
	s.cfg.Logf("gateway   two jobs at once: HTTP %d and %d, %d new environments", res.Concurrency.Gateway[0].Status, res.Concurrency.Gateway[1].Status, res.Concurrency.NewEnvironments)
	return ctx.Err()
}

// Pauses of the steps: the emulator resetting its runtime after a
// timeout, the engine copying a container's log.
const (
	resetPause = 500 * time.Millisecond
	logPause   = 300 * time.Millisecond
)

// pause waits d, or less when ctx ends (Ctrl-C): then it returns ctx's
// error.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// event is the gateway's event for a request to path on the deployment.
func (s *session) event(method, path, body string) []byte {
	r, err := http.NewRequest(method, s.d.URL+path, strings.NewReader(body))
	if err != nil {
		return nil // method and path are the lab's own
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	b, _ := rie.Event(r) // a small request always encodes
	return b
}

// invoke posts an event straight to an emulator's invoke endpoint.
func (s *session) invoke(ctx context.Context, url string, event []byte) Exchange {
	return s.do(ctx, http.MethodPost, url, event, map[string]string{"Content-Type": "application/json"})
}

// maxBody bounds what an Exchange keeps of a body.
const maxBody = 600

// do sends one request; a failure is recorded in the Exchange.
func (s *session) do(ctx context.Context, method, url string, body []byte, header map[string]string) Exchange {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return Exchange{Error: err.Error()}
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := s.hc.Do(req)
	if err != nil {
		return Exchange{Latency: time.Since(start), Error: err.Error()}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	x := Exchange{Status: resp.StatusCode, Latency: time.Since(start), FunctionError: resp.Header.Get("X-Amz-Function-Error"), Body: clip(b)}
	if err != nil {
		x.Error = err.Error()
	}
	return x
}

// payloadStatus is the statusCode of a Function URL response payload (0
// when the payload is not one).
func payloadStatus(body string) int {
	var p struct {
		StatusCode int `json:"statusCode"`
	}
	if json.Unmarshal([]byte(body), &p) != nil {
		return 0
	}
	return p.StatusCode
}

func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > maxBody {
		return s[:maxBody] + "…"
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
