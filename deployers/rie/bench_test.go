package rie

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/deployers/rie/internal/frontend"
)

// benchDeploy deploys the app for a benchmark (timer stopped).
func benchDeploy(b *testing.B) (*Deployer, *deployers.Deployment) {
	b.Helper()
	b.StopTimer()
	defer b.StartTimer()
	dp := newDeployer(b)
	d := deploy(b, dp, deployers.Spec{RunID: deployertest.RunID(b, "rie-bench"), Artifacts: deployertest.Artifacts(b), ReadyTimeout: time.Minute})
	return dp, d
}

// healthzEvent is the Function URL event of GET /healthz.
func healthzEvent(b *testing.B) []byte {
	b.Helper()
	r, err := http.NewRequest(http.MethodGet, "http://127.0.0.1/healthz", nil)
	if err != nil {
		b.Fatal(err)
	}
	ev, err := frontend.EncodeRequest(r)
	if err != nil {
		b.Fatal(err)
	}
	return ev
}

func get200(b *testing.B, hc *http.Client, url string) {
	resp, err := hc.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %s", url, resp.Status)
	}
}

// minColdSamples is how many cold starts a cold-start percentile rests
// on, even under -benchtime 1x (the extra ones run with the timer stopped).
const minColdSamples = 5

// quiesce waits until no environment of g is between its first answer and
// its CPU cap, then retires every environment: the next request starts a
// new one, and nothing of the last sample runs while the next is timed.
func quiesce(b *testing.B, dp *Deployer, d *deployers.Deployment) {
	b.Helper()
	g := d.State.(*gateway)
	deadline := time.Now().Add(capTimeout)
	for {
		g.mu.Lock()
		n := g.capping
		g.mu.Unlock()
		if n == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := dp.ForceColdStart(context.Background(), d); err != nil {
		b.Fatal(err)
	}
}

// gatewayColdStart times one cold start through the gateway: a new
// environment to its first 200.
func gatewayColdStart(b *testing.B, dp *Deployer, d *deployers.Deployment, hc *http.Client) time.Duration {
	b.StopTimer()
	quiesce(b, dp, d)
	b.StartTimer()
	start := time.Now()
	get200(b, hc, d.URL+"/healthz")
	return time.Since(start)
}

// dockerRunColdStart times the baseline: `docker run` of the same image
// with the same limits and environment as an execution environment starts
// with (memory, init's CPU share, the same locked-down host config), then
// invokes the emulator directly until it answers.
func dockerRunColdStart(b *testing.B, dp *Deployer, g *gateway, ev []byte, hc *http.Client) time.Duration {
	b.StopTimer()
	cfg := &container.Config{
		Image: g.spec.image, Labels: labels(g.spec.runID, g.spec.deployment),
		Env: g.spec.env, ExposedPorts: network.PortSet{riePort: {}},
	}
	host := envHostConfig(g.spec.memoryMB, g.spec.initCPUs)
	b.StartTimer()
	start := time.Now()
	res, err := dp.api.ContainerCreate(context.Background(), client.ContainerCreateOptions{Config: cfg, HostConfig: host})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = dp.removeContainer(context.Background(), res.ID) })
	if _, err := dp.api.ContainerStart(context.Background(), res.ID, client.ContainerStartOptions{}); err != nil {
		b.Fatal(err)
	}
	hp, err := dp.hostPort(context.Background(), res.ID)
	if err != nil {
		b.Fatal(err)
	}
	// Invoke until the emulator answers: a POST before it listens is
	// dropped by the port forwarder, never delivered.
	invokeURL := "http://127.0.0.1:" + hp + rieInvokePath
	for {
		resp, err := hc.Post(invokeURL, "application/json", bytes.NewReader(ev))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("invoke: %s", resp.Status)
			}
			break
		}
		time.Sleep(deployers.DefaultPollInterval)
	}
	took := time.Since(start)
	b.StopTimer()
	if err := dp.removeContainer(context.Background(), res.ID); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	return took
}

// BenchmarkColdStart measures a function cold start — a new environment
// to its first 200 through the gateway — beside a bare `docker run` of the
// same image with the same limits and a direct invoke of the emulator,
// interleaved so that both see the same machine. What is left between the
// two is the gateway's own cost: gateway-overhead-% is the gateway's p50
// over the baseline's, minus one (the goal is ≤ 10 %).
func BenchmarkColdStart(b *testing.B) {
	dp, d := benchDeploy(b)
	g := d.State.(*gateway)
	hc := &http.Client{Transport: &http.Transport{Proxy: nil}}
	ev := healthzEvent(b)
	var viaGateway, baseline []time.Duration
	one := func() {
		viaGateway = append(viaGateway, gatewayColdStart(b, dp, d, hc))
		baseline = append(baseline, dockerRunColdStart(b, dp, g, ev, hc))
	}
	for b.Loop() {
		one()
	}
	b.StopTimer()
	for len(viaGateway) < minColdSamples {
		one()
	}
	gw, base := p50(viaGateway), p50(baseline)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(gw), "gateway-p50-ms")
	b.ReportMetric(ms(base), "baseline-p50-ms")
	b.ReportMetric((ms(gw)/ms(base)-1)*100, "gateway-overhead-%")
	b.ReportMetric(g.spec.initCPUs, "init-cpus")
}

// BenchmarkInitCPU shows the function's cold start at 128, 512 and 1,769
// MB with init capped at the memory-proportional share from the start
// (boost=off: the local model before, which throttles init more than
// Lambda does) and with init given one vCPU until its first answer
// (boost=on: as Lambda runs init; see InitCPUs). It reports the client's
// cold start through the gateway and the emulator's Init Duration.
func BenchmarkInitCPU(b *testing.B) {
	for _, mb := range []int{128, 512, 1769} {
		for _, boost := range []bool{false, true} {
			b.Run(fmt.Sprintf("%dMB/boost=%v", mb, map[bool]string{false: "off", true: "on"}[boost]), func(b *testing.B) {
				b.StopTimer()
				dp := newDeployer(b, WithInitBoost(boost))
				d := deploy(b, dp, deployers.Spec{RunID: deployertest.RunID(b, "rie-initcpu"), Artifacts: deployertest.Artifacts(b), MemoryMB: mb, ReadyTimeout: time.Minute})
				hc := &http.Client{Transport: &http.Transport{Proxy: nil}}
				b.StartTimer()
				var cold []time.Duration
				for b.Loop() {
					cold = append(cold, gatewayColdStart(b, dp, d, hc))
				}
				b.StopTimer()
				for len(cold) < minColdSamples {
					cold = append(cold, gatewayColdStart(b, dp, d, hc))
				}
				var inits []time.Duration
				for _, e := range environments(b, dp, d) {
					if e.Inits > 0 {
						inits = append(inits, e.InitDuration)
					}
				}
				ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
				b.ReportMetric(ms(p50(cold)), "cold-p50-ms")
				b.ReportMetric(ms(p50(inits)), "init-p50-ms")
				g := d.State.(*gateway)
				b.ReportMetric(g.spec.cpus, "handler-cpus")
				b.ReportMetric(g.spec.initCPUs, "init-cpus")
			})
		}
	}
}

// p50 is the median of ds (zero for none).
func p50(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	xs := slices.Clone(ds)
	slices.Sort(xs)
	return xs[len(xs)/2]
}
