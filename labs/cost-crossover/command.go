// Package crossover is the cost-crossover lab: `computeladder cost` prices
// the function per request and the always-on VM and Fargate task per hour
// (harness/cost, from infra/pricing.json), with the billed duration measured
// by a ladder run when one is given, and finds the rate where they cross.
package crossover

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/harness/cost"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/results"
)

// Without a results.json the duration is the published warm duration of a
// Go hello function on Lambda (maxday/lambda-perf, 2026-08-22: ~1.4–2.4 ms),
// which bills as 2 ms.
const (
	defaultDurationMS     = 2.0
	defaultDurationSource = "default: Lambda's published warm duration of a Go hello function, ~1.4–2.4 ms (maxday/lambda-perf, 2026-08-22)"
	defaultMemoryMB       = 128
	chartName             = "cost-crossover.svg"
)

// Without a run that measured a container's burst, the always-on capacity
// is the ladder's reference run's (labs/ladder/reference/results.json,
// checked by a test): its container served this many POST /checkout a
// second to 10 closed-loop clients on a 2-CPU machine.
const (
	defaultCapacityRPS   = 14498.31
	defaultCapacityCPUs  = 2
	defaultCapacityRunID = "20261130-133949-94a09e"
)

type costFlags struct {
	memory      int
	durationMS  float64
	arch        string
	freeTier    bool
	ipv4        bool
	fargateVCPU float64
	fargateGB   float64
	rates       []float64
	chart       string
	capRPS      float64
	capCPUs     float64
	output      string
}

// Lab is the cost-crossover lab's command, `computeladder cost`.
func Lab() kit.Lab { return kit.Lab{Name: "cost-crossover", Command: Command} }

