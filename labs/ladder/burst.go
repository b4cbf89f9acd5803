package ladder

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/probe"
	"github.com/computeladder/computeladder/harness/results"
)

// InstanceLister is implemented by backends whose platform scales a
// deployment by itself: a function platform that starts an execution
// environment when none is free and retires it after KeepAlive idle.
type InstanceLister interface {
	Instances(ctx context.Context, d *deployers.Deployment) ([]deployers.Instance, error)
	KeepAlive() time.Duration
}

// burstEndpoint is what the burst asks for: the warm load's business path.
const burstEndpoint = "POST /checkout"

// runBurst sends cfg.BurstClients concurrent closed-loop clients against
// d for cfg.BurstDuration and counts the instances that served them.
func runBurst(ctx context.Context, cfg *Config, dep deployers.Deployer, d *deployers.Deployment) (*results.Burst, error) {
	lister, _ := dep.(InstanceLister)
	var before []deployers.Instance
	if lister != nil {
		var err error
		if before, err = lister.Instances(ctx, d); err != nil {
			return nil, err
		}
	}
	// A connection per client, kept between its requests.
	rt := http.DefaultTransport.(*http.Transport).Clone()
	rt.MaxIdleConnsPerHost = cfg.BurstClients
	client := clientWith(dep, d, rt)
	defer client.CloseIdleConnections()

	br := closedLoop(ctx, client, d.URL+"/checkout", cfg.BurstClients, cfg.BurstDuration)
	b := br.Burst
	if lister == nil {
		b.Instances, b.InstancesMeasured = 1, true
		b.InstancesHow = "one: the deployment is one " + instanceNoun(d.Variant) + "; nothing starts more"
		if d.Variant == deployers.Lambda {
			b.Instances, b.InstancesMeasured = 0, false
			b.InstancesHow = "not measured: the platform does not list its execution environments to the harness"
		}
		return b, ctx.Err()
	}
	after, err := lister.Instances(ctx, d)
	if err != nil {
		return b, err
	}
	b.Instances, b.Started = servedBy(before, after, br.start)
	b.InstancesMeasured = true
	b.InstancesHow = "execution environments that served a request of the burst, from the platform's own list"
	return b, ctx.Err()
}

// instanceNoun names one instance of variant v.
func instanceNoun(v deployers.Variant) string {
	if v == deployers.VM {
		return "VM"
	}
	return "container"
}

// servedBy counts the instances in after whose request count grew since
// before (or that are new and served), and those started at or after start.
func servedBy(before, after []deployers.Instance, start time.Time) (served, started int) {
	was := map[string]int{}
	for _, in := range before {
		was[in.ID] = in.Requests
	}
	for _, in := range after {
		n, known := was[in.ID]
		if in.Requests > n {
			served++
		}
		if !known && !in.Started.Before(start) {
			started++
		}
	}
	return served, started
}

// burstResult is a closed-loop burst with its start, for servedBy.
type burstResult struct {
	*results.Burst
	start time.Time
}

