package cost

import (
	"cmp"
	"errors"
	"fmt"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/ec2"
	"github.com/computeladder/computeladder/harness/results"
)

// The counterparts' sizes where the run does not give one: Lambda's
// default memory, and the smallest Fargate task (what deployers/ecs runs
// by default).
const (
	defaultFunctionMB = 128
	fargateVCPU       = 0.25
	fargateGB         = 0.5
)

// Ladder fills each measured variant's Cost: what its cloud counterpart
// would bill for this run's workload at the run's rate (Settings.Rate),
// over a 730-hour month and per million requests.
//
//   - lambda → Lambda: the request charge plus GB-seconds of this run's
//     warm durations (each request's service time rounded up to the
//     billing granularity; see FromResults) at the function's memory; no
//     free tier. Measured locally through the emulator and its gateway, the
//     duration is an upper bound of what Lambda bills.
//   - container → one Fargate task, the smallest (0.25 vCPU, 0.5 GB), on
//     all month with a public IPv4 address, as deployers/ecs runs it.
//   - vm → one EC2 instance of the type deployers/ec2 launches for the
//     VM's memory and architecture (the smallest burstable type with at
//     least that memory), on all month with a public IPv4 address.
//
// One instance is billed because one served the whole warm load; Basis
// says how the warm load went, so a reader sees when one was not enough.
func Ladder(run *results.Run, p *Pricing) error {
	if run == nil || p == nil {
		return errors.New("cost of the ladder: no run or no prices")
	}
	arch, err := ParseArch(run.Machine.Arch)
	if err != nil {
		arch = X86
	}
	rate := float64(run.Settings.Rate)
	for i := range run.Variants {
		v := &run.Variants[i]
		a := arch
		if va, err := ParseArch(v.Arch); err == nil {
			a = va // what this variant was built for, where recorded
		}
		v.Cost = variantCost(v, p, a, rate, run.Settings.Duration > 0)
	}
	return nil
}

func variantCost(v *results.Variant, p *Pricing, arch Arch, rate float64, loaded bool) *results.Cost {
	c := &results.Cost{Rate: rate}
	switch {
	case len(v.NotMeasured) > 0:
		c.NotComputed = "the variant was not measured"
		return c
	case !loaded || rate <= 0 || v.Warm == nil || v.Warm.Result == nil:
		c.NotComputed = "no warm load was measured: run with --duration"
		return c
	}
	perMonth := RequestsPerMonth(rate)
	s := v.Warm.Result.Summary
	served := fmt.Sprintf("one local instance served %d req/s (achieved %.1f/s, %d errors of %d)", v.Warm.Result.Rate, s.AchievedRate, s.Errors, s.Requests)
	switch v.Variant {
	case deployers.Lambda:
		m, err := measure(*v, p.Lambda.BillingGranularityMS)
		if err != nil {
			c.NotComputed = err.Error()
			return c
		}
		mb := cmp.Or(v.MemoryMB, defaultFunctionMB)
		model, err := New(p, Config{Arch: arch, MemoryMB: mb, BilledMS: m.BilledMS})
		if err != nil {
			c.NotComputed = err.Error()
			return c
		}
		c.Counterpart = fmt.Sprintf("Lambda %d MB %s", mb, arch)
		c.PerMillion = model.PerRequest() * 1e6
		c.Monthly = model.LambdaMonthly(perMonth)
		c.PricesAsOf = p.Lambda.AsOf
		c.Basis = fmt.Sprintf("mean billed duration %.2f ms (%d warm requests' service times, each rounded up to %g ms; the slowest %d left out) × %d MB at $%g per GB-s, plus $%g per request; no free tier; "+
			"measured through the local emulator and gateway, an upper bound of Lambda's Duration; each cold start's Init Duration is billed too and not included",
			m.BilledMS, m.Requests, p.Lambda.BillingGranularityMS, m.Trimmed, mb, p.Lambda.GBSecond[arch], p.Lambda.Request)
	case deployers.Container:
		o := p.FargateOption(arch, fargateVCPU, fargateGB, true)
		c.Counterpart = fmt.Sprintf("Fargate %g vCPU / %g GB %s", fargateVCPU, fargateGB, arch)
		c.Monthly = o.Monthly
		c.PerMillion = o.Monthly / perMonth * 1e6
		c.PricesAsOf = p.Fargate.AsOf
		c.Basis = "one task always on: " + o.Detail + "; " + served
	case deployers.VM:
		// The instance deployers/ec2 would launch for the VM's memory.
		name, err := ec2.InstanceTypeFor(cmp.Or(v.MemoryMB, ec2.DefaultMemoryMB), arch.GOARCH())
		if err == nil {
			if _, ok := p.EC2.Instances[name]; !ok {
				err = fmt.Errorf("infra/pricing.json has no price for %s, which deployers/ec2 launches: add it", name)
			}
		}
		if err != nil {
			c.NotComputed = err.Error()
			return c
		}
		o := p.EC2Option(name, true)
		c.Counterpart = "EC2 " + name
		c.Monthly = o.Monthly
		c.PerMillion = o.Monthly / perMonth * 1e6
		c.PricesAsOf = p.EC2.AsOf
		c.Basis = "one instance always on: " + o.Detail + "; " + served
	default:
		c.NotComputed = fmt.Sprintf("no cloud counterpart for variant %q", v.Variant)
	}
	return c
}
