package coldstart

import (
	"fmt"
	"time"

	"github.com/computeladder/computeladder/harness/cost"
)

// PingInterval is how often a keep-warm ping runs: Lambda keeps idle
// environments for minutes (undocumented, typically 5 to 15), so every
// 5 minutes is the common choice.
const PingInterval = 5 * time.Minute

// WarmPoolCost is what keeping K environments warm costs per month, two
// ways: provisioned concurrency (guaranteed, billed all the time) and a
// keep-warm ping (K concurrent requests every PingInterval: cheap, but
// nothing guarantees the pings land on K distinct environments, and Lambda
// still recycles environments every few hours).
type WarmPoolCost struct {
	Environments int       `json:"environments"`
	MemoryMB     int       `json:"memory_mb"`
	Arch         cost.Arch `json:"arch"`

	ProvisionedGBSecond float64 `json:"provisioned_gb_second"`
	// ProvisionedMonthly is the idle charge alone: requests and duration
	// come on top, as for on-demand.
	ProvisionedMonthly float64 `json:"provisioned_monthly"`
	// ProvisionedAsOf and ProvisionedSource are infra/pricing.json's
	// provisioned-concurrency entry.
	ProvisionedAsOf   string `json:"provisioned_as_of"`
	ProvisionedSource string `json:"provisioned_source"`

	PingInterval         time.Duration `json:"ping_interval_ns"`
	PingRequestsPerMonth float64       `json:"ping_requests_per_month"`
	// PingBilledMS is one ping's billed duration (the warm burst's p50,
	// rounded up to the billing granularity: a client-side upper bound).
	PingBilledMS float64 `json:"ping_billed_ms"`
	PingMonthly  float64 `json:"ping_monthly"`
	// PricingAsOf and PricingSource are infra/pricing.json's Lambda
	// entry, which prices the pings.
	PricingAsOf   string `json:"pricing_as_of"`
	PricingSource string `json:"pricing_source"`
}

// warmPoolCost prices k environments of memoryMB kept warm for a month
// (cost.HoursPerMonth); warm is one warm request's latency. Both ways are
// priced from p (infra/pricing.json): provisioned concurrency from
// lambda.provisioned_concurrency, the pings from the on-demand prices.
func warmPoolCost(p *cost.Pricing, arch cost.Arch, memoryMB, k int, warm time.Duration) (WarmPoolCost, error) {
	gbs, ok := p.Lambda.GBSecond[arch]
	if !ok {
		return WarmPoolCost{}, fmt.Errorf("pricing: no Lambda GB-second price for %s in infra/pricing.json", arch)
	}
	if memoryMB <= 0 || k <= 0 {
		return WarmPoolCost{}, fmt.Errorf("warm pool cost: memory %d MB, %d environments: both must be positive", memoryMB, k)
	}
	pc, ok := p.Lambda.Provisioned.GBSecond[arch]
	if !ok {
		return WarmPoolCost{}, fmt.Errorf("pricing: no Lambda provisioned-concurrency price for %s in infra/pricing.json", arch)
	}
	gb := float64(memoryMB) / 1024
	c := WarmPoolCost{
		Environments: k, MemoryMB: memoryMB, Arch: arch,
		ProvisionedGBSecond:  pc,
		ProvisionedMonthly:   float64(k) * gb * pc * cost.SecondsPerMonth,
		ProvisionedAsOf:      p.Lambda.Provisioned.AsOf,
		ProvisionedSource:    p.Lambda.Provisioned.Source,
		PingInterval:         PingInterval,
		PingRequestsPerMonth: float64(k) * cost.SecondsPerMonth / PingInterval.Seconds(),
		PingBilledMS:         cost.BilledMS(warm, p.Lambda.BillingGranularityMS),
		PricingAsOf:          p.Lambda.AsOf,
		PricingSource:        p.Lambda.Source,
	}
	c.PingMonthly = c.PingRequestsPerMonth * (p.Lambda.Request + c.PingBilledMS/1000*gb*gbs)
	return c, nil
}
