package cost

import (
	"math"
	"strings"
	"testing"
	"time"
)

// testPricing has round prices so every expected figure below can be
// worked out by hand.
const testPricing = `{
  "currency": "USD", "region": "test", "queried_at": "2026-11-25", "note": "round test prices",
  "lambda": {"gb_second": {"x86_64": 0.00001, "arm64": 0.000008}, "request": 0.0000002,
             "billing_granularity_ms": 1,
             "free_tier": {"requests_per_month": 1000000, "gb_seconds_per_month": 400000},
             "provisioned_concurrency": {"gb_second": {"x86_64": 0.000004, "arm64": 0.000003}, "source": "test"},
             "source": "test"},
  "ec2": {"instances": {"a.small": {"arch": "x86_64", "vcpu": 2, "memory_gib": 1, "hourly": 0.01, "compare": true}}, "source": "test"},
  "ebs": {"gp3_gb_month": 0.08, "source": "test"},
  "fargate": {"x86_64": {"vcpu_hour": 0.04, "gb_hour": 0.004}, "arm64": {"vcpu_hour": 0.03, "gb_hour": 0.003}, "source": "test"},
  "public_ipv4": {"hourly": 0.005, "source": "test"}
}`

func mustPricing(t *testing.T, doc string) *Pricing {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestBilledMS(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want float64
	}{
		{2410 * time.Microsecond, 3},
		{2 * time.Millisecond, 2}, // exactly on the boundary: not rounded up
		{time.Nanosecond, 1},
		{999 * time.Millisecond, 999},
		{0, 0},
	} {
		if got := BilledMS(tc.d, 1); got != tc.want {
			t.Errorf("BilledMS(%v) = %g, want %g", tc.d, got, tc.want)
		}
	}
	if got := BilledMS(1100*time.Microsecond, 100); got != 100 {
		t.Errorf("BilledMS at 100 ms granularity (Lambda before 2020) = %g, want 100", got)
	}
}

