// Package cost models the monthly bill of each variant against request
// rate: Lambda bills per request and per GB-second of billed duration, an
// always-on VM or Fargate task bills by the hour whether it serves anything
// or not. The crossover is the request rate where the two bills are equal;
// below it the function is cheaper, above it the always-on option is.
//
// Prices come from infra/pricing.json (dated, with sources); durations come
// from a lab run's results.json or from the caller.
package cost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/computeladder/computeladder/infra"
)

// HoursPerMonth is AWS's own convention for a monthly figure (8,760 h / 12).
const HoursPerMonth = 730

// SecondsPerMonth converts a request rate to requests per month on the same
// 730-hour month as the hourly prices, so both sides of a crossover agree.
const SecondsPerMonth = HoursPerMonth * 3600

// Arch is an instruction set as AWS names it in prices.
type Arch string

// The architectures priced.
const (
	X86 Arch = "x86_64"
	ARM Arch = "arm64"
)

// GOARCH is the architecture as Go names it (amd64 or arm64).
func (a Arch) GOARCH() string {
	if a == ARM {
		return "arm64"
	}
	return "amd64"
}

// ParseArch accepts the AWS names and Go's.
func ParseArch(s string) (Arch, error) {
	switch strings.ToLower(s) {
	case "x86_64", "amd64":
		return X86, nil
	case "arm64", "aarch64":
		return ARM, nil
	}
	return "", fmt.Errorf("arch %q: use x86_64 or arm64", s)
}

// Pricing is infra/pricing.json.
type Pricing struct {
	Currency   string     `json:"currency"`
	Region     string     `json:"region"`
	QueriedAt  string     `json:"queried_at"`
	Note       string     `json:"note"`
	Lambda     Lambda     `json:"lambda"`
	EC2        EC2        `json:"ec2"`
	EBS        EBS        `json:"ebs"`
	Fargate    Fargate    `json:"fargate"`
	PublicIPv4 PublicIPv4 `json:"public_ipv4"`
}

// Lambda is the function's price list.
type Lambda struct {
	GBSecond             map[Arch]float64 `json:"gb_second"`
	Request              float64          `json:"request"`
	BillingGranularityMS float64          `json:"billing_granularity_ms"`
	FreeTier             FreeTier         `json:"free_tier"`
	// Provisioned is provisioned concurrency: not part of the on-demand
	// model, priced for the cold-start lab's "keep them warm" table.
	Provisioned Provisioned `json:"provisioned_concurrency"`
	AsOf        string      `json:"as_of"`
	Source      string      `json:"source"`
}

// Provisioned is the price of Lambda provisioned concurrency: per GB-second
// configured, billed whether the environments serve or not (requests and
// duration come on top while they serve).
type Provisioned struct {
	GBSecond map[Arch]float64 `json:"gb_second"`
	AsOf     string           `json:"as_of"`
	Source   string           `json:"source"`
}

// FreeTier is Lambda's monthly allowance.
type FreeTier struct {
	Requests  float64 `json:"requests_per_month"`
	GBSeconds float64 `json:"gb_seconds_per_month"`
}

// EC2 is the always-on VM's price list.
type EC2 struct {
	Instances map[string]Instance `json:"instances"`
	AsOf      string              `json:"as_of"`
	Source    string              `json:"source"`
}

// Instance is one instance type's hourly on-demand price.
type Instance struct {
	Arch      Arch    `json:"arch"`
	VCPU      float64 `json:"vcpu"`
	MemoryGiB float64 `json:"memory_gib"`
	Hourly    float64 `json:"hourly"`
	// Compare marks the types the cost model sets against Lambda; the
	// others are priced for the pre-run plan of a run on AWS (every type
	// the VM deployer can launch is listed).
	Compare bool `json:"compare,omitempty"`
}

// EBS is the price of the EC2 instance's root volume.
type EBS struct {
	GP3GBMonth float64 `json:"gp3_gb_month"`
	AsOf       string  `json:"as_of"`
	Source     string  `json:"source"`
}

