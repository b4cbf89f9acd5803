package cost

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// Config is what the bill depends on besides the prices.
type Config struct {
	// Arch picks Lambda's and Fargate's price.
	Arch Arch
	// MemoryMB is the function's memory (128–10,240 MB); billing is per
	// GB-second, so it multiplies the duration cost.
	MemoryMB int
	// BilledMS is the mean billed duration of one request, already rounded
	// up per request (see BilledMS and MeanBilledMS).
	BilledMS float64
	// FreeTier subtracts Lambda's monthly allowance.
	FreeTier bool
	// FargateVCPU and FargateGB size the always-on task (default 0.25 vCPU,
	// 0.5 GB: the smallest Fargate task).
	FargateVCPU float64
	FargateGB   float64
	// PublicIPv4 adds the address charge to the always-on options: a VM or a
	// task that answers the internet directly has one; a function URL does not.
	PublicIPv4 bool
}

// Model is a validated Config with its prices.
type Model struct {
	p   *Pricing
	cfg Config
}

// New validates cfg against p.
func New(p *Pricing, cfg Config) (*Model, error) {
	if p == nil {
		return nil, errors.New("cost model: no pricing")
	}
	if cfg.FargateVCPU == 0 && cfg.FargateGB == 0 {
		cfg.FargateVCPU, cfg.FargateGB = 0.25, 0.5
	}
	var errs []error
	if cfg.Arch != X86 && cfg.Arch != ARM {
		errs = append(errs, fmt.Errorf("arch %q: use x86_64 or arm64", cfg.Arch))
	}
	if cfg.MemoryMB < 128 || cfg.MemoryMB > 10240 {
		errs = append(errs, fmt.Errorf("memory %d MB: Lambda allows 128 to 10240 MB", cfg.MemoryMB))
	}
	if !(cfg.BilledMS > 0) || math.IsInf(cfg.BilledMS, 0) {
		errs = append(errs, fmt.Errorf("billed duration %g ms: must be a positive number of milliseconds", cfg.BilledMS))
	}
	if !(cfg.FargateVCPU > 0) || !(cfg.FargateGB > 0) {
		errs = append(errs, fmt.Errorf("fargate task %g vCPU / %g GB: both must be positive", cfg.FargateVCPU, cfg.FargateGB))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("cost model: %w", err)
	}
	return &Model{p: p, cfg: cfg}, nil
}

// Config returns the model's configuration, defaults applied.
func (m *Model) Config() Config { return m.cfg }

// Pricing returns the model's prices.
func (m *Model) Pricing() *Pricing { return m.p }

// BilledMS rounds one request's duration up to the billing granularity, as
// Lambda does per invocation (1 ms since December 2020).
func BilledMS(d time.Duration, granularityMS float64) float64 {
	if d <= 0 || granularityMS <= 0 {
		return 0
	}
	ms := float64(d) / float64(time.Millisecond)
	return math.Ceil(ms/granularityMS-1e-9) * granularityMS
}

// MeanBilledMS is the mean billed duration of many requests: each is rounded
// up first, because the bill rounds every invocation, not their average.
func MeanBilledMS(ds []time.Duration, granularityMS float64) (float64, error) {
	if len(ds) == 0 {
		return 0, errors.New("mean billed duration: no durations")
	}
	var sum float64
	for _, d := range ds {
		if d <= 0 {
			return 0, fmt.Errorf("mean billed duration: non-positive duration %v", d)
		}
		sum += BilledMS(d, granularityMS)
	}
	return sum / float64(len(ds)), nil
}

// GBSecondsPerRequest is one request's billed memory × time.
func (m *Model) GBSecondsPerRequest() float64 {
	return m.cfg.BilledMS / 1000 * float64(m.cfg.MemoryMB) / 1024
}

// PerRequest is Lambda's price of one request beyond the free tier:
// the request charge plus its GB-seconds.
func (m *Model) PerRequest() float64 {
	return m.p.Lambda.Request + m.GBSecondsPerRequest()*m.p.Lambda.GBSecond[m.cfg.Arch]
}

// RequestsPerMonth converts a steady rate (requests per second).
func RequestsPerMonth(rate float64) float64 { return rate * SecondsPerMonth }

// LambdaMonthly is the function's monthly bill for n requests a month.
func (m *Model) LambdaMonthly(n float64) float64 {
	l := m.p.Lambda
	reqs, gbs := n, n*m.GBSecondsPerRequest()
	if m.cfg.FreeTier {
		reqs = math.Max(0, reqs-l.FreeTier.Requests)
		gbs = math.Max(0, gbs-l.FreeTier.GBSeconds)
	}
	return reqs*l.Request + gbs*l.GBSecond[m.cfg.Arch]
}

