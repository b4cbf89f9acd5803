package cost

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/results"
)

// Measured is the function's per-request figures taken from a lab run.
type Measured struct {
	// BilledMS is the mean billed duration: each warm request's service time
	// (actual send → response, so the load generator's own queueing is not
	// billed) rounded up to the granularity, then averaged over all but the
	// slowest 1 %.
	BilledMS float64
	// Requests is how many successful warm requests it is the mean of, and
	// Trimmed how many of the slowest were left out (1 %).
	Requests int
	Trimmed  int
	// P50 is the warm median latency, for the reader to compare.
	P50 time.Duration
	// MemoryMB is the function memory the run used; zero if not recorded.
	MemoryMB int
	// Endpoint is the route the warm load hit, e.g. "POST /checkout".
	Endpoint string
	// Target is where the run deployed (local, localstack, aws).
	Target string
}

// FromResults extracts the Lambda variant's warm figures from a run.
//
// Locally the duration is what a client saw through the emulator and its
// gateway, an upper bound on what Lambda would bill (its Duration excludes
// the network and the Function URL front end).
func FromResults(run *results.Run, granularityMS float64) (Measured, error) {
	if run == nil {
		return Measured{}, errors.New("results: no run")
	}
	for _, v := range run.Variants {
		if v.Variant != deployers.Lambda {
			continue
		}
		m, err := measure(v, granularityMS)
		if err != nil {
			return Measured{}, fmt.Errorf("results %s: %w: run make lab-lambda again, or pass --duration-ms", run.RunID, err)
		}
		m.Target = run.Target
		if v.MemoryMB > 0 {
			m.MemoryMB = v.MemoryMB
		}
		return m, nil
	}
	return Measured{}, fmt.Errorf("results %s: no lambda variant: run make lab-lambda (or make lab) first, or pass --duration-ms", run.RunID)
}

// measure is v's mean billed duration from its warm load's service times.
func measure(v results.Variant, granularityMS float64) (Measured, error) {
	if v.Warm == nil || v.Warm.Result == nil {
		why := "it has no warm latency"
		if v.Error != "" {
			why = "it failed: " + v.Error
		}
		return Measured{}, fmt.Errorf("%s variant unusable, %s", v.Variant, why)
	}
	var ds []time.Duration
	for _, s := range v.Warm.Result.Samples {
		if s.OK() && s.Service > 0 {
			ds = append(ds, s.Service)
		}
	}
	// Leave out the slowest 1 %: locally they are requests that waited
	// for a new execution environment (a container start, hundreds of
	// ms), which Lambda does not bill as Duration; one such request
	// among 250 would add 2.5 ms to a 2.3 ms mean.
	slices.Sort(ds)
	trimmed := len(ds) / 100
	ds = ds[:len(ds)-trimmed]
	mean, err := MeanBilledMS(ds, granularityMS)
	if err != nil {
		return Measured{}, fmt.Errorf("%s warm load has no successful request", v.Variant)
	}
	return Measured{
		BilledMS: mean,
		Requests: len(ds),
		Trimmed:  trimmed,
		P50:      v.Warm.Result.Summary.Latency.P50,
		Endpoint: v.Warm.Endpoint,
	}, nil
}

// CapacityFromResults is the always-on capacity a ladder run measured: the
// container variant's burst (closed-loop clients sending back to back on
// one container, see results.Burst) in successful responses per second,
// on the run machine's CPUs (a local container is not CPU-limited). The
// clients ran on the same machine, so the figure is a lower bound of what
// the container alone could serve.
func CapacityFromResults(run *results.Run) (Capacity, error) {
	if run == nil {
		return Capacity{}, errors.New("results: no run")
	}
	for _, v := range run.Variants {
		if v.Variant != deployers.Container {
			continue
		}
		if v.Scaling == nil || v.Scaling.Burst == nil || !(v.Scaling.Burst.Throughput > 0) {
			return Capacity{}, fmt.Errorf("results %s: the container variant has no burst throughput (run with --burst-duration above 0)", run.RunID)
		}
		b := v.Scaling.Burst
		if b.Errors > 0 {
			return Capacity{}, fmt.Errorf("results %s: the container's burst had %d errors: its throughput is not a capacity", run.RunID, b.Errors)
		}
		if run.Machine.CPUs <= 0 {
			return Capacity{}, fmt.Errorf("results %s: the machine's CPU count is not recorded", run.RunID)
		}
		return Capacity{
			RPS: b.Throughput, VCPUs: float64(run.Machine.CPUs),
			Source: fmt.Sprintf("the container's burst in run %s: %d closed-loop clients on %s for %s, %d requests, 0 errors; the clients shared the machine, so a lower bound",
				run.RunID, b.Clients, b.Endpoint, b.Duration.Round(time.Millisecond), b.Requests),
		}, nil
	}
	return Capacity{}, fmt.Errorf("results %s: no container variant to measure the always-on capacity: run make lab (or make lab-container), or pass --capacity-rps", run.RunID)
}
