package coldstart

import (
	"fmt"
	"time"

	"github.com/computeladder/computeladder/deployers/rie"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/report"
	"github.com/computeladder/computeladder/harness/results"
)

// Result is everything one run measured; it is written as cold-start.json.
type Result struct {
	results.Header
	MemoryMB  int           `json:"memory_mb"`
	KeepAlive time.Duration `json:"keep_alive_ns"`
	Burst     int           `json:"burst"`
	Prewarm   int           `json:"prewarm"`
	// Startup is the deployment's startup: its origin (the first invoke, see
	// rie.StartupOrigin) → first-200.
	Startup        time.Duration     `json:"startup_ns"`
	Idle           IdleResult        `json:"idle"`
	ColdBurst      BurstResult       `json:"cold_burst"`
	PrewarmedBurst BurstResult       `json:"prewarmed_burst"`
	Cost           WarmPoolCost      `json:"cost"`
	Environments   []rie.Environment `json:"environments,omitempty"`
	Claims         results.Claims    `json:"claims"`
	results.FlatTeardown
}

// IdleResult is step 1: warm, idle past the keep-alive, cold again.
type IdleResult struct {
	Warm      Request       `json:"warm"`
	Waited    time.Duration `json:"waited_ns"`
	AfterIdle Request       `json:"after_idle"`
	// RetireReasons are those of the environments retired by then
	// ("keep-alive" is the one this step is about).
	RetireReasons []string `json:"retire_reasons,omitempty"`
	// NewInit is the Init Duration of the environment that served
	// AfterIdle.
	NewInit time.Duration `json:"new_init_ns"`
}

// BurstResult is one burst of concurrent requests.
type BurstResult struct {
	// Prewarm, PrewarmedEnvs and WarmupRounds describe the warm-up before
	// the burst (pre-warmed burst only).
	Prewarm       time.Duration `json:"prewarm_ns,omitempty"`
	PrewarmedEnvs int           `json:"prewarmed_envs,omitempty"`
	WarmupRounds  int           `json:"warmup_rounds,omitempty"`

	Requests []Request      `json:"requests"`
	Latency  load.Quantiles `json:"latency"`
	Errors   int            `json:"errors"`
	// ColdStarts counts the requests whoami reported cold: each one was
	// the first request of a new environment.
	ColdStarts      int      `json:"cold_starts"`
	NewEnvironments []NewEnv `json:"new_environments,omitempty"`
}

// NewEnv is an environment a burst started.
type NewEnv struct {
	Name string `json:"name"`
	// FirstInvoke is the gateway's latency of its first invoke (init
	// included); ColdStart adds the container's start before it.
	FirstInvoke  time.Duration `json:"first_invoke_ns"`
	ColdStart    time.Duration `json:"cold_start_ns"`
	InitDuration time.Duration `json:"init_duration_ns"`
}

// Claim is one thing the lab teaches and whether this run showed it.
type Claim = results.Claim

// Claim names.
const (
	ClaimIdleGoesCold   = "idle-goes-cold"
	ClaimBurstScalesOut = "burst-scales-out"
	ClaimPrewarmNoColds = "prewarm-no-cold-starts"
	// ClaimPrewarmFasterSlowest compares the bursts' slowest requests:
	// a burst (at most 50 requests) never has the 100 a p99 needs
	// (load.MinSamples).
	ClaimPrewarmFasterSlowest = "prewarm-lower-slowest"
)

// Claim returns the named claim (not holding when this run did not judge it).
func (r *Result) Claim(name string) Claim { return r.Claims.Get(name) }

// judge records whether each claim held.
func (r *Result) judge() {
	w, a := r.Idle.Warm, r.Idle.AfterIdle
	cb, pb := r.ColdBurst, r.PrewarmedBurst
	r.Claims = results.Claims{
		results.ClaimOf(ClaimIdleGoesCold, a.Cold && a.InstanceID != w.InstanceID,
			fmt.Sprintf("after %s idle (keep-alive %s) the request was cold=%v on instance %s (was %s): %s against %s warm",
				r.Idle.Waited, r.KeepAlive, a.Cold, a.InstanceID, w.InstanceID, report.Millis(a.Latency), report.Millis(w.Latency))),
		results.ClaimOf(ClaimBurstScalesOut, cb.ColdStarts > 1 && len(cb.NewEnvironments) > 1,
			fmt.Sprintf("%d requests at once on 1 warm environment: %d cold starts, %d new environments", len(cb.Requests), cb.ColdStarts, len(cb.NewEnvironments))),
		results.ClaimOf(ClaimPrewarmNoColds, pb.ColdStarts == 0 && len(pb.NewEnvironments) == 0,
			fmt.Sprintf("%d requests at once on %d pre-warmed environments: %d cold starts", len(pb.Requests), pb.PrewarmedEnvs, pb.ColdStarts)),
		results.ClaimOf(ClaimPrewarmFasterSlowest, pb.Latency.N > 0 && cb.Latency.N > 0 && pb.Latency.Max < cb.Latency.Max,
			fmt.Sprintf("slowest request of the burst %s pre-warmed (n=%d) against %s cold (n=%d)",
				report.Millis(pb.Latency.Max), pb.Latency.N, report.Millis(cb.Latency.Max), cb.Latency.N)),
	}
}

// quantile renders the p-quantile v of q, or "—" when q's sample count
// does not support it (load.Quantiles.Supports: n ≥ 1/(1−p)); the tables
// give n beside it.
func quantile(q load.Quantiles, p float64, v time.Duration) string {
	if !q.Supports(p) {
		return "—"
	}
	return report.Millis(v)
}

// latencies renders a burst's latencies for a progress line: the p50 and
// p99 its sample count supports, and always the slowest request, with n.
func latencies(q load.Quantiles) string {
	if q.N == 0 {
		return "no request answered"
	}
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
	var s string
	if q.Supports(0.50) {
		s += fmt.Sprintf("p50 %s, ", r(q.P50))
	}
	if q.Supports(0.99) {
		s += fmt.Sprintf("p99 %s, ", r(q.P99))
	}
	return s + fmt.Sprintf("slowest %s (n=%d)", r(q.Max), q.N)
}
