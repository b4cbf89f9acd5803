package cost

import (
	"bytes"
	"strings"
	"testing"
)

// bigCap sizes every always-on option far above any rate the tests use:
// one instance serves it all, as before capacities.
var bigCap = Capacity{RPS: 1e9, VCPUs: 1, Source: "test: unbounded"}

func TestInstancesStep(t *testing.T) {
	o := Option{Name: "x", Monthly: 10, Capacity: 100}
	for _, tc := range []struct {
		rate float64
		want int
	}{{0, 1}, {0.01, 1}, {100, 1}, {100.5, 2}, {250, 3}, {1000, 10}} {
		if got := Instances(o, tc.rate); got != tc.want {
			t.Errorf("Instances at %g req/s = %d, want %d", tc.rate, got, tc.want)
		}
		if got := AlwaysOnMonthly(o, tc.rate); !near(got, float64(tc.want)*10) {
			t.Errorf("AlwaysOnMonthly at %g req/s = %g, want %d × $10", tc.rate, got, tc.want)
		}
	}
}

func TestCapacityScalesWithVCPU(t *testing.T) {
	m, err := New(mustPricing(t, testPricing), Config{Arch: X86, MemoryMB: 1024, BilledMS: 10, FargateVCPU: 0.5, FargateGB: 1,
		Capacity: Capacity{RPS: 800, VCPUs: 2, Source: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, o := range m.AlwaysOn() {
		got[o.Name] = o.Capacity
	}
	// 400 req/s per vCPU: the 2-vCPU a.small 800, the 0.5-vCPU task 200.
	if got["ec2 a.small"] != 800 || got["fargate 0.5vCPU/1GB"] != 200 {
		t.Errorf("capacities %v, want a.small 800 and the task 200 req/s", got)
	}
	if a := m.Config().Capacity.Assumption(); !strings.Contains(a, "400 req/s per vCPU") || !strings.Contains(a, "assumed, not measured") {
		t.Errorf("assumption %q does not state the per-vCPU figure and that it is assumed", a)
	}
}

// TestStepCrossover works one case by hand. Lambda: 1024 MB × 10 ms + the
// request = $3e-7 a request. a.small: $7.30 a month, 2 vCPU × 5 req/s per
// vCPU = 10 req/s = 26.28 M requests a month, which Lambda bills $7.884.
func TestStepCrossover(t *testing.T) {
	p := mustPricing(t, testPricing)
	m, err := New(p, Config{Arch: X86, MemoryMB: 1024, BilledMS: 10, Capacity: Capacity{RPS: 5, VCPUs: 1, Source: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	o := m.AlwaysOn()[0]
	if o.Name != "ec2 a.small" || o.Capacity != 10 {
		t.Fatalf("option %+v, want a.small serving 10 req/s", o)
	}
	c := m.Crossover(o)
	// First crossing on the first step: 7.30 / 3e-7 = 24.33 M requests.
	if c.Never != "" || c.Instances != 1 || !near(c.Requests, 7.3/3e-7) {
		t.Fatalf("crossover %+v, want 24.33 M requests on 1 instance", c)
	}
	// Step k starts at (k−1) × 26.28 M requests, where Lambda bills
	// (k−1) × 7.884 against k × 7.30: below it while k < 7.884/0.584 = 13.5,
	// so Lambda is cheaper again just past each step up to the 13th, whose
	// crossing is 13 × 7.30 / 3e-7 requests.
	if want := 13 * 7.3 / 3e-7 / SecondsPerMonth; !near(c.Beyond, want) {
		t.Errorf("Beyond = %g req/s, want %g", c.Beyond, want)
	}
	// The definitions, independently of how they were solved: Lambda is
	// cheaper just below the crossover and just past the 13th step, never
	// past Beyond.
	below := func(r float64) bool { return m.LambdaMonthly(RequestsPerMonth(r)) < AlwaysOnMonthly(o, r) }
	if !below(c.Rate*0.999) || below(c.Rate*1.001) || !below(120.01) {
		t.Errorf("Lambda cheaper at 0.999×, 1.001× the crossover, at 120.01 req/s: %v %v %v; want true false true", below(c.Rate*0.999), below(c.Rate*1.001), below(120.01))
	}
	for r := c.Beyond * 1.0001; r < 2000; r *= 1.01 {
		if below(r) {
			t.Fatalf("Lambda cheaper at %g req/s, past Beyond %g", r, c.Beyond)
		}
	}
	if txt := CrossoverText(c); !strings.Contains(txt, "Lambda is cheaper again, up to 120.4 req/s") {
		t.Errorf("crossover text %q does not give the last window", txt)
	}
}

func TestStepCrossoverNever(t *testing.T) {
	// 4 req/s per a.small = 10.512 M requests, $3.15 on Lambda: less than
	// the instance's $7.30, so Lambda is cheaper at every rate.
	m, err := New(mustPricing(t, testPricing), Config{Arch: X86, MemoryMB: 1024, BilledMS: 10, Capacity: Capacity{RPS: 2, VCPUs: 1, Source: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	c := m.Crossover(m.AlwaysOn()[0])
	if !strings.Contains(c.Never, "serves at most 4 req/s") || !strings.Contains(c.Never, "Lambda is cheaper at every rate") || c.Rate != 0 {
		t.Errorf("crossover %+v, want never: one instance's traffic is cheaper on Lambda", c)
	}
}

func TestTableAndChartShowSteps(t *testing.T) {
	m, err := New(mustPricing(t, testPricing), Config{Arch: X86, MemoryMB: 1024, BilledMS: 10, Capacity: Capacity{RPS: 5, VCPUs: 1, Source: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	var tab bytes.Buffer
	if err := Table(&tab, m, []float64{10, 25}); err != nil {
		t.Fatal(err)
	}
	// 25 req/s needs 3 a.small (10 req/s each): $21.90.
	for _, want := range []string{"$7.30 (1)", "$21.90 (3)", "serves 10 req/s (2 vCPU)", "Sizing: capacity per instance = 5 req/s"} {
		if !strings.Contains(tab.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tab.String())
		}
	}
	var svg bytes.Buffer
	if err := SVG(&svg, m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(svg.String(), "10 req/s each") {
		t.Errorf("chart legend lacks the capacity:\n%s", svg.String())
	}
}

func TestNewRefusesBadSizingAndFargateSizes(t *testing.T) {
	p := mustPricing(t, testPricing)
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"zero capacity", Config{Arch: X86, MemoryMB: 128, BilledMS: 1, Capacity: Capacity{Source: "test"}}, "give a measured positive throughput"},
		{"capacity without source", Config{Arch: X86, MemoryMB: 128, BilledMS: 1, Capacity: Capacity{RPS: 1, VCPUs: 1}}, "say where the measured throughput comes from"},
		{"memory Fargate does not offer with 0.25 vCPU", Config{Arch: X86, MemoryMB: 128, BilledMS: 1, Capacity: bigCap, FargateVCPU: 0.25, FargateGB: 4}, "with 0.25 vCPU Fargate offers 0.5, 1, 2 GB"},
		{"CPU Fargate does not offer", Config{Arch: X86, MemoryMB: 128, BilledMS: 1, Capacity: bigCap, FargateVCPU: 3, FargateGB: 8}, "Fargate offers 0.25, 0.5, 1, 2, 4, 8, 16 vCPU"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(p, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: error %v, want %q", err, tc.want)
			}
		})
	}
	// Without a capacity the model prices Lambda, but shows no always-on side.
	m, err := New(p, Config{Arch: X86, MemoryMB: 128, BilledMS: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := Table(&bytes.Buffer{}, m, DefaultRates); err == nil || !strings.Contains(err.Error(), "no capacity") {
		t.Errorf("Table without a capacity: error %v, want one that says there is no capacity", err)
	}
	if err := SVG(&bytes.Buffer{}, m); err == nil || !strings.Contains(err.Error(), "no capacity") {
		t.Errorf("SVG without a capacity: error %v, want one that says there is no capacity", err)
	}
	if _, err := New(p, Config{Arch: X86, MemoryMB: 128, BilledMS: 1, Capacity: bigCap, FargateVCPU: 8, FargateGB: 60}); err != nil {
		t.Errorf("New with 8 vCPU / 60 GB (a valid Fargate size): %v", err)
	}
}

// A small capacity puts millions of steps across the chart's rates: those
// less than a pixel apart are drawn as one, so the chart stays small.
func TestChartOfSmallCapacityStaysSmall(t *testing.T) {
	m, err := New(mustPricing(t, testPricing), Config{Arch: X86, MemoryMB: 1024, BilledMS: 10, Capacity: Capacity{RPS: 0.001, VCPUs: 1, Source: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	var svg bytes.Buffer
	if err := SVG(&svg, m); err != nil {
		t.Fatal(err)
	}
	// 10,000 req/s at 0.001 req/s a vCPU is millions of steps per option;
	// at most one a pixel is a few hundred.
	if n := svg.Len(); n > 200_000 {
		t.Errorf("chart is %d bytes: the steps are drawn one by one", n)
	}
}

func TestFormatRateOfSmallCapacity(t *testing.T) {
	for r, want := range map[float64]string{0.002: "0.002", 0.00025: "0.00025", 0.01: "0.01", 0.1: "0.1", 6.25: "6.25", 14498.31: "14498.3"} {
		if got := formatRate(r); got != want {
			t.Errorf("formatRate(%g) = %q, want %q", r, got, want)
		}
	}
}
