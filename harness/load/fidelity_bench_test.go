package load_test

// Fidelity of the harness's own instruments, measured side by side against
// one local container: how soon readiness polling sees the app's own
// "listening" moment, and how the load generator's top rate compares with
// wrk's. Run with: go test -run '^$' -bench Fidelity -benchtime 5x ./harness/load

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/deployers/docker"
	"github.com/computeladder/computeladder/harness/load"
)

func deployContainer(b *testing.B, dep *docker.Deployer, runID string) *deployers.Deployment {
	b.Helper()
	d, err := dep.Deploy(context.Background(), deployers.Spec{RunID: runID, Artifacts: deployertest.Artifacts(b), CPUs: 1})
	b.Cleanup(func() { _ = dep.Teardown(context.Background(), d) })
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// listeningAt reads the container adapter's own "listening" log line.
func listeningAt(b *testing.B, id string) time.Time {
	b.Helper()
	out, err := exec.Command("docker", "logs", id).Output()
	if err != nil {
		b.Fatalf("docker logs: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		var line struct {
			Time time.Time `json:"time"`
			Msg  string    `json:"msg"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
			return line.Time
		}
	}
	b.Fatalf("no listening line in the container's log:\n%s", out)
	return time.Time{}
}

// BenchmarkFidelityReadiness: first HTTP 200 seen by the deployer minus the
// moment the app logged that it listens. Goal: within 10 ms.
func BenchmarkFidelityReadiness(b *testing.B) {
	deployertest.RequireDocker(b)
	dep, err := docker.New()
	if err != nil {
		b.Fatal(err)
	}
	var lags []time.Duration
	for i := range b.N {
		d := deployContainer(b, dep, deployertest.RunID(b, fmt.Sprintf("fid%d", i)))
		first, ok := d.Phases.Since("first-200")
		if !ok {
			b.Fatalf("no first-200 phase in %s", d.Phases)
		}
		lag := d.Phases[0].At.Add(first).Sub(listeningAt(b, d.ID))
		lags = append(lags, lag)
		_ = dep.Teardown(context.Background(), d)
	}
	q := load.QuantilesOf(lags)
	b.ReportMetric(float64(q.P50)/1e6, "ms-lag-p50")
	b.ReportMetric(float64(q.Max)/1e6, "ms-lag-max")
}

var wrkRate = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

// BenchmarkFidelityThroughput: the highest rate the load generator
// sustains against one container (open loop, asking for more than wrk
// achieved), beside wrk's closed-loop maximum on the same container, with
// the CPU each client spent per request. Goal: at least 90% of wrk's.
//
// Two paths to the same container: its published port, which the labs
// use (through docker-proxy: on a small machine the client, the proxy and
// the app then share the cores, so a client's CPU is the app's loss), and
// its own address on Docker's bridge (client and app only).
func BenchmarkFidelityThroughput(b *testing.B) {
	deployertest.RequireDocker(b)
	wrk, err := exec.LookPath("wrk")
	deployertest.Require(b, "wrk (apt-get install wrk)", err)
	dep, err := docker.New()
	if err != nil {
		b.Fatal(err)
	}
	d := deployContainer(b, dep, deployertest.RunID(b, "fidtp"))
	out, err := exec.Command("docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", d.ID).Output()
	if err != nil || len(strings.TrimSpace(string(out))) == 0 {
		b.Fatalf("container address: %v %s", err, out)
	}
	bridge := "http://" + net.JoinHostPort(strings.TrimSpace(string(out)), "8080")
	b.Run("published-port", func(b *testing.B) { throughputBesideWrk(b, wrk, d.URL+"/healthz") })
	b.Run("container-address", func(b *testing.B) { throughputBesideWrk(b, wrk, bridge+"/healthz") })
}

func throughputBesideWrk(b *testing.B, wrk, url string) {
	const dur = 5 * time.Second
	var ratios, wrkRates, ourRates, wrkCPUs, ourCPUs []float64
	for range b.N {
		cmd := exec.Command(wrk, "-t2", "-c64", "-d"+dur.String(), url)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("wrk: %v\n%s", err, out)
		}
		m := wrkRate.FindSubmatch(out)
		if m == nil {
			b.Fatalf("wrk printed no rate:\n%s", out)
		}
		wrkRPS, _ := strconv.ParseFloat(string(m[1]), 64)
		wrkCPU := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()

		before := selfCPU()
		res, err := load.Run(context.Background(), load.Target{URL: url}, load.Options{
			Rate: int(wrkRPS * 1.2), Duration: dur, MaxWorkers: 64,
		})
		if err != nil {
			b.Fatal(err)
		}
		ourCPU := selfCPU() - before
		okN := float64(res.Summary.Requests - res.Summary.Errors)
		ok := okN / dur.Seconds()
		ratios = append(ratios, ok/wrkRPS)
		wrkRates, ourRates = append(wrkRates, wrkRPS), append(ourRates, ok)
		wrkCPUs = append(wrkCPUs, float64(wrkCPU.Microseconds())/(wrkRPS*dur.Seconds()))
		ourCPUs = append(ourCPUs, float64(ourCPU.Microseconds())/okN)
	}
	median := func(xs []float64) float64 { slices.Sort(xs); return xs[len(xs)/2] }
	b.ReportMetric(median(wrkRates), "wrk-req/s")
	b.ReportMetric(median(ourRates), "ours-req/s")
	b.ReportMetric(median(wrkCPUs), "wrk-cpu-µs/req")
	b.ReportMetric(median(ourCPUs), "ours-cpu-µs/req")
	b.ReportMetric(median(ratios), "ratio-median")
	b.ReportMetric(ratios[0], "ratio-min")
	b.ReportMetric(ratios[len(ratios)-1], "ratio-max")
}

// selfCPU is the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