// closedLoop runs clients goroutines, each sending POST url with the
// checkout body and, as soon as the answer is in, the next, until dur has
// passed. Latency is each request's send → its response read.
func closedLoop(ctx context.Context, client *http.Client, url string, clients int, dur time.Duration) burstResult {
	type client1 struct {
		lat        []time.Duration
		errs, sent int
		first      time.Duration // the start → its first response; 0 while none
	}
	per := make([]client1, clients)
	start := time.Now()
	end := start.Add(dur)
	ctx, cancel := context.WithDeadline(ctx, end.Add(30*time.Second)) // a request cut by the deadline is an error
	defer cancel()
	var wg sync.WaitGroup
	for i := range per {
		wg.Go(func() {
			c := &per[i]
			for time.Now().Before(end) && ctx.Err() == nil {
				t0 := time.Now()
				err := checkout(ctx, client, url)
				done := time.Now()
				c.sent++
				if c.first == 0 {
					c.first = done.Sub(start)
				}
				if err != nil {
					c.errs++
					continue
				}
				c.lat = append(c.lat, done.Sub(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b := &results.Burst{Endpoint: burstEndpoint, Clients: clients, Duration: elapsed}
	var all []time.Duration
	for _, c := range per {
		b.Requests += c.sent
		b.Errors += c.errs
		all = append(all, c.lat...)
		if c.first > 0 && (b.FirstResponse == 0 || c.first < b.FirstResponse) {
			b.FirstResponse = c.first
		}
		b.AllServed = max(b.AllServed, c.first)
	}
	if slices.ContainsFunc(per, func(c client1) bool { return c.first == 0 }) {
		b.AllServed = 0 // a client never had an answer
	}
	b.Latency = load.QuantilesOf(all)
	b.Throughput = float64(len(all)) / elapsed.Seconds()
	return burstResult{Burst: b, start: start}
}

// checkout sends one checkout and reads the whole answer; anything but a
// 2xx is an error.
func checkout(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(CheckoutBody))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	return nil
}

// scaleToZero waits for the platform's keep-alive after the last request
// and counts the instances still running (and billed). An always-on
// deployment (no InstanceLister) is probed once: it still answers, so its
// one instance runs and is billed.
func scaleToZero(ctx context.Context, cfg *Config, dep deployers.Deployer, d *deployers.Deployment, client *http.Client) (*results.ScaleToZero, error) {
	lister, ok := dep.(InstanceLister)
	if !ok {
		z := &results.ScaleToZero{How: "GET /whoami still answers: the " + instanceNoun(d.Variant) + " runs until it is stopped"}
		if d.Variant == deployers.Lambda {
			z.NotMeasured = "the platform does not list its execution environments to the harness"
			return z, nil
		}
		if _, err := probe.Whoami(ctx, client, d.URL); err != nil {
			return z, err
		}
		z.Running = 1
		return z, nil
	}
	keep := lister.KeepAlive()
	z := &results.ScaleToZero{KeepAlive: keep, How: "execution environments not yet retired, from the platform's own list"}
	// The platform retires an environment some time after keep-alive of
	// idleness (its reaper ticks); watch a little past it.
	wait := keep + max(keep/2, 2*time.Second)
	if wait > cfg.ScaleToZeroMax {
		z.NotMeasured = fmt.Sprintf("the keep-alive (%s) is longer than the harness waits (%s): shorten it (--keep-alive)", keep, cfg.ScaleToZeroMax)
		return z, nil
	}
	cfg.Observer.Phase(d.Variant, "scale-to-zero", fmt.Sprintf("idle for the keep-alive (%s)", keep))
	// The harness's last request has been answered: idleness starts now.
	last := time.Now()
	deadline := last.Add(wait)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ins, err := lister.Instances(ctx, d)
		if err != nil {
			return z, err
		}
		now := time.Now()
		z.Running = running(ins)
		if z.Running == 0 {
			z.ZeroAfter = now.Sub(last)
			z.Waited = now.Sub(last)
			return z, nil
		}
		if !now.Before(deadline) {
			z.Waited = now.Sub(last)
			return z, nil
		}
		select {
		case <-ctx.Done():
			return z, ctx.Err()
		case <-tick.C:
		}
	}
}

// running counts the instances not yet retired.
func running(ins []deployers.Instance) int {
	n := 0
	for _, in := range ins {
		if in.Retired.IsZero() {
			n++
		}
	}
	return n
}

// ClosedLoop is the burst's closed loop for other labs: clients sending
// POST url with CheckoutBody back to back for dur (the checkout lab
// measures an always-on instance's throughput with it).
func ClosedLoop(ctx context.Context, client *http.Client, url string, clients int, dur time.Duration) *results.Burst {
	return closedLoop(ctx, client, url, clients, dur).Burst
}
