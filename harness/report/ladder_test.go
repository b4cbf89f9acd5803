package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/results"
)

func markdownOf(t *testing.T, run *results.Run) string {
	t.Helper()
	var b bytes.Buffer
	if err := Markdown(&b, run); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// ladderRow returns the ladder table's row labelled label.
func ladderRow(t *testing.T, md, label string) string {
	t.Helper()
	for line := range strings.Lines(md) {
		if strings.HasPrefix(line, "| "+label+" |") {
			return strings.TrimSpace(line)
		}
	}
	t.Fatalf("no ladder row %q in:\n%s", label, md)
	return ""
}

func TestScalingAndCostRowsShowTheFigures(t *testing.T) {
	run := sampleRun()
	ms := time.Millisecond
	vm, fn := &run.Variants[0], &run.Variants[2]
	vm.Scaling = &results.Scaling{
		Burst: &results.Burst{Endpoint: "POST /checkout", Clients: 10, Duration: 3 * time.Second, Requests: 3000, Throughput: 1000,
			Latency: load.Quantiles{P50: 9 * ms, P99: 30 * ms}, FirstResponse: 9 * ms, AllServed: 70 * ms,
			Instances: 1, InstancesMeasured: true, InstancesHow: "one: the deployment is one VM"},
		ScaleToZero: &results.ScaleToZero{Running: 1, How: "GET /whoami still answers"},
	}
	fn.Scaling = &results.Scaling{
		Burst: &results.Burst{Endpoint: "POST /checkout", Clients: 10, Duration: 3 * time.Second, Requests: 60, Errors: 2, Throughput: 19.3,
			Latency: load.Quantiles{P50: 6 * ms, P99: 150 * ms}, FirstResponse: 12 * ms, AllServed: 2200 * ms,
			Instances: 10, Started: 8, InstancesMeasured: true, InstancesHow: "environments"},
		ScaleToZero: &results.ScaleToZero{KeepAlive: 2 * time.Second, Running: 0, ZeroAfter: 3140 * ms, Waited: 3140 * ms},
	}
	fn.Cost = &results.Cost{Counterpart: "Lambda 128 MB x86_64", Rate: 50, PerMillion: 0.2063, Monthly: 27.1, PricesAsOf: "2026-11-25", Basis: "mean billed duration 3.00 ms"}
	vm.Cost = &results.Cost{Counterpart: "EC2 t3.micro", Rate: 50, PerMillion: 0.0856, Monthly: 11.24, PricesAsOf: "2026-09"}
	run.Variants[1].Cost = &results.Cost{NotComputed: "no warm load was measured: run with --duration"}
	md := markdownOf(t, run)

	scaling := ladderRow(t, md, "scaling")
	for _, want := range []string{
		"manual: 10 clients → 1 instance, 1000 req/s, p50 9.00 ms, p99 30.0 ms (n=3000), 0 errors, first response 9.00 ms, all served 70.0 ms",
		"| orchestrated: not measured |",
		// 58 successes: too few for a p99.
		"automatic, to zero: 10 clients → 10 instances (8 started), 19 req/s, p50 6.00 ms, p99 — (n=58), 2 errors, first response 12.0 ms, all served 2.20 s",
	} {
		if !strings.Contains(scaling, want) {
			t.Errorf("scaling row lacks %q:\n%s", want, scaling)
		}
	}
	idle := ladderRow(t, md, "running when idle")
	if !strings.Contains(idle, "| 1 running (until stopped) | not measured | 0 running 3.14 s after the last request (keep-alive 2.00 s) |") {
		t.Errorf("running-when-idle row: %s", idle)
	}
	pay := ladderRow(t, md, "you pay for")
	for _, want := range []string{
		"the VM while it is on: EC2 t3.micro: $0.0856 per 1 M requests, $11.24 a month at 50 req/s (prices 2026-09)",
		"hosts running containers: not computed: no warm load was measured",
		"execution time (per request): Lambda 128 MB x86_64: $0.21 per 1 M requests, $27.10 a month at 50 req/s (prices 2026-11-25)",
	} {
		if !strings.Contains(pay, want) {
			t.Errorf("you-pay-for row lacks %q:\n%s", want, pay)
		}
	}
	if !strings.Contains(md, "mean billed duration 3.00 ms") {
		t.Error("the cost's basis is not in the variant's section")
	}
}

func TestPreparationRowNamesWhatItHolds(t *testing.T) {
	run := sampleRun()
	ms := time.Millisecond
	run.Variants[1].Startup.Preparations = []results.PreparationStats{
		{What: "image build", Stats: results.StatsOf([]time.Duration{5580 * ms})},
		{What: "image reused (built once per run)", Stats: results.StatsOf([]time.Duration{40 * ms, 44 * ms})},
	}
	run.Variants[0].Startup.Preparations = []results.PreparationStats{{What: "accelerator probe + initramfs", Stats: results.StatsOf([]time.Duration{1200 * ms})}}
	row := ladderRow(t, markdownOf(t, run), "preparation (before startup)")
	for _, want := range []string{
		"| accelerator probe + initramfs 1.20 s (n=1) |",
		"| image build 5.58 s (n=1); image reused (built once per run) 42.0 ms (40.0 ms–44.0 ms, n=2) |",
	} {
		if !strings.Contains(row, want) {
			t.Errorf("preparation row lacks %q:\n%s", want, row)
		}
	}
}

// The times an emulator recorded without running anything are no startup:
// not in the timeline chart, not in a phase table — even as a results.json
// of an older run stored them (phases, but no measured total).
func TestUnmeasuredStartupDrawnNowhere(t *testing.T) {
	run := sampleRun()
	ecs := &run.Variants[1]
	ecs.NotMeasured = []string{"startup: the emulator records the task but runs no container"}
	ecs.Startup.Total = results.Stats{}
	var b bytes.Buffer
	if err := HTML(&b, run); err != nil {
		t.Fatal(err)
	}
	svg := regexp.MustCompile(`(?s)<svg class="chart" id="timeline".*?</svg>`).FindString(b.String())
	if svg == "" {
		t.Fatal("no timeline chart")
	}
	if strings.Contains(svg, ">container — ") || strings.Contains(svg, "created") {
		t.Errorf("the unmeasured container's recorded phases are drawn:\n%s", svg)
	}
	if !strings.Contains(svg, ">vm — ") || !strings.Contains(svg, ">lambda — ") {
		t.Errorf("the measured variants are missing:\n%s", svg)
	}
	md := markdownOf(t, run)
	section := md[strings.Index(md, "## container"):strings.Index(md, "## lambda")]
	if strings.Contains(section, "Startup phases") || strings.Contains(section, "| created |") {
		t.Errorf("the unmeasured container has a phase table:\n%s", section)
	}
	if row := ladderRow(t, md, "preparation (before startup)"); !strings.Contains(row, "| not measured |") {
		t.Errorf("preparation row: %s", row)
	}
}