func TestMeanBilledMSRoundsEachRequest(t *testing.T) {
	// Rounding the mean (1.77 ms → 2) would under-bill: each is rounded first.
	got, err := MeanBilledMS([]time.Duration{1200 * time.Microsecond, 2 * time.Millisecond, 2100 * time.Microsecond}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !near(got, 7.0/3) {
		t.Errorf("MeanBilledMS = %g, want (2+2+3)/3", got)
	}
	for _, bad := range [][]time.Duration{nil, {time.Millisecond, 0}, {-time.Millisecond}} {
		if _, err := MeanBilledMS(bad, 1); err == nil {
			t.Errorf("MeanBilledMS(%v): no error", bad)
		}
	}
}

func TestMonthlyAndCrossover(t *testing.T) {
	p := mustPricing(t, testPricing)
	// 1024 MB × 10 ms = 0.01 GB-s per request; x86: 0.01 × $0.00001 = $1e-7,
	// plus $2e-7 for the request: $3e-7 per request.
	// A month is 730 h = 2,628,000 s.
	for _, tc := range []struct {
		name         string
		cfg          Config
		option       string  // the always-on option to cross
		wantPerReq   float64 // Lambda $ per request past the free tier
		wantAt10     float64 // Lambda $ per month at 10 req/s = 26.28 M requests
		wantMonthly  float64 // the always-on option's $ per month
		wantRequests float64 // crossover, requests per month
	}{
		{
			name: "x86 no free tier, VM without IPv4",
			cfg:  Config{Arch: X86, MemoryMB: 1024, BilledMS: 10, Capacity: bigCap},
			// 0.01 $/h × 730 = 7.30; 7.30 / 3e-7 = 24,333,333.3 requests (9.26 req/s)
			option: "ec2 a.small", wantPerReq: 3e-7, wantAt10: 26.28e6 * 3e-7,
			wantMonthly: 7.3, wantRequests: 7.3 / 3e-7,
		},
		{
			name: "x86 no free tier, VM with IPv4",
			cfg:  Config{Arch: X86, MemoryMB: 1024, BilledMS: 10, Capacity: bigCap, PublicIPv4: true},
			// (0.01 + 0.005) × 730 = 10.95; 10.95 / 3e-7 = 36.5 M
			option: "ec2 a.small", wantPerReq: 3e-7, wantAt10: 26.28e6 * 3e-7,
			wantMonthly: 10.95, wantRequests: 36.5e6,
		},
		{
			name: "arm64 Fargate, smallest task",
			cfg:  Config{Arch: ARM, MemoryMB: 1024, BilledMS: 10, Capacity: bigCap},
			// 0.01 × 8e-6 + 2e-7 = 2.8e-7; Fargate ARM (0.25×0.03 + 0.5×0.003) × 730 = 6.57
			option: "fargate 0.25vCPU/0.5GB", wantPerReq: 2.8e-7, wantAt10: 26.28e6 * 2.8e-7,
			wantMonthly: 6.57, wantRequests: 6.57 / 2.8e-7,
		},
		{
			name: "free tier, crossover before the GB-s allowance runs out",
			cfg:  Config{Arch: X86, MemoryMB: 1024, BilledMS: 10, Capacity: bigCap, FreeTier: true},
			// Requests free to 1 M, GB-s free to 400,000 / 0.01 = 40 M requests.
			// At 10 req/s: (26.28 M − 1 M) × 2e-7 = 5.056 (GB-s still free).
			// 7.30 is reached at 1 M + 7.30 / 2e-7 = 37.5 M < 40 M.
			option: "ec2 a.small", wantPerReq: 3e-7, wantAt10: 25.28e6 * 2e-7,
			wantMonthly: 7.3, wantRequests: 37.5e6,
		},
		{
			name: "free tier, crossover after both allowances run out",
			cfg:  Config{Arch: X86, MemoryMB: 1024, BilledMS: 10, Capacity: bigCap, FreeTier: true, PublicIPv4: true},
			// At 40 M: 39 M × 2e-7 = 7.80; then 3e-7 per request:
			// 40 M + (10.95 − 7.80) / 3e-7 = 50.5 M.
			option: "ec2 a.small", wantPerReq: 3e-7, wantAt10: 25.28e6 * 2e-7,
			wantMonthly: 10.95, wantRequests: 50.5e6,
		},
		{
			name: "small function: the request charge dominates",
			cfg:  Config{Arch: X86, MemoryMB: 128, BilledMS: 3, Capacity: bigCap},
			// 0.003 s × 0.125 GB = 0.000375 GB-s × 1e-5 = 3.75e-9, + 2e-7
			option: "ec2 a.small", wantPerReq: 2.0375e-7, wantAt10: 26.28e6 * 2.0375e-7,
			wantMonthly: 7.3, wantRequests: 7.3 / 2.0375e-7,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(p, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.PerRequest(); !near(got, tc.wantPerReq) {
				t.Errorf("PerRequest = %g, want %g", got, tc.wantPerReq)
			}
			if got := m.LambdaMonthly(RequestsPerMonth(10)); !near(got, tc.wantAt10) {
				t.Errorf("LambdaMonthly(10 req/s) = %g, want %g", got, tc.wantAt10)
			}
			var opt *Option
			for _, o := range m.AlwaysOn() {
				if o.Name == tc.option {
					opt = &o
				}
			}
			if opt == nil {
				t.Fatalf("no option %q in %+v", tc.option, m.AlwaysOn())
			}
			if !near(opt.Monthly, tc.wantMonthly) {
				t.Errorf("%s monthly = %g, want %g", tc.option, opt.Monthly, tc.wantMonthly)
			}
			c := m.Crossover(*opt)
			if c.Never != "" {
				t.Fatalf("crossover: never: %s", c.Never)
			}
			if !near(c.Requests, tc.wantRequests) || !near(c.Rate, tc.wantRequests/2628000) {
				t.Errorf("crossover = %g requests/month (%g req/s), want %g", c.Requests, c.Rate, tc.wantRequests)
			}
			// The definition, independently of how it was solved.
			if got := m.LambdaMonthly(c.Requests); !near(got, opt.Monthly) {
				t.Errorf("Lambda's bill at the crossover = %g, want the always-on %g", got, opt.Monthly)
			}
		})
	}
}

func TestCrossoverNever(t *testing.T) {
	freeVM := strings.Replace(testPricing, `"hourly": 0.01,`, `"hourly": 0,`, 1)
	freeLambda := strings.NewReplacer(`"x86_64": 0.00001`, `"x86_64": 0`, `"request": 0.0000002`, `"request": 0`).Replace(testPricing)
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"always-on costs nothing", freeVM, "costs nothing a month"},
		{"a request costs nothing", freeLambda, "a request costs nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(mustPricing(t, tc.doc), Config{Arch: X86, MemoryMB: 128, BilledMS: 1, Capacity: bigCap})
			if err != nil {
				t.Fatal(err)
			}
			c := m.Crossover(m.AlwaysOn()[0])
			if !strings.Contains(c.Never, tc.want) || c.Rate != 0 {
				t.Errorf("crossover = %+v, want never %q", c, tc.want)
			}
		})
	}
}

