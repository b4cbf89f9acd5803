package localfriction

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/computeladder/computeladder/harness/report"
	"github.com/computeladder/computeladder/harness/results"
)

// Result is everything one run saw; it is written as local-friction.json.
type Result struct {
	results.Header
	MemoryMB int           `json:"memory_mb"`
	Timeout  time.Duration `json:"timeout_ns"`
	Idle     time.Duration `json:"idle_ns"`
	// URL is the gateway's; Env the environment the first steps read.
	URL string `json:"url"`
	Env string `json:"env"`

	Behaviour   results.Behaviour `json:"behaviour"`
	Init        InitFigures       `json:"init"`
	Memory      MemoryFigures     `json:"memory"`
	Freeze      FreezeFigures     `json:"freeze"`
	IAM         IAMFigures        `json:"iam"`
	Events      EventFigures      `json:"events"`
	TimeoutRun  TimeoutRun        `json:"timeout"`
	Concurrency Concurrency       `json:"concurrency"`

	Rows   []Row          `json:"rows"`
	Claims results.Claims `json:"claims"`
	results.FlatTeardown
}

// Exchange is one HTTP request and its answer (Error when none came).
type Exchange struct {
	Status  int           `json:"status"`
	Latency time.Duration `json:"latency_ns"`
	// FunctionError is the X-Amz-Function-Error header.
	FunctionError string `json:"function_error,omitempty"`
	Body          string `json:"body,omitempty"`
	Error         string `json:"error,omitempty"`
}

// OK reports whether the answer was a 200.
func (x Exchange) OK() bool { return x.Error == "" && x.Status == 200 }

// InitFigures are the first environment's init as each side saw it.
type InitFigures struct {
	// InitReport is the emulator's INIT REPORT; ReportInit the REPORT
	// line's Init Duration; FirstDuration the first REPORT's Duration.
	InitReport    time.Duration `json:"init_report_ns"`
	ReportInit    time.Duration `json:"report_init_duration_ns"`
	FirstDuration time.Duration `json:"first_report_duration_ns"`
	// FirstInvoke is the gateway's latency of the first invoke; Warm a
	// later invoke's, sent straight to the emulator.
	FirstInvoke time.Duration `json:"first_invoke_ns"`
	Warm        time.Duration `json:"warm_invoke_ns"`
}

// MemoryFigures are the REPORT lines' memory beside the container's.
type MemoryFigures struct {
	Reports      int `json:"reports"`
	MemorySizeMB int `json:"memory_size_mb"`
	// MaxMemoryUsedMB are the distinct Max Memory Used values.
	MaxMemoryUsedMB []int `json:"max_memory_used_mb"`
	LimitBytes      int64 `json:"limit_bytes"`
	UsageBytes      int64 `json:"usage_bytes"`
	MaxUsageBytes   int64 `json:"max_usage_bytes,omitempty"`
	NanoCPUs        int64 `json:"nano_cpus"`
}

// FreezeFigures are an idle environment's state, read twice.
type FreezeFigures struct {
	Running   bool          `json:"running"`
	Paused    bool          `json:"paused"`
	CPUBefore time.Duration `json:"cpu_before_ns"`
	CPUAfter  time.Duration `json:"cpu_after_ns"`
}

// IAMFigures are the gateway's answers to requests no one signed.
type IAMFigures struct {
	Unsigned Exchange `json:"unsigned"`
	Forged   Exchange `json:"forged_signature"`
}

// EventFigures compare the events.
type EventFigures struct {
	Shape Shape `json:"shape"`
	// Direct are events posted straight to the emulator.
	Direct []Direct `json:"direct"`
	// NotHTTP is {} posted straight to the emulator.
	NotHTTP Exchange `json:"not_http"`
}

// Direct is one event posted straight to the emulator.
type Direct struct {
	Event string `json:"event"`
	Exchange
	PayloadStatus int `json:"payload_status"`
}

// TimeoutRun is a job longer than the timeout, on the bare emulator and
// through the gateway.
type TimeoutRun struct {
	JobSeconds float64  `json:"job_seconds"`
	Direct     Exchange `json:"direct"`
	// Resets counts the emulator's "Reset initiated: Timeout" lines.
	Resets        int      `json:"resets"`
	Gateway       Exchange `json:"gateway"`
	RetireReasons []string `json:"retire_reasons"`
}

// Concurrency is two jobs at once, on one emulator and through the
// gateway.
type Concurrency struct {
	Direct           []Exchange `json:"direct"`
	EmulatorPanicked bool       `json:"emulator_panicked"`
	EmulatorRunning  bool       `json:"emulator_running"`
	Gateway          []Exchange `json:"gateway"`
	NewEnvironments  int        `json:"new_environments"`
}

// Claim returns the named claim (not holding when this run did not judge it).
func (r *Result) Claim(name string) results.Claim { return r.Claims.Get(name) }