// Fargate is the container service's price list, by architecture.
type Fargate struct {
	X86    FargateRate `json:"x86_64"`
	ARM    FargateRate `json:"arm64"`
	AsOf   string      `json:"as_of"`
	Source string      `json:"source"`
}

// FargateRate is what one vCPU and one GB of a running task cost per hour.
type FargateRate struct {
	VCPUHour float64 `json:"vcpu_hour"`
	GBHour   float64 `json:"gb_hour"`
}

// Rate returns the rate for arch.
func (f Fargate) Rate(a Arch) FargateRate {
	if a == ARM {
		return f.ARM
	}
	return f.X86
}

// PublicIPv4 is the per-address charge an internet-facing VM or task pays.
type PublicIPv4 struct {
	Hourly float64 `json:"hourly"`
	AsOf   string  `json:"as_of"`
	Source string  `json:"source"`
}

// Default is the pricing shipped in infra/pricing.json.
func Default() (*Pricing, error) {
	p, err := Parse(infra.PricingJSON)
	if err != nil {
		return nil, fmt.Errorf("infra/pricing.json: %w", err)
	}
	return p, nil
}

// Parse decodes and validates a pricing document. Unknown fields are
// refused so that a misspelt price is an error, not a silent zero.
func Parse(b []byte) (*Pricing, error) {
	var p Pricing
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("decode pricing: %w", err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Validate checks that every price the model uses is present and sane.
// Zero is allowed (a what-if with a free item); negative or missing is not.
func (p *Pricing) Validate() error {
	var errs []error
	check := func(name string, v float64) {
		if v < 0 {
			errs = append(errs, fmt.Errorf("%s is negative (%g)", name, v))
		}
	}
	if p.QueriedAt == "" {
		errs = append(errs, errors.New("queried_at is missing: prices must carry the date they were read"))
	}
	if p.Lambda.Source == "" || p.Lambda.Provisioned.Source == "" || p.EC2.Source == "" || p.EBS.Source == "" || p.Fargate.Source == "" || p.PublicIPv4.Source == "" {
		errs = append(errs, errors.New("a price list has no source: name where each price came from"))
	}
	for _, a := range []Arch{X86, ARM} {
		v, ok := p.Lambda.GBSecond[a]
		if !ok {
			errs = append(errs, fmt.Errorf("lambda.gb_second.%s is missing", a))
		}
		check("lambda.gb_second."+string(a), v)
		pc, ok := p.Lambda.Provisioned.GBSecond[a]
		if !ok {
			errs = append(errs, fmt.Errorf("lambda.provisioned_concurrency.gb_second.%s is missing", a))
		}
		check("lambda.provisioned_concurrency.gb_second."+string(a), pc)
		check("fargate."+string(a)+".vcpu_hour", p.Fargate.Rate(a).VCPUHour)
		check("fargate."+string(a)+".gb_hour", p.Fargate.Rate(a).GBHour)
	}
	check("lambda.request", p.Lambda.Request)
	check("lambda.free_tier.requests_per_month", p.Lambda.FreeTier.Requests)
	check("lambda.free_tier.gb_seconds_per_month", p.Lambda.FreeTier.GBSeconds)
	check("public_ipv4.hourly", p.PublicIPv4.Hourly)
	check("ebs.gp3_gb_month", p.EBS.GP3GBMonth)
	if p.Lambda.BillingGranularityMS <= 0 {
		errs = append(errs, errors.New("lambda.billing_granularity_ms must be positive (1 since 2020)"))
	}
	if len(p.EC2.Instances) == 0 {
		errs = append(errs, errors.New("ec2.instances is empty"))
	}
	for _, name := range p.InstanceNames() {
		in := p.EC2.Instances[name]
		check("ec2.instances."+name+".hourly", in.Hourly)
		if in.Arch != X86 && in.Arch != ARM {
			errs = append(errs, fmt.Errorf("ec2.instances.%s.arch %q: use x86_64 or arm64", name, in.Arch))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid pricing: %w", err)
	}
	return nil
}

// InstanceNames lists the EC2 instance types in a stable order.
func (p *Pricing) InstanceNames() []string {
	names := make([]string, 0, len(p.EC2.Instances))
	for n := range p.EC2.Instances {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
