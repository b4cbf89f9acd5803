package crossover

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/cost"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/kit/kittest"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/results"
)

// writeRun writes a small results.json whose Lambda variant served three
// warm requests of 1.5, 2.5 and 2.9 ms (billed 2, 3, 3: mean 2.67 ms).
func writeRun(t *testing.T, variants ...deployers.Variant) string {
	t.Helper()
	run := &results.Run{SchemaVersion: results.SchemaVersion, RunID: "20261125-000000-c0ffee", Target: "local"}
	for _, v := range variants {
		rv := results.Variant{Variant: v}
		if v == deployers.Lambda {
			rv.MemoryMB = 256
			var s []load.Sample
			for i, us := range []int{1500, 2500, 2900} {
				d := time.Duration(us) * time.Microsecond
				s = append(s, load.Sample{Seq: uint64(i), Latency: d, Service: d, Code: 200})
			}
			rv.Warm = &results.Warm{Endpoint: "POST /checkout", Result: &load.Result{Rate: 50, Samples: s}}
		}
		run.Variants = append(run.Variants, rv)
	}
	path, err := results.Write(t.TempDir(), run)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

var crossoverLine = regexp.MustCompile(`(?m)^  (\S+ \S+)\s+at ([0-9.]+) req/s \([0-9.]+ [kMB]? ?requests/month, [0-9]+ instances?`)

// TestCostLabSmoke is the cost-crossover lab in short mode: from a results
// file it prints a crossover for every always-on option that is finite and
// positive, and writes the chart next to the results.
func TestCostLabSmoke(t *testing.T) {
	path := writeRun(t, deployers.Container, deployers.Lambda)
	out, err := kittest.Execute(t, Command(), path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"queried 2026-11-25", "256 MB (from " + path, "2.67 ms billed per request", "mean of 3 warm POST /checkout", "Prices change"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	m := crossoverLine.FindAllStringSubmatch(out, -1)
	if len(m) != 4 {
		t.Fatalf("want 4 crossover lines (3 EC2 types and Fargate), got %d:\n%s", len(m), out)
	}
	for _, c := range m {
		r, err := strconv.ParseFloat(c[2], 64)
		if err != nil || !(r > 0) || r > 1e6 {
			t.Errorf("%s: crossover %q req/s, want finite and positive", c[1], c[2])
		}
	}
	chart := filepath.Join(filepath.Dir(path), "cost-crossover.svg")
	if !strings.Contains(out, "Chart: "+chart) {
		t.Errorf("output does not name the chart %s", chart)
	}
	f, err := os.Open(chart)
	if err != nil {
		t.Fatalf("chart not written next to the results: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	dec := xml.NewDecoder(f)
	for {
		if _, err := dec.Token(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("chart is not well-formed XML: %v", err)
		}
	}
}

func TestCostFlags(t *testing.T) {
	// No results: the default 2 ms at 128 MB; no chart unless asked.
	out, err := kittest.Execute(t, Command(), "--rates", "1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "128 MB (default), 2 ms billed") || strings.Contains(out, "Chart:") {
		t.Errorf("defaults:\n%s", out)
	}
	// The flag beats the measurement, and arm64 prices Fargate ARM.
	out, err = kittest.Execute(t, Command(), writeRun(t, deployers.Lambda), "--duration-ms", "10.2", "--memory", "1024", "--arch", "arm64", "--free-tier", "--chart", filepath.Join(t.TempDir(), "c.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"arm64, 1024 MB (--memory), 11 ms billed", "--duration-ms 10.2", "free tier on", "arm64: 0.25 vCPU × $0.03238"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// The default capacity is the ladder reference run's container burst.
func TestDefaultCapacityIsTheLadderReference(t *testing.T) {
	run, err := results.ReadFile(filepath.Join("..", "ladder", "reference", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := cost.CapacityFromResults(run)
	if err != nil {
		t.Fatal(err)
	}
	if run.RunID != defaultCapacityRunID || math.Abs(c.RPS-defaultCapacityRPS) > 0.01 || c.VCPUs != defaultCapacityCPUs {
		t.Errorf("ladder reference %s: %g req/s on %g CPUs; the default says %s: %g on %d", run.RunID, c.RPS, c.VCPUs, defaultCapacityRunID, float64(defaultCapacityRPS), defaultCapacityCPUs)
	}
}

// A run's container burst sizes the always-on side: at 1000 req/s with
// 400 req/s per CPU the 0.25-vCPU task serves 100, so ten are needed.
func TestCostCapacityFromRunIsAStep(t *testing.T) {
	path := writeRun(t, deployers.Container, deployers.Lambda)
	out, err := kittest.Execute(t, Command(), path, "--capacity-rps", "800", "--capacity-cpus", "2", "--rates", "100,1000")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"$12.66 (1)", "$126.60 (10)", "serves 100 req/s (0.25 vCPU)", "400 req/s per vCPU", "--capacity-rps"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCostBadInputExitsTwo(t *testing.T) {
	noLambda := writeRun(t, deployers.Container)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--arch", "sparc"}, "use x86_64 or arm64"},
		{[]string{"--duration-ms", "0"}, "--duration-ms 0"},
		{[]string{"--duration-ms", "-3"}, "--duration-ms -3"},
		{[]string{"--memory", "64"}, "--memory 64"},
		{[]string{"--rates", "10,-1"}, "--rates: -1"},
		{[]string{"--fargate-vcpu", "0"}, "fargate task"},
		{[]string{"--fargate-vcpu", "0.25", "--fargate-gb", "4"}, "with 0.25 vCPU Fargate offers 0.5, 1, 2 GB"},
		{[]string{"--fargate-vcpu", "3", "--fargate-gb", "8"}, "Fargate offers 0.25, 0.5, 1, 2, 4, 8, 16 vCPU"},
		{[]string{"--capacity-rps", "0"}, "give a measured positive throughput"},
		{[]string{"/nonexistent/results.json"}, "no such file"},
		{[]string{noLambda}, "no lambda variant: run make lab-lambda"},
		{[]string{"a", "b"}, "accepts at most 1 arg"},
	} {
		_, err := kittest.Execute(t, Command(), tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || kit.ExitCode(err) != 2 {
			t.Errorf("computeladder cost %s: error %v (exit %d), want %q and exit 2", strings.Join(tc.args, " "), err, kit.ExitCode(err), tc.want)
		}
	}
}

// -o json carries the table's step bills: each rate's always-on bill with
// the instances it needs, and each option's capacity and crossover.
func TestCostJSONHasTheSteps(t *testing.T) {
	out, err := kittest.Execute(t, Command(), "-o", "json", "--rates", "1,10000", "--capacity-rps", "1000", "--capacity-cpus", "1")
	if err != nil {
		t.Fatal(err)
	}
	var doc costDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(doc.Rates) != 2 || len(doc.AlwaysOn) == 0 {
		t.Fatalf("rates %d, options %d: %s", len(doc.Rates), len(doc.AlwaysOn), out)
	}
	for _, o := range doc.AlwaysOn {
		if want := 1000 * o.VCPU; o.Capacity != want {
			t.Errorf("%s: capacity %g req/s, want %g (1000 per vCPU × %g)", o.Name, o.Capacity, want, o.VCPU)
		}
		if o.Never == "" && (o.CrossoverInstances < 1 || o.StaysCheaperFrom < o.CrossoverRate) {
			t.Errorf("%s: crossover %+v: want at least one instance and a rate from which it stays cheaper", o.Name, o)
		}
		if len(o.Rates) != len(doc.Rates) {
			t.Fatalf("%s: bills at %d rates, want %d", o.Name, len(o.Rates), len(doc.Rates))
		}
		for i, s := range o.Rates {
			want := max(1, int(math.Ceil(doc.Rates[i].Rate/o.Capacity)))
			if s.Rate != doc.Rates[i].Rate || s.Instances != want || math.Abs(s.Monthly-float64(want)*o.Monthly) > 1e-9 {
				t.Errorf("%s at %g req/s: %+v, want %d instances of %g", o.Name, doc.Rates[i].Rate, s, want, o.Monthly)
			}
		}
	}
}
