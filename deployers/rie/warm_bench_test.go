package rie

import (
	"cmp"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
	"github.com/computeladder/computeladder/harness/load"
)

// BenchmarkWarm: the function's warm latency through the local Function
// URL gateway beside invoking the same warm environment's emulator
// directly. Goal: the gateway adds ≤ 0.3 ms at p50.
//
// Not met at 50 req/s; met at the highest honest rate in most runs.
// Measured 2026-11-30 on the 2-vCPU development VM under the lab's lock
// (other work's compiles beside it at times, load average 0.6–4),
// -benchtime 1x -count 3, each figure a run's median of paired
// differences (added-p50-ms):
//   - old (c0a014e) and new (this code) back to back, 13:22–13:28 UTC:
//     old 0.40 / 0.29 / 0.39 ms at 50 req/s, 0.39 / 0.33 / 0.35 at 100;
//     new 0.35 / 0.32 / 0.38 at 50, 0.31 / 0.28 / 0.26 at 250;
//   - five runs (fifteen counts) of the new code over the day: 0.18–0.51
//     ms at 50 req/s (median 0.35), 0.20–0.38 at 100 or 250 (median
//     0.27); the direct p50 itself moved between 1.9 and 2.4 ms from run
//     to run. (Earlier: 0.53–0.60 ms on a loaded machine.)
//
// The changes cut the gateway's own work (one JSON decode of a response
// instead of three, 136 → 79 allocations per request; in process its
// handler costs ~17 µs beyond the invoke, from ~30: see
// BenchmarkGatewayOverhead), which is small beside what remains (medians
// over those thirty counts):
//   - the hop itself, 0.14 ms (−0.03 to 0.35): a bare TCP relay in the
//     gateway's place (the relay arm, below), ~140–200 µs of CPU per
//     request in its process (gateway-cpu-us and relay-cpu-us are this
//     process's CPU time per request over the direct arm's): two more
//     loopback deliveries and two more wakeups, each write to a sleeping
//     peer costing tens of µs on this VM;
//   - the gateway beyond the relay, 0.16 ms (0.01 to 0.41) and 160–320 µs
//     more CPU per request than the relay: net/http's server and the kept
//     connection's reads and writes (a Go profile of a run: net/http's
//     conn.serve 0.68 s, of which the handler 0.44 s and its invoke's
//     syscalls 0.24 s; the relay 0.24 s). Serving the handler with a bare
//     HTTP/1.1 loop instead (no goroutine per request, one write per
//     answer; an arm in the same rounds at 403cdcf) added 0.25 / 0.45 /
//     0.21 ms against net/http's 0.23 / 0.38 / 0.39 at 50 req/s: no gain,
//     so net/http stays.
//
// Fair by construction:
//   - One environment serves every arm: the one the deployment left warm,
//     invoked directly at the address the gateway itself uses (its bridge
//     address where this process reaches it, else its published port;
//     the benchmark logs which). The function gets 1,769 MB (one vCPU),
//     the same on every path.
//   - Every arm is sent by the lab's own open-loop generator with the same
//     options from a worker process of its own (load.RunIsolated), at most
//     one request in flight: an emulator serves one invoke at a time, so
//     the gateway then never starts a second environment and the direct
//     arm never sends one a second invoke. A request due while the one
//     before it is still out waits, its wait counted from its intended
//     send time, on every path alike.
//   - The arms alternate in blocks, each round starting with the next arm;
//     each block is long enough for a supported p99 (200 samples). The
//     figures are medians over the rounds, and added-p50-ms / added-p99-ms
//     are medians of the paired differences (gateway − direct of the same
//     round), not differences of medians.
//
// A third arm says what the gateway's added time is made of: the direct
// arm's invoke sent through a TCP relay in this process (tcpRelay: read,
// write on, no HTTP) to the same address. relay-added-p50-ms (relay −
// direct, paired) is what any process between the client and the
// emulator costs here, and added − relay-added what the gateway's own
// work (HTTP, the event and response mapping) adds to it.
//
// Rates: 50 req/s (the labs' default) and 1,000 req/s if one environment
// can take it honestly, else the highest rate it can: a rate is honest
// when, on every path, at most 1% of the requests had to wait for the one
// before (their latency would then be the queue's, not the path's). The
// highest honest rate is found on a ladder from 1,000 down, by one
// one-second block of each arm per step; the benchmark logs what it found
// and why (e.g. "1000 req/s: 37% of the gateway's requests waited").
//
// The test binary imports the harness's generator: a test-only dependency,
// so that these figures are those the lab's warm load would see.
func BenchmarkWarm(b *testing.B) {
	dp := newDeployer(b)
	d := deploy(b, dp, deployers.Spec{RunID: deployertest.RunID(b, "rie-warm"), Artifacts: deployertest.Artifacts(b),
		MemoryMB: MBPerVCPU, ReadyTimeout: time.Minute})
	g := d.State.(*gateway)
	g.mu.Lock()
	if len(g.idle) != 1 {
		g.mu.Unlock()
		b.Fatalf("%d idle environments after deploy, want the one the first request left warm", len(g.idle))
	}
	e := g.idle[0]
	g.mu.Unlock()
	// Where the gateway invokes it: its bridge address where this process
	// reaches that (no docker-proxy in between), else its published port.
	// The direct arm invokes it there too, so that the difference is the
	// gateway's own.
	envURL := "http://" + dp.emulatorAddr(e)
	b.Logf("the gateway and the direct arm invoke the environment at %s (published port %s)", envURL, e.url)
	relay := tcpRelay(b, dp.emulatorAddr(e))
	arms := [...]load.Target{
		{URL: d.URL + "/healthz"},
		{Method: http.MethodPost, URL: envURL + rieInvokePath, Body: healthzEvent(b),
			Header: http.Header{"Content-Type": {"application/json"}}},
		{Method: http.MethodPost, URL: "http://" + relay + rieInvokePath, Body: healthzEvent(b),
			Header: http.Header{"Content-Type": {"application/json"}}},
		{URL: "http://" + netHTTPServer(b, g) + "/healthz"},
	}
	const gatewayArm, directArm, relayArm, loopArm = 0, 1, 2, 3
	names := [...]string{"gateway", "direct", "relay", "net/http"}
	// block runs one arm at rate for dur, at most one request in flight.
	block := func(arm, rate int, dur time.Duration) warmBlock {
		b.Helper()
		cpu := cpuTime(b)
		res, err := load.RunIsolated(b.Context(), arms[arm], load.Options{Rate: rate, Duration: dur, MaxWorkers: 1})
		cpu = cpuTime(b) - cpu
		if err != nil {
			b.Fatalf("%s at %d/s: %v", names[arm], rate, err)
		}
		w := blockOf(res)
		if n := len(res.Samples); n > 0 {
			w.cpu = cpu / time.Duration(n)
		}
		return w
	}
	// Each arm's connection, the environment and the gateway warm up.
	for arm := range arms {
		block(arm, 50, time.Second)
	}

	honest := 0
	for _, rate := range []int{1000, 500, 250, 100} {
		var why []string
		for arm := range arms {
			w := block(arm, rate, time.Second)
			if w.waited > 0.01 {
				why = append(why, fmt.Sprintf("%.0f%% of the %s's requests waited for the one before", 100*w.waited, names[arm]))
			}
			if w.errors > 0 {
				why = append(why, fmt.Sprintf("%d of the %s's requests failed", w.errors, names[arm]))
			}
		}
		if len(why) == 0 {
			honest = rate
			break
		}
		b.Logf("%d req/s is not honest against one environment (it serves one invoke at a time): %v", rate, why)
	}
	rates := []int{50}
	switch {
	case honest == 1000:
	case honest > 50:
		b.Logf("measuring %d req/s instead of 1,000: the highest rate of the ladder one environment takes honestly", honest)
	default:
		b.Logf("no rate of the ladder down to 100 req/s is honest against one environment: only 50 req/s is measured")
	}
	if honest > 50 {
		rates = append(rates, honest)
	}

	const rounds = 3
	for _, rate := range rates {
		b.Run(fmt.Sprintf("%drps", rate), func(b *testing.B) {
			dur := max(2*time.Second, 200*time.Second/time.Duration(rate))
			var p50, p99 [len(arms)][]float64
			var added50, added99, relay50, loop50, waited, errs []float64
			var cpu [len(arms)][]float64
			for i := 0; b.Loop(); i++ {
				for r := range rounds {
					var got [len(arms)]warmBlock
					first := (i*rounds + r) % len(arms)
					for k := range arms {
						arm := (first + k) % len(arms)
						got[arm] = block(arm, rate, dur)
					}
					for arm := range arms {
						p50[arm] = append(p50[arm], ms(got[arm].p50))
						p99[arm] = append(p99[arm], ms(got[arm].p99))
						waited = append(waited, 100*got[arm].waited)
						errs = append(errs, float64(got[arm].errors))
					}
					added50 = append(added50, ms(got[gatewayArm].p50-got[directArm].p50))
					added99 = append(added99, ms(got[gatewayArm].p99-got[directArm].p99))
					relay50 = append(relay50, ms(got[relayArm].p50-got[directArm].p50))
					loop50 = append(loop50, ms(got[loopArm].p50-got[directArm].p50))
					b.Logf("ROUND %d direct-p50 %.3f added gw %.3f nethttp %.3f relay %.3f cpu gw %.0f nethttp %.0f relay %.0f",
						rate, ms(got[directArm].p50), added50[len(added50)-1], loop50[len(loop50)-1], relay50[len(relay50)-1],
						us(got[gatewayArm].cpu-got[directArm].cpu), us(got[loopArm].cpu-got[directArm].cpu), us(got[relayArm].cpu-got[directArm].cpu))
					for arm := range arms {
						cpu[arm] = append(cpu[arm], us(got[arm].cpu-got[directArm].cpu))
					}
				}
			}
			b.ReportMetric(median(p50[gatewayArm]), "gateway-p50-ms")
			b.ReportMetric(median(p50[directArm]), "direct-p50-ms")
			b.ReportMetric(median(added50), "added-p50-ms")
			b.ReportMetric(median(p99[gatewayArm]), "gateway-p99-ms")
			b.ReportMetric(median(p99[directArm]), "direct-p99-ms")
			b.ReportMetric(median(added99), "added-p99-ms")
			b.ReportMetric(median(p50[relayArm]), "relay-p50-ms")
			b.ReportMetric(median(relay50), "relay-added-p50-ms")
			b.ReportMetric(median(loop50), "nethttp-added-p50-ms")
			b.ReportMetric(median(cpu[loopArm]), "nethttp-cpu-us")
			b.ReportMetric(median(cpu[gatewayArm]), "gateway-cpu-us")
			b.ReportMetric(median(cpu[relayArm]), "relay-cpu-us")
			b.ReportMetric(slices.Max(waited), "waited-max-%")
			b.ReportMetric(slices.Max(errs), "errors-max")
		})
	}
}

