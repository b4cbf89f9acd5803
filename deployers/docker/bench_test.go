package docker

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/deployers/internal/engine"
)

// The two benchmarks measure the same thing, container create request →
// first HTTP 200 from /healthz, for the same prebuilt image and the same
// container settings: BenchmarkDeploy through the deployer (the part of
// Deploy after the build), BenchmarkBaselineDockerRun through the docker
// command line. Compare their ms/ready (median of the iterations):
//
//	go test -run '^$' -bench . -count 5 ./deployers/docker

func BenchmarkDeploy(b *testing.B) {
	runID := deployertest.RunID(b, "dockerbench")
	d := newTestDeployer(b, runID)
	tag := benchImage(b, d, runID)
	ctx := context.Background()
	spec := deployers.Spec{RunID: runID, Artifacts: testArtifacts(b)}

	samples := make([]time.Duration, 0, b.N)
	// Where the time goes: create request, start request, start → first 200.
	phases := map[string][]time.Duration{}
	b.ResetTimer()
	for i := range b.N {
		dep := &deployers.Deployment{RunID: runID, Variant: deployers.Container, Details: map[string]string{}}
		start := time.Now()
		dep.Phases.Mark(PhaseBuilt, start)
		err := d.run(ctx, spec, dep, tag, fmt.Sprintf("computeladder-container-%s-%d", runID, i))
		elapsed := time.Since(start)
		b.StopTimer()
		if terr := d.Teardown(ctx, dep); terr != nil {
			b.Fatal(terr)
		}
		if err != nil {
			b.Fatal(err)
		}
		if at, ok := phaseAt(dep.Phases, PhaseFirst200); ok {
			elapsed = at.Sub(start)
		}
		samples = append(samples, elapsed)
		for i := 1; i < len(dep.Phases); i++ {
			p := dep.Phases[i]
			phases[p.Name] = append(phases[p.Name], p.At.Sub(dep.Phases[i-1].At))
		}
		b.StartTimer()
	}
	reportReady(b, samples)
	for name, unit := range map[string]string{PhaseCreated: "ms/create", PhaseStarted: "ms/start", PhaseFirst200: "ms/started-to-200"} {
		b.ReportMetric(median(phases[name]), unit)
	}
}

func BenchmarkBaselineDockerRun(b *testing.B) {
	runID := deployertest.RunID(b, "dockerbase")
	d := newTestDeployer(b, runID)
	tag := benchImage(b, d, runID)
	ctx := context.Background()
	labels := engine.Labels(runID, deployers.Container)
	poll := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}

	samples := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		port := freePort(b)
		name := fmt.Sprintf("computeladder-baseline-%s-%d", runID, i)
		args := []string{"run", "-d", "--name", name,
			"--label", deployers.LabelRunID + "=" + labels[deployers.LabelRunID],
			"--label", deployers.LabelVariant + "=" + labels[deployers.LabelVariant],
			// The flags Deploy's container gets.
			"-p", "127.0.0.1:" + strconv.Itoa(port) + ":8080",
			"--memory", "256m", "--memory-swap", "256m", "--cpus", "1",
			"--user", User, "--read-only", "--security-opt", "no-new-privileges", "--cap-drop", "ALL",
			"-e", "PORT=8080", tag}
		url := "http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"
		b.StartTimer()

		start := time.Now()
		out, err := exec.Command("docker", args...).CombinedOutput()
		if err == nil {
			err = pollUntil200(poll, url, 30*time.Second)
		}
		elapsed := time.Since(start)

		b.StopTimer()
		_, rmErr := d.api.ContainerRemove(ctx, name, client.ContainerRemoveOptions{Force: true})
		if err != nil {
			b.Fatalf("docker run: %v: %s", err, out)
		}
		if rmErr != nil {
			b.Fatal(rmErr)
		}
		samples = append(samples, elapsed)
		b.StartTimer()
	}
	reportReady(b, samples)
}

// benchImage builds the app's image once, outside the timed part.
func benchImage(b *testing.B, d *Deployer, runID string) string {
	b.Helper()
	ctx := context.Background()
	tag := ImageRepo + ":" + runID + "-bench"
	_, err := engine.BuildImage(ctx, d.api, testArtifacts(b).ContainerContext, tag, engine.Labels(runID, deployers.Container))
	b.Cleanup(func() {
		if err := d.removeImage(context.Background(), tag, false); err != nil {
			b.Error(err)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	return tag
}

// pollUntil200 polls like deployers.WaitReady: a fresh connection every
// 2 ms, since the userland proxy accepts connections before the app listens.
func pollUntil200(c *http.Client, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no 200 within %s (last: %v)", url, timeout, err)
		}
		time.Sleep(deployers.DefaultPollInterval)
	}
}

func freePort(b *testing.B) int {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// reportReady reports the median create → first-200 time of the iterations.
func reportReady(b *testing.B, samples []time.Duration) {
	b.ReportMetric(median(samples), "ms/ready")
}

func median(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2]) / float64(time.Millisecond)
}