// Option is an always-on alternative and its flat monthly bill.
type Option struct {
	Name    string  // e.g. "ec2 t4g.small"
	Monthly float64 // dollars per 730-hour month
	Detail  string  // how the figure is made
}

// AlwaysOn lists the always-on options: the EC2 instance types marked for
// comparison and a Fargate task of the configured size and architecture.
func (m *Model) AlwaysOn() []Option {
	var opts []Option
	for _, name := range m.p.InstanceNames() {
		if !m.p.EC2.Instances[name].Compare {
			continue
		}
		opts = append(opts, m.p.EC2Option(name, m.cfg.PublicIPv4))
	}
	return append(opts, m.p.FargateOption(m.cfg.Arch, m.cfg.FargateVCPU, m.cfg.FargateGB, m.cfg.PublicIPv4))
}

// EC2Option is one instance of the named type on all month, with a public
// IPv4 address when ip is set.
func (p *Pricing) EC2Option(name string, ip bool) Option {
	in := p.EC2.Instances[name]
	addr, note := p.ipv4(ip)
	return Option{
		Name:    "ec2 " + name,
		Monthly: (in.Hourly + addr) * HoursPerMonth,
		Detail:  fmt.Sprintf("%s, %g vCPU, %g GiB: $%g/h%s × %d h", in.Arch, in.VCPU, in.MemoryGiB, in.Hourly, note, HoursPerMonth),
	}
}

// FargateOption is one task of vcpu and gb on arch running all month, with
// a public IPv4 address when ip is set.
func (p *Pricing) FargateOption(arch Arch, vcpu, gb float64, ip bool) Option {
	r := p.Fargate.Rate(arch)
	addr, note := p.ipv4(ip)
	hourly := vcpu*r.VCPUHour + gb*r.GBHour
	return Option{
		Name:    fmt.Sprintf("fargate %gvCPU/%gGB", vcpu, gb),
		Monthly: (hourly + addr) * HoursPerMonth,
		Detail: fmt.Sprintf("%s: %g vCPU × $%g + %g GB × $%g per hour%s × %d h",
			arch, vcpu, r.VCPUHour, gb, r.GBHour, note, HoursPerMonth),
	}
}

// ipv4 is the hourly address charge when on, and its note for a Detail.
func (p *Pricing) ipv4(on bool) (float64, string) {
	if !on {
		return 0, ""
	}
	return p.PublicIPv4.Hourly, fmt.Sprintf(" + public IPv4 $%g/h", p.PublicIPv4.Hourly)
}

// Crossover is where Lambda's bill meets an always-on option's.
type Crossover struct {
	Option Option
	// Rate is the crossover in requests per second, and Requests the same
	// per month; both zero when Never is set.
	Rate     float64
	Requests float64
	// Never says why there is no crossover; empty when there is one.
	Never string
}

// Crossover solves LambdaMonthly(n) = o.Monthly for n. The bill is
// piecewise linear in n (linear without the free tier; with it, flat until
// the request allowance or the GB-second allowance runs out, then steeper),
// so each piece is solved in closed form.
func (m *Model) Crossover(o Option) Crossover {
	c := Crossover{Option: o}
	if o.Monthly <= 0 {
		c.Never = fmt.Sprintf("%s costs nothing a month: Lambda is never cheaper", o.Name)
		return c
	}
	l := m.p.Lambda
	g := m.GBSecondsPerRequest()
	pg := l.GBSecond[m.cfg.Arch]
	if m.PerRequest() <= 0 {
		c.Never = "a request costs nothing on Lambda at these prices: the always-on option is never cheaper"
		return c
	}
	// Breakpoints where an allowance runs out: the slope changes there.
	breaks := []float64{0}
	if m.cfg.FreeTier {
		breaks = append(breaks, l.FreeTier.Requests)
		if g > 0 {
			breaks = append(breaks, l.FreeTier.GBSeconds/g)
		}
		sort.Float64s(breaks)
	}
	for i, lo := range breaks {
		// Slope just after lo: each charge counts once its allowance is spent.
		var slope float64
		if !m.cfg.FreeTier || lo >= l.FreeTier.Requests {
			slope += l.Request
		}
		if !m.cfg.FreeTier || (g > 0 && lo >= l.FreeTier.GBSeconds/g) {
			slope += g * pg
		}
		flo := m.LambdaMonthly(lo)
		if slope <= 0 {
			continue
		}
		n := lo + (o.Monthly-flo)/slope
		if i+1 < len(breaks) && n > breaks[i+1] {
			continue // not reached within this piece
		}
		c.Requests = n
		c.Rate = n / SecondsPerMonth
		return c
	}
	// Unreachable with positive per-request cost: the last piece's slope is
	// PerRequest() > 0, so it always meets a positive flat bill.
	c.Never = "no crossover found"
	return c
}
