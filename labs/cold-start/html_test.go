package coldstart

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/computeladder/computeladder/harness/cost"
	"github.com/computeladder/computeladder/harness/report/reporttest"
	"github.com/computeladder/computeladder/harness/results"
)

func sampleResult() *Result {
	ms := time.Millisecond
	burst := func(cold int) BurstResult {
		var b BurstResult
		for i := range 4 {
			lat := 2 * ms
			if i < cold {
				lat = time.Duration(280+20*i) * ms
			}
			b.Requests = append(b.Requests, Request{Latency: lat, Status: 200, InstanceID: fmt.Sprint(i), Cold: i < cold})
		}
		b.ColdStarts = cold
		for i := range cold {
			b.NewEnvironments = append(b.NewEnvironments, NewEnv{Name: fmt.Sprintf("computeladder-rie-r-cold-%d", i+2), FirstInvoke: 40 * ms, ColdStart: 290 * ms, InitDuration: 12 * ms})
		}
		b.Latency.P50, b.Latency.P99 = 2*ms, 340*ms
		return b
	}
	r := &Result{Header: results.Header{RunID: "r-cold", Date: "2026-11-30T09:00:00Z"}, MemoryMB: 128, KeepAlive: 2 * time.Second, Burst: 4, Prewarm: 4,
		Idle: IdleResult{Warm: Request{Latency: 1500 * time.Microsecond, Status: 200, InstanceID: "a"}, Waited: 3 * time.Second,
			AfterIdle: Request{Latency: 310 * ms, Status: 200, InstanceID: "b", Cold: true}, NewInit: 13 * ms},
		ColdBurst: burst(3), PrewarmedBurst: burst(0),
		Cost: WarmPoolCost{Environments: 4, MemoryMB: 128, Arch: cost.X86, ProvisionedMonthly: 5.48, PingMonthly: 0.0035, ProvisionedAsOf: "2026-11-25", PricingAsOf: "2026-11-25"}}
	r.PrewarmedBurst.PrewarmedEnvs = 4
	r.judge()
	return r
}

// TestHTMLRendersInChromium lays the cold-start page out in Chromium and
// measures its four charts.
func TestHTMLRendersInChromium(t *testing.T) {
	var b bytes.Buffer
	if err := HTML(&b, sampleResult()); err != nil {
		t.Fatal(err)
	}
	g := reporttest.Render(t, b.Bytes())
	g.Chart(t, "idle", reporttest.Want{Marks: 3, Axes: 1, Legend: 2, Texts: []string{"warm", "after 3s idle", "310 ms"}})
	g.Chart(t, "bursts", reporttest.Want{Marks: 2, Axes: 2, Legend: 2, Texts: []string{"latency (log scale)", "100 %"}})
	g.Chart(t, "environments", reporttest.Want{Marks: 9, Axes: 1, Legend: 3, Texts: []string{"env 2", "Init Duration"}})
	g.Chart(t, "cost", reporttest.Want{Marks: 2, Axes: 1, Legend: 1, Texts: []string{"provisioned concurrency", "$5.48", "$0.0035"}})
	g.Table(t, "bursts", 3)
}
