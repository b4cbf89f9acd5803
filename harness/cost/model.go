package cost

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/computeladder/computeladder/deployers/ecs"
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
	// 0.5 GB: the smallest Fargate task); a size Fargate does not offer is
	// refused (deployers/ecs.ValidSize).
	FargateVCPU float64
	FargateGB   float64
	// Capacity sizes the always-on options: how many instances a rate
	// needs. Table and SVG, which show the always-on side, need it; a
	// model that only prices Lambda (the ladder's) may leave it zero.
	Capacity Capacity
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
	if err := ecs.ValidSize(cfg.FargateVCPU, cfg.FargateGB); err != nil {
		errs = append(errs, err)
	}
	if cfg.Capacity != (Capacity{}) {
		if err := cfg.Capacity.validate(); err != nil {
			errs = append(errs, err)
		}
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

// Option is an always-on alternative: one instance's monthly bill and
// what it can serve.
type Option struct {
	Name    string  // e.g. "ec2 t4g.small"
	Monthly float64 // dollars per 730-hour month, one instance
	Detail  string  // how the figure is made
	VCPU    float64 // the instance's vCPUs
	// Capacity is the requests per second one instance serves (see
	// Capacity.For); zero when not sized (one instance at any rate).
	Capacity float64
}

// AlwaysOn lists the always-on options, each sized by the model's
// Capacity (zero without one: see Sized): the EC2 instance types marked for comparison and a Fargate
// task of the configured size and architecture.
func (m *Model) AlwaysOn() []Option {
	var opts []Option
	for _, name := range m.p.InstanceNames() {
		if !m.p.EC2.Instances[name].Compare {
			continue
		}
		opts = append(opts, m.p.EC2Option(name, m.cfg.PublicIPv4))
	}
	opts = append(opts, m.p.FargateOption(m.cfg.Arch, m.cfg.FargateVCPU, m.cfg.FargateGB, m.cfg.PublicIPv4))
	if m.cfg.Capacity == (Capacity{}) {
		return opts
	}
	for i := range opts {
		opts[i].Capacity = m.cfg.Capacity.For(opts[i].VCPU)
	}
	return opts
}

// Sized returns an error unless the model has a Capacity: what shows the
// always-on side at several rates must not bill one instance for any load.
func (m *Model) Sized() error {
	if m.cfg.Capacity == (Capacity{}) {
		return errors.New("cost model: no capacity: the always-on side needs a measured throughput per instance (Config.Capacity)")
	}
	return nil
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
		VCPU:    in.VCPU,
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
		VCPU: vcpu,
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
	// Rate is the first crossover in requests per second, and Requests the
	// same per month; both zero when Never is set. Instances is how many
	// instances the option needs there.
	Rate      float64
	Requests  float64
	Instances int
	// Beyond is the rate from which the always-on option stays cheaper.
	// It is above Rate when adding an instance (a step of the always-on
	// bill) makes Lambda cheaper again for a while; else it equals Rate.
	Beyond float64
	// Never says why there is no crossover; empty when there is one.
	Never string
}

// maxSteps bounds the always-on steps a crossover is looked for in.
const maxSteps = 1_000_000

// Crossover finds where Lambda's bill first reaches the always-on
// option's, which rises in steps: k instances serve up to k × o.Capacity
// req/s for k × o.Monthly. On each step the always-on bill is flat, so
// each step is solved as a flat bill (crossFlat); the first step whose
// crossing lies within it is the crossover. Past it, a new instance's
// step may lift the always-on bill above Lambda's again: Beyond is where
// that stops. An option without a capacity is one instance at any rate.
func (m *Model) Crossover(o Option) Crossover {
	c := Crossover{Option: o}
	if o.Monthly <= 0 {
		c.Never = fmt.Sprintf("%s costs nothing a month: Lambda is never cheaper", o.Name)
		return c
	}
	if m.PerRequest() <= 0 {
		c.Never = "a request costs nothing on Lambda at these prices: the always-on option is never cheaper"
		return c
	}
	if o.Capacity <= 0 {
		c.Requests = m.crossFlat(o.Monthly)
		c.Rate, c.Beyond, c.Instances = c.Requests/SecondsPerMonth, c.Requests/SecondsPerMonth, 1
		return c
	}
	// Past the free tier each instance's worth of traffic costs on Lambda
	// PerRequest × its requests a month; if that is below one instance's
	// bill, every step stays above Lambda's line.
	perStep := o.Capacity * SecondsPerMonth
	if lambdaPerStep := m.PerRequest() * perStep; lambdaPerStep < o.Monthly {
		c.Never = fmt.Sprintf("one %s serves at most %s req/s (%s requests a month), which Lambda bills %s: less than the instance's %s, so Lambda is cheaper at every rate",
			o.Name, formatRate(o.Capacity), formatCount(perStep), Dollars(lambdaPerStep), Dollars(o.Monthly))
		return c
	}
	// The first step whose crossing lies within it. Lambda's bill is convex
	// and starts at 0, the always-on steps rise evenly: once Lambda's bill
	// at a step's end has reached the step's, it stays above at every later
	// step's end, so the steps are searched by bisection, not one by one.
	// A tie counts as reached, also when rounding puts the crossing a hair
	// past the step's end: when one instance's traffic costs on Lambda
	// exactly the instance's price and there is no free tier, every step's
	// end is a tie, and rounding alone must not move the crossover.
	k := firstStep(1, func(k int) bool { return m.crossFlat(float64(k)*o.Monthly) <= float64(k)*perStep*(1+1e-12) })
	if k > maxSteps {
		c.Never = fmt.Sprintf("no crossover within %d instances", maxSteps)
		return c
	}
	c.Requests, c.Instances = m.crossFlat(float64(k)*o.Monthly), k
	c.Rate = c.Requests / SecondsPerMonth
	c.Beyond = c.Rate
	// Lambda is cheaper again on step j while its bill where the step
	// starts is below the step's; the steps where it is form one run from
	// step k+1 (past step k Lambda's bill gains on the always-on one at
	// every step), so its end is bisected too.
	if j := firstStep(k+1, func(j int) bool { return m.LambdaMonthly(float64(j-1)*perStep) >= float64(j)*o.Monthly }) - 1; j > k {
		c.Beyond = m.crossFlat(float64(j)*o.Monthly) / SecondsPerMonth
	}
	return c
}

// firstStep is the first step k from lo to maxSteps for which holds is
// true, or maxSteps+1; holds must stay true once true.
func firstStep(lo int, holds func(k int) bool) int {
	if lo > maxSteps {
		return lo
	}
	return lo + sort.Search(maxSteps-lo+1, func(i int) bool { return holds(lo + i) })
}

// crossFlat solves LambdaMonthly(n) = monthly (> 0) for n. The bill is
// piecewise linear in n (linear without the free tier; with it, flat until
// the request allowance or the GB-second allowance runs out, then
// steeper), so each piece is solved in closed form. PerRequest must be
// positive.
func (m *Model) crossFlat(monthly float64) float64 {
	l := m.p.Lambda
	g := m.GBSecondsPerRequest()
	pg := l.GBSecond[m.cfg.Arch]
	// Breakpoints where an allowance runs out: the slope changes there.
	breaks := []float64{0}
	if m.cfg.FreeTier {
		breaks = append(breaks, l.FreeTier.Requests)
		if g > 0 {
			breaks = append(breaks, l.FreeTier.GBSeconds/g)
		}
		sort.Float64s(breaks)
	}
	var n float64
	for i, lo := range breaks {
		// Slope just after lo: each charge counts once its allowance is spent.
		var slope float64
		if !m.cfg.FreeTier || lo >= l.FreeTier.Requests {
			slope += l.Request
		}
		if !m.cfg.FreeTier || (g > 0 && lo >= l.FreeTier.GBSeconds/g) {
			slope += g * pg
		}
		if slope <= 0 {
			continue
		}
		n = lo + (monthly-m.LambdaMonthly(lo))/slope
		if i+1 == len(breaks) || n <= breaks[i+1] {
			break // reached within this piece (the last piece's slope is PerRequest() > 0)
		}
	}
	return n
}
