package rie

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/app/adapters/lambda/furl/frontend"
	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
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

func reportPercentiles(b *testing.B, samples []time.Duration) {
	if len(samples) == 0 {
		return
	}
	slices.Sort(samples)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(samples[len(samples)/2]), "p50-ms")
	b.ReportMetric(ms(samples[len(samples)*99/100]), "p99-ms")
}

// BenchmarkColdStart measures a function cold start: a new environment to
// its first 200 through the gateway, beside a bare `docker run` of the same
// image and a direct invoke of the emulator.
func BenchmarkColdStart(b *testing.B) {
	dp, d := benchDeploy(b)
	g := d.State.(*gateway)
	hc := &http.Client{Transport: &http.Transport{Proxy: nil}}
	url := d.URL + "/healthz"

	b.Run("gateway", func(b *testing.B) {
		var samples []time.Duration
		for b.Loop() {
			b.StopTimer()
			if err := dp.ForceColdStart(context.Background(), d); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := time.Now()
			get200(b, hc, url)
			samples = append(samples, time.Since(start))
		}
		reportPercentiles(b, samples)
		envs, err := dp.Environments(context.Background(), d)
		if err != nil {
			b.Fatal(err)
		}
		var inits []time.Duration
		for _, e := range envs {
			if e.Inits > 0 {
				inits = append(inits, e.InitDuration)
			}
		}
		if len(inits) > 0 {
			slices.Sort(inits)
			b.ReportMetric(float64(inits[len(inits)/2])/float64(time.Millisecond), "init-p50-ms")
		}
	})

	b.Run("docker-run-baseline", func(b *testing.B) {
		ev := healthzEvent(b)
		port := network.MustParsePort("8080/tcp")
		var samples []time.Duration
		for b.Loop() {
			start := time.Now()
			res, err := dp.api.ContainerCreate(context.Background(), client.ContainerCreateOptions{
				Config: &container.Config{Image: g.spec.image, Labels: labels(g.spec.runID, g.spec.deployment), ExposedPorts: network.PortSet{port: {}}},
				HostConfig: &container.HostConfig{
					PortBindings: network.PortMap{port: {{HostIP: netip.MustParseAddr("127.0.0.1")}}},
				},
			})
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
			// Invoke until the emulator answers: a POST before it listens
			// is dropped by the port forwarder, never delivered.
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
			samples = append(samples, time.Since(start))
			b.StopTimer()
			if err := dp.removeContainer(context.Background(), res.ID); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		reportPercentiles(b, samples)
	})
}
