package cost

import (
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/ec2"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/results"
)

// ladderRun is a run of the three variants at 50 req/s whose warm
// requests each took 2.5 ms of service (billed 3 ms).
func ladderRun() *results.Run {
	warm := func() *results.Warm {
		var samples []load.Sample
		for i := range 200 {
			samples = append(samples, load.Sample{Seq: uint64(i), Latency: 2500 * time.Microsecond, Service: 2500 * time.Microsecond, Code: 200})
		}
		return &results.Warm{Endpoint: "POST /checkout", Result: &load.Result{Rate: 50, Samples: samples, Summary: load.Summarize(samples, 4*time.Second)}}
	}
	return &results.Run{
		RunID: "r", Machine: results.Machine{Arch: "amd64"},
		Settings: results.Settings{Rate: 50, Duration: 4 * time.Second},
		Variants: []results.Variant{
			{Variant: deployers.VM, MemoryMB: 256, Warm: warm()},
			{Variant: deployers.Container, MemoryMB: 256, Warm: warm()},
			{Variant: deployers.Lambda, MemoryMB: 128, Warm: warm()},
		},
	}
}

func TestLadderPricesEachCounterpart(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	run := ladderRun()
	if err := Ladder(run, p); err != nil {
		t.Fatal(err)
	}
	perMonth := 50.0 * 730 * 3600
	ip := p.PublicIPv4.Hourly
	vmType, err := ec2.InstanceTypeFor(run.Variants[0].MemoryMB, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	t3 := p.EC2.Instances[vmType]
	fg := p.Fargate.X86
	want := []struct {
		counterpart string
		monthly     float64
		asOf        string
	}{
		{"EC2 " + vmType, (t3.Hourly + ip) * 730, p.EC2.AsOf},
		{"Fargate 0.25 vCPU / 0.5 GB x86_64", (0.25*fg.VCPUHour + 0.5*fg.GBHour + ip) * 730, p.Fargate.AsOf},
		// 3 ms billed × 0.125 GB, plus the request charge, per request.
		{"Lambda 128 MB x86_64", perMonth * (p.Lambda.Request + 0.003*0.125*p.Lambda.GBSecond[X86]), p.Lambda.AsOf},
	}
	for i, w := range want {
		c := run.Variants[i].Cost
		if c == nil || c.NotComputed != "" {
			t.Fatalf("%s: cost %+v", run.Variants[i].Variant, c)
		}
		if c.Counterpart != w.counterpart || !near(c.Monthly, w.monthly) || !near(c.PerMillion, w.monthly/perMonth*1e6) || c.PricesAsOf != w.asOf || c.Rate != 50 || c.Basis == "" {
			t.Errorf("%s: cost %+v, want %s at $%.4f a month (prices %s)", run.Variants[i].Variant, c, w.counterpart, w.monthly, w.asOf)
		}
	}
	if !strings.Contains(run.Variants[2].Cost.Basis, "mean billed duration 3.00 ms") {
		t.Errorf("lambda basis %q does not name the measured duration", run.Variants[2].Cost.Basis)
	}
}

func TestLadderSaysWhatItCannotPrice(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	run := ladderRun()
	run.Variants[0].NotMeasured = []string{"the emulator runs nothing"}
	run.Variants[1].Warm = nil
	run.Variants[2].MemoryMB = 64 // below Lambda's minimum
	if err := Ladder(run, p); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"not measured", "no warm load", "memory 64 MB"} {
		c := run.Variants[i].Cost
		if c == nil || !strings.Contains(c.NotComputed, want) || c.Monthly != 0 || c.PerMillion != 0 {
			t.Errorf("%s: cost %+v, want not computed: %q", run.Variants[i].Variant, c, want)
		}
	}
	if err := Ladder(nil, p); err == nil {
		t.Error("Ladder(nil) returned no error")
	}
	// A VM bigger than every instance the EC2 deployer launches cannot be priced.
	run = ladderRun()
	run.Variants[0].MemoryMB = 64 << 10
	_ = Ladder(run, p)
	if c := run.Variants[0].Cost; !strings.Contains(c.NotComputed, "largest lab instance") {
		t.Errorf("a 64 GB VM: %+v", c)
	}
}
