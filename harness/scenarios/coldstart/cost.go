package coldstart

import (
	"fmt"
	"time"

	"github.com/computeladder/computeladder/harness/cost"
)

// Provisioned concurrency is not in infra/pricing.json (the cost model
// compares on-demand Lambda with always-on servers), so its published
// price is kept here, with its source and date.
const (
	// ProvisionedGBSecondX86 and ProvisionedGBSecondARM are the price of
	// one GB-second of provisioned concurrency, billed whether the
	// environment serves or not.
	ProvisionedGBSecondX86 = 0.0000041667
	ProvisionedGBSecondARM = 0.0000033334
	// ProvisionedSource says where the prices come from.
	ProvisionedSource = "AWS Lambda pricing (https://aws.amazon.com/lambda/pricing/), Provisioned Concurrency, US East (N. Virginia): " +
		"$0.0000041667 per GB-s x86_64, $0.0000033334 arm64, billed from enable to disable (rounded up to 5 minutes), " +
		"plus $0.20 per million requests and $0.0000097222 per GB-s of duration (x86_64) while it serves; no free tier. " +
		"Not in infra/pricing.json: the published figure, recorded 2026-11-25 without access to the live page; check it before relying on it."
	// PingInterval is how often a keep-warm ping runs: Lambda keeps idle
	// environments for minutes (undocumented, typically 5 to 15), so every
	// 5 minutes is the common choice.
	PingInterval = 5 * time.Minute
)

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
	ProvisionedSource  string  `json:"provisioned_source"`

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
// (cost.HoursPerMonth); warm is one warm request's latency.
func warmPoolCost(p *cost.Pricing, arch cost.Arch, memoryMB, k int, warm time.Duration) (WarmPoolCost, error) {
	gbs, ok := p.Lambda.GBSecond[arch]
	if !ok {
		return WarmPoolCost{}, fmt.Errorf("pricing: no Lambda GB-second price for %s in infra/pricing.json", arch)
	}
	if memoryMB <= 0 || k <= 0 {
		return WarmPoolCost{}, fmt.Errorf("warm pool cost: memory %d MB, %d environments: both must be positive", memoryMB, k)
	}
	pc := ProvisionedGBSecondX86
	if arch == cost.ARM {
		pc = ProvisionedGBSecondARM
	}
	gb := float64(memoryMB) / 1024
	c := WarmPoolCost{
		Environments: k, MemoryMB: memoryMB, Arch: arch,
		ProvisionedGBSecond:  pc,
		ProvisionedMonthly:   float64(k) * gb * pc * cost.SecondsPerMonth,
		ProvisionedSource:    ProvisionedSource,
		PingInterval:         PingInterval,
		PingRequestsPerMonth: float64(k) * cost.SecondsPerMonth / PingInterval.Seconds(),
		PingBilledMS:         cost.BilledMS(warm, p.Lambda.BillingGranularityMS),
		PricingAsOf:          p.Lambda.AsOf,
		PricingSource:        p.Lambda.Source,
	}
	c.PingMonthly = c.PingRequestsPerMonth * (p.Lambda.Request + c.PingBilledMS/1000*gb*gbs)
	return c, nil
}
