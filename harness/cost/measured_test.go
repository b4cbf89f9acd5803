package cost

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/results"
)

// syntheticRun is a small lab run whose Lambda variant served four warm
// requests (service times 1.2, 1.9, 2.4 and 2.0 ms; one more failed).
func syntheticRun() *results.Run {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	samples := []load.Sample{
		{Seq: 0, Latency: ms(1.3), Service: ms(1.2), Code: 200},
		{Seq: 1, Latency: ms(2.0), Service: ms(1.9), Code: 200},
		{Seq: 2, Latency: ms(2.5), Service: ms(2.4), Code: 200},
		{Seq: 3, Latency: ms(2.0), Service: ms(2.0), Code: 200},
		{Seq: 4, Latency: ms(3000), Service: ms(3000), Code: 502}, // not billed as a success: left out
	}
	return &results.Run{
		SchemaVersion: results.SchemaVersion,
		RunID:         "20261125-000000-abcdef",
		Target:        "local",
		Variants: []results.Variant{
			{Variant: deployers.Container},
			{
				Variant:  deployers.Lambda,
				MemoryMB: 128,
				Warm: &results.Warm{Endpoint: "POST /checkout", Result: &load.Result{
					Rate: 50, Samples: samples,
					Summary: load.Summary{Latency: load.Quantiles{P50: ms(2.0)}},
				}},
			},
		},
	}
}

func TestFromResults(t *testing.T) {
	m, err := FromResults(syntheticRun(), 1)
	if err != nil {
		t.Fatal(err)
	}
	// Billed: 2, 2, 3, 2 ms → mean 2.25 ms over the 4 successes.
	if m.BilledMS != 2.25 || m.Requests != 4 || m.MemoryMB != 128 || m.P50 != 2*time.Millisecond || m.Endpoint != "POST /checkout" {
		t.Errorf("FromResults = %+v", m)
	}
}

func TestFromResultsUnusable(t *testing.T) {
	noLambda := syntheticRun()
	noLambda.Variants = noLambda.Variants[:1]
	failed := syntheticRun()
	failed.Variants[1].Warm = nil
	failed.Variants[1].Error = "docker: no space left"
	allErrors := syntheticRun()
	for i := range allErrors.Variants[1].Warm.Result.Samples {
		allErrors.Variants[1].Warm.Result.Samples[i].Code = 500
	}
	for _, tc := range []struct {
		name string
		run  *results.Run
		want string
	}{
		{"no lambda variant", noLambda, "no lambda variant: run make lab-lambda"},
		{"lambda failed", failed, "it failed: docker: no space left"},
		{"no successful request", allErrors, "no successful request"},
		{"nil", nil, "no run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromResults(tc.run, 1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("FromResults: error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestCostCrossoverLabSmoke is the cost-crossover lab in short: a results.json
// written and read back as a lab run leaves it, the shipped prices, and a
// crossover rate that is finite and positive against every always-on option.
func TestCostCrossoverLabSmoke(t *testing.T) {
	path, err := results.Write(t.TempDir(), syntheticRun())
	if err != nil {
		t.Fatal(err)
	}
	run, err := results.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	meas, err := FromResults(run, p.Lambda.BillingGranularityMS)
	if err != nil {
		t.Fatal(err)
	}
	for _, free := range []bool{false, true} {
		m, err := New(p, Config{Arch: X86, MemoryMB: meas.MemoryMB, BilledMS: meas.BilledMS, Capacity: bigCap, FreeTier: free, PublicIPv4: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range m.AlwaysOn() {
			c := m.Crossover(o)
			if c.Never != "" || !(c.Rate > 0) || math.IsInf(c.Rate, 0) {
				t.Errorf("free tier %v, %s: crossover %+v, want finite and positive", free, o.Name, c)
			}
			// Below the crossover Lambda is cheaper, above it dearer.
			if lo, hi := m.LambdaMonthly(RequestsPerMonth(c.Rate/2)), m.LambdaMonthly(RequestsPerMonth(c.Rate*2)); !(lo < o.Monthly && hi > o.Monthly) {
				t.Errorf("%s: lambda $%g at half and $%g at twice the crossover, always-on $%g", o.Name, lo, hi, o.Monthly)
			}
		}
	}
}

func TestTableAndSVG(t *testing.T) {
	m, err := New(mustPricing(t, testPricing), Config{Arch: X86, MemoryMB: 1024, BilledMS: 10, Capacity: bigCap})
	if err != nil {
		t.Fatal(err)
	}
	var tab bytes.Buffer
	if err := Table(&tab, m, []float64{1, 10}); err != nil {
		t.Fatal(err)
	}
	// 10 req/s: 26.28 M requests, $7.88 on Lambda; crossover 9.26 req/s.
	for _, want := range []string{"26.28 M", "$7.88", "$7.30", "at 9.26 req/s (24.33 M requests/month, 1 instance, $7.30/month)", "Sizing: capacity per instance", "fargate 0.25vCPU/0.5GB"} {
		if !strings.Contains(tab.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tab.String())
		}
	}
	var svg bytes.Buffer
	if err := SVG(&svg, m); err != nil {
		t.Fatal(err)
	}
	s := svg.String()
	if !strings.HasPrefix(s, "<svg ") || !strings.HasSuffix(s, "</svg>\n") || strings.Count(s, "<circle") != 2 || !strings.Contains(s, "ec2 a.small: 9.26 req/s") {
		t.Errorf("chart: want an SVG with one crossover dot per option:\n%s", s)
	}
}

func TestDollars(t *testing.T) {
	for v, want := range map[float64]string{0: "$0", 0.00526: "$0.0053", 0.5: "$0.500", 11.242: "$11.24"} {
		if got := Dollars(v); got != want {
			t.Errorf("Dollars(%g) = %q, want %q", v, got, want)
		}
	}
}

// One request that waited for a new environment must not double the mean:
// the slowest 1 % is left out.
func TestFromResultsLeavesOutSlowestPercent(t *testing.T) {
	run := syntheticRun()
	var s []load.Sample
	for i := range 200 {
		s = append(s, load.Sample{Seq: uint64(i), Service: 1500 * time.Microsecond, Code: 200})
	}
	s[7].Service = 626 * time.Millisecond // a new environment starting
	run.Variants[1].Warm.Result.Samples = s
	m, err := FromResults(run, 1)
	if err != nil {
		t.Fatal(err)
	}
	if m.BilledMS != 2 || m.Requests != 198 || m.Trimmed != 2 {
		t.Errorf("FromResults = %+v, want 2 ms over 198 requests, 2 left out", m)
	}
}
