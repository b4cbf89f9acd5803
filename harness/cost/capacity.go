package cost

import (
	"errors"
	"fmt"
	"math"
)

// Capacity is the measured throughput that sizes the always-on side: an
// always-on instance serves at most so many requests per second, so a
// higher rate needs more instances, and its bill rises in steps, not as
// one small instance serving any load.
//
// The figure is what one local instance of the app served (successful
// responses per second with clients sending back to back: a closed-loop
// burst), over the CPUs it could use. A cloud instance's capacity is then
// assumed to be that per-vCPU throughput times its vCPUs: CPU-bound work
// scales about linearly with CPU, and a cloud vCPU is assumed to serve as
// many requests as a local one. Neither is measured here: the assumption
// is printed with every figure built on it (Assumption).
type Capacity struct {
	// RPS is the successful responses per second one local instance
	// served.
	RPS float64 `json:"rps"`
	// VCPUs is how many CPUs that instance could use (a local container is
	// not CPU-limited: the host's).
	VCPUs float64 `json:"vcpus"`
	// Source says which run and which measurement RPS comes from.
	Source string `json:"source"`
}

// PerVCPU is the measured throughput per CPU.
func (c Capacity) PerVCPU() float64 { return c.RPS / c.VCPUs }

// For is the assumed capacity, in requests per second, of an instance with
// vcpu vCPUs.
func (c Capacity) For(vcpu float64) float64 { return c.PerVCPU() * vcpu }

// Assumption says, in one sentence, how the always-on capacities are made.
func (c Capacity) Assumption() string {
	return fmt.Sprintf("capacity per instance = %.0f req/s measured on one local instance with %g CPUs (%s) = %.0f req/s per vCPU, times the instance's vCPUs: "+
		"assumed, not measured — a cloud vCPU may serve fewer or more, and a burstable EC2 type (t3, t4g) sustains more than its baseline CPU only with unlimited-mode surplus credits (extra charge, not included)",
		c.RPS, c.VCPUs, c.Source, c.PerVCPU())
}

func (c Capacity) validate() error {
	if !(c.RPS > 0) || math.IsInf(c.RPS, 0) || !(c.VCPUs > 0) || math.IsInf(c.VCPUs, 0) {
		return fmt.Errorf("capacity %g req/s on %g CPUs: give a measured positive throughput and CPU count (the always-on side is sized from it)", c.RPS, c.VCPUs)
	}
	if c.Source == "" {
		return errors.New("capacity: say where the measured throughput comes from")
	}
	return nil
}

// Instances is how many instances of o serve rate requests per second:
// ceil(rate / o.Capacity), and at least one (an always-on option is on).
func Instances(o Option, rate float64) int {
	if o.Capacity <= 0 || rate <= 0 {
		return 1
	}
	return max(1, int(math.Ceil(rate/o.Capacity-1e-9)))
}

// AlwaysOnMonthly is the monthly bill of o at rate requests per second:
// Instances(o, rate) × o.Monthly, a step function of rate.
func AlwaysOnMonthly(o Option, rate float64) float64 {
	return float64(Instances(o, rate)) * o.Monthly
}