func TestParseRejectsBadPricing(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"not json", `{`, "decode pricing"},
		{"misspelt field", strings.Replace(testPricing, `"request":`, `"requests":`, 1), "unknown field"},
		{"negative price", strings.Replace(testPricing, `"gb_hour": 0.004`, `"gb_hour": -0.004`, 1), "fargate.x86_64.gb_hour is negative"},
		{"no date", strings.Replace(testPricing, `"queried_at": "2026-11-25"`, `"queried_at": ""`, 1), "queried_at is missing"},
		{"no source", strings.Replace(testPricing, `"hourly": 0.005, "source": "test"`, `"hourly": 0.005, "source": ""`, 1), "no source"},
		{"missing arch", strings.Replace(testPricing, `, "arm64": 0.000008`, ``, 1), "lambda.gb_second.arm64 is missing"},
		{"missing provisioned arch", strings.Replace(testPricing, `, "arm64": 0.000003`, ``, 1), "lambda.provisioned_concurrency.gb_second.arm64 is missing"},
		{"negative provisioned", strings.Replace(testPricing, `"x86_64": 0.000004`, `"x86_64": -0.000004`, 1), "lambda.provisioned_concurrency.gb_second.x86_64 is negative"},
		{"provisioned without source", strings.Replace(testPricing, `"arm64": 0.000003}, "source": "test"`, `"arm64": 0.000003}, "source": ""`, 1), "no source"},
		{"zero granularity", strings.Replace(testPricing, `"billing_granularity_ms": 1`, `"billing_granularity_ms": 0`, 1), "billing_granularity_ms"},
		{"bad instance arch", strings.Replace(testPricing, `"arch": "x86_64"`, `"arch": "sparc"`, 1), `"sparc"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse: error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	p := mustPricing(t, testPricing)
	ok := Config{Arch: X86, MemoryMB: 128, BilledMS: 1, Capacity: bigCap}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"memory too small", func(c *Config) { c.MemoryMB = 64 }, "128 to 10240"},
		{"memory too large", func(c *Config) { c.MemoryMB = 20000 }, "128 to 10240"},
		{"zero duration", func(c *Config) { c.BilledMS = 0 }, "billed duration 0"},
		{"NaN duration", func(c *Config) { c.BilledMS = math.NaN() }, "billed duration NaN"},
		{"infinite duration", func(c *Config) { c.BilledMS = math.Inf(1) }, "billed duration +Inf"},
		{"unknown arch", func(c *Config) { c.Arch = "sparc" }, `arch "sparc"`},
		{"negative task", func(c *Config) { c.FargateVCPU, c.FargateGB = -1, 1 }, "fargate task"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			_, err := New(p, c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: error %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := New(nil, ok); err == nil {
		t.Error("New(nil pricing): no error")
	}
}

func TestParseArch(t *testing.T) {
	for in, want := range map[string]Arch{"x86_64": X86, "amd64": X86, "arm64": ARM, "AARCH64": ARM} {
		if got, err := ParseArch(in); err != nil || got != want {
			t.Errorf("ParseArch(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseArch("riscv64"); err == nil || !strings.Contains(err.Error(), "use x86_64 or arm64") {
		t.Errorf("ParseArch(riscv64): error %v", err)
	}
}

// The shipped prices must parse and carry the published figures.
func TestDefaultPricing(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if p.Lambda.GBSecond[X86] != 0.0000166667 || p.Lambda.Request != 0.0000002 || p.PublicIPv4.Hourly != 0.005 {
		t.Errorf("lambda/IPv4 prices differ from AWS's published ones (see their sources in infra/pricing.json): %+v %+v", p.Lambda, p.PublicIPv4)
	}
	if pc := p.Lambda.Provisioned; pc.GBSecond[X86] != 0.0000041667 || pc.GBSecond[ARM] != 0.0000033334 || pc.AsOf == "" {
		t.Errorf("provisioned concurrency = %+v, want $0.0000041667 (x86_64) and $0.0000033334 (arm64) per GB-s, dated", pc)
	}
	if got := p.EC2.Instances["t4g.small"].Hourly; got != 0.0168 {
		t.Errorf("t4g.small hourly = %g, want 0.0168", got)
	}
}