func (r *Result) judge() {
	in, m, f := r.Init, r.Memory, r.Freeze
	mb := int64(r.MemoryMB) << 20
	var direct []string
	directOK := len(r.Events.Direct) > 0
	for _, d := range r.Events.Direct {
		direct = append(direct, fmt.Sprintf("%s: HTTP %d, statusCode %d", d.Event, d.Status, d.PayloadStatus))
		directOK = directOK && d.OK() && d.PayloadStatus == 200
	}
	var conc []string
	bothServed := len(r.Concurrency.Direct) == 2
	for _, x := range r.Concurrency.Direct {
		conc = append(conc, describe(x))
		bothServed = bothServed && x.OK() && payloadStatus(x.Body) == 200
	}
	gw := r.Concurrency.Gateway
	gwOK := len(gw) == 2 && gw[0].OK() && gw[1].OK()
	t := r.TimeoutRun
	r.Claims = results.Claims{
		results.ClaimOf(ClaimBehaviourTable, r.Behaviour.Failed == 0 && r.Behaviour.Passed > 0,
			fmt.Sprintf("%d cases passed, %d failed %v", r.Behaviour.Passed, r.Behaviour.Failed, r.Behaviour.Failures)),
		results.ClaimOf(ClaimReportInit, in.ReportInit > 0 && in.ReportInit*10 < in.InitReport && in.FirstInvoke >= in.InitReport,
			fmt.Sprintf("REPORT Init Duration %s; the emulator's INIT REPORT %s; the gateway saw the first invoke take %s, a warm one %s", report.Millis(in.ReportInit), report.Millis(in.InitReport), report.Millis(in.FirstInvoke), report.Millis(in.Warm))),
		results.ClaimOf(ClaimReportDuration, in.InitReport > 0 && in.FirstDuration >= in.InitReport,
			fmt.Sprintf("first REPORT Duration %s ≥ INIT REPORT %s: the init is inside it", report.Millis(in.FirstDuration), report.Millis(in.InitReport))),
		results.ClaimOf(ClaimMaxMemory, slices.Equal(m.MaxMemoryUsedMB, []int{m.MemorySizeMB}) && m.UsageBytes > 0 && m.UsageBytes < int64(m.MemorySizeMB)<<20/2,
			fmt.Sprintf("Max Memory Used %v MB on all %d REPORT lines (Memory Size %d MB); the container uses %s (cgroup peak %s)", m.MaxMemoryUsedMB, m.Reports, m.MemorySizeMB, mib(m.UsageBytes), mib(m.MaxUsageBytes))),
		results.ClaimOf(ClaimMemoryLimit, r.MemoryMB > 0 && m.LimitBytes == mb && m.MemorySizeMB == r.MemoryMB,
			fmt.Sprintf("container memory limit %s for a %d MB function; REPORT Memory Size %d MB; CPU share %.3f vCPU", mib(m.LimitBytes), r.MemoryMB, m.MemorySizeMB, float64(m.NanoCPUs)/1e9)),
		results.ClaimOf(ClaimNoIAM, r.IAM.Unsigned.Status == 200 && r.IAM.Forged.Status == 200,
			fmt.Sprintf("unsigned GET /whoami: %d; with a forged SigV4 signature: %d", r.IAM.Unsigned.Status, r.IAM.Forged.Status)),
		results.ClaimOf(ClaimEventShape, r.Events.Shape.Version == "2.0" && len(r.Events.Shape.Read) == len(readFields) && len(r.Events.Shape.Missing) > 0,
			fmt.Sprintf("version %s with every field the adapter reads (%s); lacks %s", r.Events.Shape.Version, strings.Join(r.Events.Shape.Read, ", "), strings.Join(r.Events.Shape.Missing, ", "))),
		results.ClaimOf(ClaimRealPayloads, directOK, strings.Join(direct, "; ")),
		results.ClaimOf(ClaimFunctionError, r.Events.NotHTTP.Status == 200 && r.Events.NotHTTP.FunctionError == "" && strings.Contains(r.Events.NotHTTP.Body, "errorMessage"),
			fmt.Sprintf("{} straight to the emulator: HTTP %d, X-Amz-Function-Error %q, body %s", r.Events.NotHTTP.Status, r.Events.NotHTTP.FunctionError, r.Events.NotHTTP.Body)),
		results.ClaimOf(ClaimTimeout, t.Direct.Status == 200 && t.Direct.FunctionError == "" && strings.HasPrefix(t.Direct.Body, "Task timed out after") && t.Gateway.Status == 502 && slices.Contains(t.RetireReasons, "timeout"),
			fmt.Sprintf("a %gs job with a %s timeout: the emulator answered HTTP %d after %s, X-Amz-Function-Error %q, body %q (%d reset); the gateway answered %d %s and retired the environment (%v)",
				t.JobSeconds, r.Timeout, t.Direct.Status, report.Millis(t.Direct.Latency), t.Direct.FunctionError, t.Direct.Body, t.Resets, t.Gateway.Status, t.Gateway.Body, t.RetireReasons)),
		results.ClaimOf(ClaimEmulatorOneInvoke, len(r.Concurrency.Direct) == 2 && !bothServed,
			fmt.Sprintf("two %s jobs at once on one emulator: %s; the emulator panicked: %v", ConcurrentJob, strings.Join(conc, "; "), r.Concurrency.EmulatorPanicked)),
		results.ClaimOf(ClaimGatewayScales, gwOK && r.Concurrency.NewEnvironments >= 2,
			fmt.Sprintf("two %s jobs at once through the gateway: %s; %d new environments", ConcurrentJob, describeAll(gw), r.Concurrency.NewEnvironments)),
		results.ClaimOf(ClaimNoFreeze, f.Running && !f.Paused,
			fmt.Sprintf("after %s idle: running %v, paused %v; CPU time %s → %s", r.Idle, f.Running, f.Paused, report.Millis(f.CPUBefore), report.Millis(f.CPUAfter))),
	}
}

func describe(x Exchange) string {
	if x.Error != "" {
		return "no answer (" + x.Error + ")"
	}
	return fmt.Sprintf("HTTP %d", x.Status)
}

func describeAll(xs []Exchange) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = describe(x)
	}
	return strings.Join(s, ", ")
}
