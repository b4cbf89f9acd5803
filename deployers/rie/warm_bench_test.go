package rie

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/harness/load"
)

// BenchmarkWarm: warm latency through the local Function URL gateway beside
// invoking a warm environment's emulator directly, at 50 and at 1,000
// req/s, each sent by the lab's own open-loop generator from a process of
// its own (as `computeladder run` sends it: the gateway lives in this
// process and must not share the generator's CPU cap). The two paths
// alternate, each after a one-second warm-up at its rate. Goal: the
// gateway adds ≤ 0.3 ms at p50 (added-p50-ms: the median over iterations
// of the paired difference of the p50s).
//
// Like for like, as far as a direct invoke allows: the function gets
// 1,769 MB (one vCPU), so that its CPU share, the same on both paths, does
// not decide the figures. The direct path invokes the environments the
// gateway left warm, one invoke at a time each (an emulator takes one at a
// time and crashes on a second), perEnvRate requests per second each (one
// environment at 50/s, four at 1,000/s), each from a worker of its own; a
// request due while its environment is busy waits, its wait counted from
// its intended send time. Through the gateway a request due while every
// environment is busy starts another, as Lambda does, up to its
// concurrency limit. Achieved rates are reported (gateway-rps, direct-rps). Errors (the gateway's
// 429 when every environment is busy and no more may start) are reported,
// not fatal; the percentiles are those of the successful requests.
//
// The test binary imports the harness's generator: a test-only dependency,
// so that this figure is the one the lab's warm load would see.
func BenchmarkWarm(b *testing.B) {
	// perEnvRate is what the direct path sends one environment: an
	// invoke takes about a millisecond, so it seldom has to wait.
	const perEnvRate = 250
	dp := newDeployer(b)
	d := deploy(b, dp, deployers.Spec{RunID: deployertest.RunID(b, "rie-warm"), Artifacts: deployertest.Artifacts(b),
		MemoryMB: MBPerVCPU, ReadyTimeout: time.Minute})
	g := d.State.(*gateway)
	viaGateway := load.Target{URL: d.URL + "/healthz"}
	ev := healthzEvent(b)
	// directTargets are the invoke URLs of up to n idle environments, the
	// most recently used first.
	directTargets := func(n int) []load.Target {
		g.mu.Lock()
		defer g.mu.Unlock()
		var out []load.Target
		for i := len(g.idle) - 1; i >= 0 && len(out) < n; i-- {
			out = append(out, load.Target{
				Method: http.MethodPost, URL: g.idle[i].url + rieInvokePath, Body: ev,
				Header: http.Header{"Content-Type": {"application/json"}},
			})
		}
		if len(out) == 0 {
			b.Fatal("no idle environment to invoke directly")
		}
		return out
	}

	for _, rate := range []int{50, 1000} {
		b.Run(fmt.Sprintf("%drps", rate), func(b *testing.B) {
			// At least 200 samples a path, so that p99 is supported.
			dur := max(2*time.Second, 200*time.Second/time.Duration(rate))
			// run sends rate/len(tgts) to each target at once, each from a
			// worker of its own (at most one request in flight to a target
			// when workers is 1), after a warm-up, and merges the samples.
			run := func(tgts []load.Target, workers uint64) load.Summary {
				b.Helper()
				each := rate / len(tgts)
				results := make([]*load.Result, len(tgts))
				errs := make([]error, len(tgts))
				var wg sync.WaitGroup
				for i, tgt := range tgts {
					wg.Go(func() {
						opts := load.Options{Rate: each, Duration: time.Second, MaxWorkers: workers}
						if _, errs[i] = load.RunIsolated(b.Context(), tgt, opts); errs[i] != nil {
							return
						}
						opts.Duration = dur
						results[i], errs[i] = load.RunIsolated(b.Context(), tgt, opts)
					})
				}
				wg.Wait()
				var samples []load.Sample
				var s load.Summary
				for i, res := range results {
					if errs[i] != nil {
						b.Fatalf("%s at %d/s: %v", tgts[i].URL, each, errs[i])
					}
					samples = append(samples, res.Samples...)
					s.AchievedRate += res.Summary.AchievedRate
				}
				merged := load.Summarize(samples, dur)
				merged.AchievedRate = s.AchievedRate
				if merged.Latency.N < 100 {
					b.Fatalf("%s at %d/s: %d errors of %d: too few answers for a p99", tgts[0].URL, rate, merged.Errors, merged.Requests)
				}
				return merged
			}
			var gp50, gp99, dp50, dp99, added, grps, drps, gerr, derr []float64
			for b.Loop() {
				gw := run([]load.Target{viaGateway}, 0)
				dir := run(directTargets(max(1, rate/perEnvRate)), 1)
				ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
				gp50, gp99 = append(gp50, ms(gw.Latency.P50)), append(gp99, ms(gw.Latency.P99))
				dp50, dp99 = append(dp50, ms(dir.Latency.P50)), append(dp99, ms(dir.Latency.P99))
				added = append(added, ms(gw.Latency.P50-dir.Latency.P50))
				grps, drps = append(grps, gw.AchievedRate), append(drps, dir.AchievedRate)
				gerr = append(gerr, 100*float64(gw.Errors)/float64(gw.Requests))
				derr = append(derr, 100*float64(dir.Errors)/float64(dir.Requests))
			}
			median := func(xs []float64) float64 { slices.Sort(xs); return xs[len(xs)/2] }
			b.ReportMetric(median(gp50), "gateway-p50-ms")
			b.ReportMetric(median(dp50), "direct-p50-ms")
			b.ReportMetric(median(added), "added-p50-ms")
			b.ReportMetric(median(gp99), "gateway-p99-ms")
			b.ReportMetric(median(dp99), "direct-p99-ms")
			b.ReportMetric(median(grps), "gateway-rps")
			b.ReportMetric(median(drps), "direct-rps")
			b.ReportMetric(median(gerr), "gateway-err-%")
			b.ReportMetric(median(derr), "direct-err-%")
		})
	}
}