// tcpRelay listens on 127.0.0.1 and relays each connection to addr byte
// for byte, reading into a buffer and writing it on as a proxy does: a
// hop through one more process, with no HTTP in it. It returns its
// address.
func tcpRelay(b *testing.B, addr string) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	b.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	pipe := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		dst.Close()
		src.Close()
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, u)
			mu.Unlock()
			go pipe(u, c)
			go pipe(c, u)
		}
	}()
	return ln.Addr().String()
}

// warmBlock is one block's figures: latency percentiles of the successful
// requests, the share of requests that waited for the one before, errors.
type warmBlock struct {
	p50, p99 time.Duration
	waited   float64
	errors   int
	cpu      time.Duration // this process's CPU time per request
}

// cpuTime is this process's CPU time so far (user and system): the
// gateway's and the relay's, and the benchmark's own, the load generator
// running in a process of its own.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func blockOf(res *load.Result) warmBlock {
	w := warmBlock{p50: res.Summary.Latency.P50, p99: res.Summary.Latency.P99, errors: res.Summary.Errors}
	// A request waited when it was due before the one before it had
	// its answer (one in flight at a time: it could not leave earlier).
	s := slices.SortedFunc(slices.Values(res.Samples), func(x, y load.Sample) int { return cmp.Compare(x.Seq, y.Seq) })
	n := 0
	for k := 1; k < len(s); k++ {
		if s[k].Offset < s[k-1].Offset+s[k-1].Latency {
			n++
		}
	}
	// A request the schedule called for and never sent waited too.
	if all := len(s) + res.Summary.Unsent(); all > 0 {
		w.waited = float64(n+res.Summary.Unsent()) / float64(all)
	}
	return w
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func median(xs []float64) float64 {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// netHTTPServer serves h with net/http's server as the gateway did before
// httpServer, for the same rounds. It returns its address.
func netHTTPServer(b *testing.B, h http.Handler) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}