// Command is `computeladder cost`.
func Command() *cobra.Command {
	var f costFlags
	cmd := &cobra.Command{
		Use:   "cost [results.json]",
		Short: "Monthly cost of Lambda against an always-on VM or Fargate task by request rate, and the crossover rate",
		Long: `cost prices the function per request (request charge + GB-seconds of billed
duration) and the always-on options per hour (EC2 instance or Fargate task,
730 hours a month, plus a public IPv4 address), using infra/pricing.json.
An always-on instance serves a measured number of requests a second, so a
rate needs ceil(rate / capacity) instances: its bill is a step function.
The capacity is the container's burst throughput in results.json (else the
ladder's reference run's, or --capacity-rps) per CPU, times the instance's
vCPUs: an assumption, printed with the table.

The billed duration comes from the Lambda variant's warm requests in
results.json (each rounded up to 1 ms, then averaged), or --duration-ms.
With a results.json, a chart is written next to it as ` + chartName + `.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCost(cmd, args, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.memory, "memory", 0, fmt.Sprintf("function memory in MB, 128–10240 (default: the run's, else %d)", defaultMemoryMB))
	fl.Float64Var(&f.durationMS, "duration-ms", 0, fmt.Sprintf("duration of one request in ms, rounded up to 1 ms as billed (default: measured in results.json, else %g)", defaultDurationMS))
	fl.StringVar(&f.arch, "arch", "x86_64", "x86_64 or arm64: picks Lambda's and Fargate's price")
	fl.BoolVar(&f.freeTier, "free-tier", false, "subtract Lambda's monthly free tier (1 M requests, 400,000 GB-s)")
	fl.BoolVar(&f.ipv4, "public-ipv4", true, "add a public IPv4 address to each always-on option")
	fl.Float64Var(&f.fargateVCPU, "fargate-vcpu", 0.25, "Fargate task vCPU: 0.25, 0.5, 1, 2, 4, 8 or 16")
	fl.Float64Var(&f.fargateGB, "fargate-gb", 0.5, "Fargate task memory in GB, one Fargate offers with --fargate-vcpu (0.25 vCPU: 0.5, 1 or 2)")
	fl.Float64Var(&f.capRPS, "capacity-rps", 0, "requests per second one local instance served, which sizes the always-on side (default: the container's burst in results.json, else the ladder reference run's)")
	fl.Float64Var(&f.capCPUs, "capacity-cpus", 0, "CPUs that instance could use (default: those of the run the capacity comes from — results.json's machine, else the ladder reference run's 2, which --capacity-rps alone keeps)")
	fl.Float64SliceVar(&f.rates, "rates", cost.DefaultRates, "request rates (per second) for the table")
	fl.StringVar(&f.chart, "chart", "", "write the SVG chart here (default: "+chartName+" next to results.json; none without one)")
	kit.RegisterOutput(fl, &f.output, "")
	return cmd
}

func runCost(cmd *cobra.Command, args []string, f costFlags) error {
	if err := kit.ValidOutput(f.output); err != nil {
		return err
	}
	arch, err := cost.ParseArch(f.arch)
	if err != nil {
		return kit.Usage(fmt.Errorf("--arch: %w", err))
	}
	flags := cmd.Flags()
	if flags.Changed("duration-ms") && (!(f.durationMS > 0) || math.IsInf(f.durationMS, 0)) {
		return kit.Usage(fmt.Errorf("--duration-ms %g: give a positive number of milliseconds, e.g. --duration-ms 2.5", f.durationMS))
	}
	if flags.Changed("memory") && (f.memory < 128 || f.memory > 10240) {
		return kit.Usage(fmt.Errorf("--memory %d: Lambda allows 128 to 10240 MB", f.memory))
	}
	for _, r := range f.rates {
		if !(r > 0) || math.IsInf(r, 0) {
			return kit.Usage(fmt.Errorf("--rates: %g is not a positive request rate", r))
		}
	}
	p, err := cost.Default()
	if err != nil {
		return err
	}
	gran := p.Lambda.BillingGranularityMS

	cfg := cost.Config{Arch: arch, MemoryMB: defaultMemoryMB, BilledMS: cost.BilledMS(ms(defaultDurationMS), gran),
		FreeTier: f.freeTier, PublicIPv4: f.ipv4, FargateVCPU: f.fargateVCPU, FargateGB: f.fargateGB}
	durSource, memSource := defaultDurationSource, "default"
	cfg.Capacity = cost.Capacity{RPS: defaultCapacityRPS, VCPUs: defaultCapacityCPUs,
		Source: fmt.Sprintf("default: the container's burst in the ladder's reference run %s, labs/ladder/reference/", defaultCapacityRunID)}
	chart := f.chart
	if len(args) == 1 {
		run, err := results.ReadFile(args[0])
		if err != nil {
			return kit.Usage(err)
		}
		if c, err := cost.CapacityFromResults(run); err == nil {
			cfg.Capacity = c
		} else if !flags.Changed("capacity-rps") {
			cfg.Capacity.Source += " (" + args[0] + " has none: " + err.Error() + ")"
		}
		if chart == "" {
			chart = filepath.Join(filepath.Dir(args[0]), chartName)
		}
		if !flags.Changed("duration-ms") {
			meas, err := cost.FromResults(run, gran)
			if err != nil {
				return kit.Usage(err)
			}
			cfg.BilledMS = meas.BilledMS
			durSource = fmt.Sprintf("measured: mean of %d warm %s requests' service time, each rounded up to %g ms (the slowest %d, 1 %%, left out: locally they include waits for a new environment, which Lambda does not bill as Duration), from %s (target %s, run %s; warm p50 %v)",
				meas.Requests, meas.Endpoint, gran, meas.Trimmed, args[0], run.Target, run.RunID, meas.P50.Round(10*time.Microsecond))
			if run.Target == "local" {
				durSource += ".\n    Local figure: it includes the emulator's gateway, so it overstates what Lambda bills (its Duration excludes the Function URL front end)"
			}
			if meas.MemoryMB > 0 {
				cfg.MemoryMB, memSource = meas.MemoryMB, "from "+args[0]
			}
		}
	}
	if flags.Changed("duration-ms") {
		cfg.BilledMS = cost.BilledMS(ms(f.durationMS), gran)
		durSource = fmt.Sprintf("--duration-ms %g, rounded up to %g ms", f.durationMS, gran)
	}
	if flags.Changed("memory") {
		cfg.MemoryMB, memSource = f.memory, "--memory"
	}
	if flags.Changed("capacity-rps") {
		cfg.Capacity.RPS, cfg.Capacity.Source = f.capRPS, "--capacity-rps"
	}
	if flags.Changed("capacity-cpus") {
		cfg.Capacity.VCPUs = f.capCPUs
	}
	m, err := cost.New(p, cfg)
	if err != nil {
		return kit.Usage(err)
	}

	w := cmd.OutOrStdout()
	if chart != "" {
		if err := writeChart(chart, m); err != nil {
			return err
		}
	}
	return kit.PrintOutput(w, f.output, costDocument(m, f.rates, durSource, memSource, chart), func(w io.Writer) error {
		writeCostHeader(w, m, durSource, memSource)
		if err := cost.Table(w, m, f.rates); err != nil {
			return err
		}
		if chart != "" {
			fmt.Fprintf(w, "\nChart: %s\n", chart)
		}
		return nil
	})
}

// costDoc is what `cost -o json` prints: the figures of the table.
type costDoc struct {
	Config         cost.Config `json:"config"`
	DurationSource string      `json:"duration_source"`
	MemorySource   string      `json:"memory_source"`
	PerRequest     float64     `json:"lambda_per_request_usd"`
	GBSeconds      float64     `json:"lambda_gb_seconds_per_request"`
	Rates          []costRate  `json:"rates"`
	AlwaysOn       []costOpt   `json:"always_on"`
	Chart          string      `json:"chart,omitempty"`
}

type costRate struct {
	Rate          float64 `json:"requests_per_second"`
	Requests      float64 `json:"requests_per_month"`
	LambdaMonthly float64 `json:"lambda_monthly_usd"`
}

// costStep is an always-on option's bill at one of the rates, with the
// instances the rate needs (the table's "$x (n)").
type costStep struct {
	Rate      float64 `json:"requests_per_second"`
	Instances int     `json:"instances"`
	Monthly   float64 `json:"monthly_usd"`
}

type costOpt struct {
	Name string `json:"name"`
	// Monthly is one instance's bill; Capacity what one instance serves.
	Monthly  float64 `json:"monthly_usd"`
	Detail   string  `json:"detail"`
	VCPU     float64 `json:"vcpu"`
	Capacity float64 `json:"capacity_requests_per_second"`
	// Rates is its bill at each of the table's rates.
	Rates []costStep `json:"rates"`
	// Crossover is the rate below which Lambda is cheaper (0 with Never),
	// with the instances needed there; StaysCheaperFrom is the rate from
	// which the always-on option stays cheaper (cost.Crossover.Beyond).
	CrossoverRate      float64 `json:"crossover_requests_per_second,omitempty"`
	CrossoverRequests  float64 `json:"crossover_requests_per_month,omitempty"`
	CrossoverInstances int     `json:"crossover_instances,omitempty"`
	StaysCheaperFrom   float64 `json:"always_on_cheaper_from_requests_per_second,omitempty"`
	Never              string  `json:"never,omitempty"`
}

func costDocument(m *cost.Model, rates []float64, durSource, memSource, chart string) costDoc {
	d := costDoc{Config: m.Config(), DurationSource: durSource, MemorySource: memSource,
		PerRequest: m.PerRequest(), GBSeconds: m.GBSecondsPerRequest(), Chart: chart}
	for _, r := range rates {
		n := cost.RequestsPerMonth(r)
		d.Rates = append(d.Rates, costRate{Rate: r, Requests: n, LambdaMonthly: m.LambdaMonthly(n)})
	}
	for _, o := range m.AlwaysOn() {
		c := m.Crossover(o)
		co := costOpt{Name: o.Name, Monthly: o.Monthly, Detail: o.Detail, VCPU: o.VCPU, Capacity: o.Capacity,
			CrossoverRate: c.Rate, CrossoverRequests: c.Requests, CrossoverInstances: c.Instances, StaysCheaperFrom: c.Beyond, Never: c.Never}
		for _, r := range rates {
			co.Rates = append(co.Rates, costStep{Rate: r, Instances: cost.Instances(o, r), Monthly: cost.AlwaysOnMonthly(o, r)})
		}
		d.AlwaysOn = append(d.AlwaysOn, co)
	}
	return d
}

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

func writeCostHeader(w io.Writer, m *cost.Model, durSource, memSource string) {
	p, c := m.Pricing(), m.Config()
	fmt.Fprintf(w, "Prices: infra/pricing.json, %s on-demand %s, queried %s (EC2 as of %s: provisional). Prices change: check them before relying on these figures.\n",
		p.Region, p.Currency, p.QueriedAt, p.EC2.AsOf)
	fmt.Fprintf(w, "Lambda: %s, %d MB (%s), %.3g ms billed per request\n", c.Arch, c.MemoryMB, memSource, c.BilledMS)
	fmt.Fprintf(w, "  duration %s.\n", durSource)
	free := "off (--free-tier to subtract it)"
	if c.FreeTier {
		free = fmt.Sprintf("on: first %g M requests and %g k GB-s a month free", p.Lambda.FreeTier.Requests/1e6, p.Lambda.FreeTier.GBSeconds/1e3)
	}
	fmt.Fprintf(w, "  per request: $%.3g = $%.3g request + %.3g GB-s × $%.3g; free tier %s\n",
		m.PerRequest(), p.Lambda.Request, m.GBSecondsPerRequest(), p.Lambda.GBSecond[c.Arch], free)
	fmt.Fprintf(w, "  not included: cold starts' billed INIT, data transfer, load balancer or API gateway, CloudWatch Logs.\n\n")
	fmt.Fprintf(w, "Monthly cost (%d h) at a steady rate:\n", cost.HoursPerMonth)
}

func writeChart(path string, m *cost.Model) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	return cost.SVG(f, m)
}
