package ladder

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/load"
	"github.com/computeladder/computeladder/harness/probe"
	"github.com/computeladder/computeladder/harness/results"
)

// InitReporter is implemented by function backends that know the
// platform's own Init Duration of the environment that served the most
// recent cold start.
type InitReporter interface {
	LastInitDuration(ctx context.Context, d *deployers.Deployment) (time.Duration, bool)
}

// runVariant measures one variant. Every deployment it makes goes through
// run, which tears it down before runVariant returns, whatever happens; the
// last teardown is timed and followed by a check that nothing carrying the
// run id is left.
func runVariant(ctx context.Context, cfg *Config, run *kit.Run, v deployers.Variant) (vr results.Variant, err error) {
	dep := cfg.Deployers[v]
	info := dep.Info()
	vr = results.Variant{Variant: v, Backend: info.Name, Description: info.Description}
	obs := cfg.Observer

	var current *deployers.Deployment
	// The deferred Finish is the guarantee: it runs on success, on error
	// and after ctx is cancelled (with a context of its own). What the
	// backend prepared once for the run (an image) goes with it.
	defer func() {
		td := run.Finish(ctx, dep)
		vr.Teardown = td
		if td.Error != "" || len(td.Leftovers) > 0 {
			err = errors.Join(err, fmt.Errorf("teardown: %s (left: %v)", td.Error, td.Leftovers))
		}
	}()

	var startups []results.StartupSample
	var firsts, inits []time.Duration
	var client *http.Client
	for i := range cfg.Runs {
		if current != nil {
			// A fresh deployment per run: the previous one goes first.
			obs.Phase(v, "teardown", fmt.Sprintf("deployment %d of %d", i, cfg.Runs))
			terr := run.Teardown(ctx, current)
			current = nil
			if terr != nil {
				return vr, fmt.Errorf("teardown between runs: %w", terr)
			}
		}
		obs.Phase(v, "deploy", fmt.Sprintf("deployment %d of %d", i+1, cfg.Runs))
		d, derr := run.Deploy(ctx, dep, cfg.Spec)
		if derr != nil {
			return vr, derr
		}
		current = d
		if i == 0 {
			vr.Details, vr.Accel = d.Details, d.Accel
			vr.MemoryMB = d.MemoryMB
			// Some facts (the microVM's accelerator) are known only now.
			vr.Description = dep.Info().Description
		}
		if why := unreachable(d); why != "" {
			// An emulator that only records the resource: nothing answers,
			// so nothing that needs the endpoint is measured — and no
			// request is sent to an address that is not ours. The times it
			// recorded are not a startup: none of them is kept.
			vr.NotMeasured = []string{"startup, cold start, warm latency, scaling, cost and the behaviour table: " + why}
			obs.Phase(v, "recorded", "not measured: "+why)
			continue
		}
		startups = append(startups, startupSample(d))
		obs.Phase(v, "started", d.Phases.String())
		client = clientFor(dep, d)
		cs, cerr := firstRequest(ctx, client, d.URL)
		if cerr != nil {
			return vr, fmt.Errorf("first request: %w", cerr)
		}
		vr.ColdStart.Samples = append(vr.ColdStart.Samples, cs)
		firsts = append(firsts, cs.FirstRequest)
	}
	if len(vr.NotMeasured) > 0 {
		return vr, ctx.Err()
	}
	vr.Startup = summariseStartup(startups)

	// Backends that can force a cold start in place (a function platform
	// starting a new execution environment) get Runs more samples that way.
	vr.ColdStart.Method = "first request after a fresh deployment"
	if cold, ok := dep.(deployers.ColdStarter); ok {
		vr.ColdStart.Method = info.ColdStartMethod
		if vr.ColdStart.Method == "" {
			vr.ColdStart.Method = "forced by the platform"
		}
		vr.ColdStart.Samples, firsts = nil, nil
		for i := range cfg.Runs {
			obs.Phase(v, "cold-start", fmt.Sprintf("%d of %d", i+1, cfg.Runs))
			if err := cold.ForceColdStart(ctx, current); err != nil {
				return vr, fmt.Errorf("force cold start: %w", err)
			}
			cs, cerr := firstRequest(ctx, client, current.URL)
			if cerr != nil {
				return vr, fmt.Errorf("cold start %d: %w", i+1, cerr)
			}
			if ir, ok := dep.(InitReporter); ok {
				if init, ok := ir.LastInitDuration(ctx, current); ok {
					cs.InitDuration = init
					inits = append(inits, init)
				}
			}
			vr.ColdStart.Samples = append(vr.ColdStart.Samples, cs)
			firsts = append(firsts, cs.FirstRequest)
		}
	}
	vr.ColdStart.FirstRequest = results.StatsOf(firsts)
	if len(inits) > 0 {
		st := results.StatsOf(inits)
		vr.ColdStart.InitDuration = &st
	}

	if cfg.Duration > 0 {
		w, lerr := warmLoad(ctx, cfg, v, client, current.URL)
		vr.Warm = w
		if lerr != nil {
			return vr, lerr
		}
	}
	if cfg.BurstDuration > 0 {
		vr.Scaling = &results.Scaling{}
		obs.Phase(v, "burst", fmt.Sprintf("%d concurrent clients for %s, from idle", cfg.BurstClients, cfg.BurstDuration))
		b, err := runBurst(ctx, cfg, dep, current)
		vr.Scaling.Burst = b
		if err != nil {
			return vr, fmt.Errorf("burst: %w", err)
		}
	}
	if cfg.Check != nil {
		obs.Phase(v, "behaviour", "the behaviour table against the live deployment")
		vr.Behaviour = cfg.Check(ctx, string(v), current.URL, client)
		if vr.Behaviour.Failed > 0 {
			return vr, fmt.Errorf("behaviour table: %d of %d cases failed", vr.Behaviour.Failed, vr.Behaviour.Failed+vr.Behaviour.Passed)
		}
	}
	if vr.Scaling != nil {
		z, err := scaleToZero(ctx, cfg, dep, current, client)
		vr.Scaling.ScaleToZero = z
		if err != nil {
			return vr, fmt.Errorf("scale to zero: %w", err)
		}
	}
	return vr, ctx.Err()
}

// startupSample is d's timeline with the startup measured from its origin.
func startupSample(d *deployers.Deployment) results.StartupSample {
	from := d.Phases.From(d.StartupFrom)
	s := results.StartupSample{Phases: d.Phases, From: from[0].Name, Total: from.Total(), Preparation: d.Preparation}
	s.Prepare, _ = d.Phases.Since(s.From)
	return s
}

// Transporter is implemented by deployers whose endpoints need more than
// plain HTTP, e.g. SigV4-signed requests to an IAM-auth Function URL.
type Transporter interface {
	Transport(d *deployers.Deployment, base http.RoundTripper) http.RoundTripper
}

// clientFor returns the client every request to d goes through.
func clientFor(dep deployers.Deployer, d *deployers.Deployment) *http.Client {
	return clientWith(dep, d, http.DefaultTransport.(*http.Transport).Clone())
}

// clientWith is clientFor over the transport base.
func clientWith(dep deployers.Deployer, d *deployers.Deployment, base *http.Transport) *http.Client {
	var rt http.RoundTripper = base
	if t, ok := dep.(Transporter); ok {
		rt = t.Transport(d, rt)
	}
	return &http.Client{Transport: rt, Timeout: 30 * time.Second}
}

// unreachable says why nothing answers on d, or "" when it was seen to
// answer: only a deployment whose timeline reached the first HTTP 200 is
// sent any request.
func unreachable(d *deployers.Deployment) string {
	if d.NotMeasured != "" {
		return d.NotMeasured
	}
	if _, ok := d.Phases.Since(deployers.PhaseFirst200); ok && d.URL != "" {
		return ""
	}
	return "the deployment never answered HTTP"
}

// firstRequest times GET /whoami on a fresh connection and reads what the
// app says of itself.
func firstRequest(ctx context.Context, client *http.Client, baseURL string) (results.ColdSample, error) {
	client.CloseIdleConnections()
	r, err := probe.Whoami(ctx, client, baseURL)
	if err != nil {
		return results.ColdSample{}, err
	}
	return results.ColdSample{FirstRequest: r.Latency, Cold: r.Who.Cold, InstanceID: r.Who.InstanceID}, nil
}

// CheckoutBody is the request of the warm load: the business path (the
// checkout lab sends it too).
var CheckoutBody = []byte(`{"items":[{"sku":"TEA-1","quantity":2,"unit_price_cents":1299},{"sku":"MUG-2","quantity":1,"unit_price_cents":899}],"discount_code":"SAVE10","region":"CA"}`)

func warmLoad(ctx context.Context, cfg *Config, v deployers.Variant, client *http.Client, baseURL string) (*results.Warm, error) {
	tgt := load.Target{
		Method: http.MethodPost, URL: baseURL + "/checkout", Body: CheckoutBody,
		Header: http.Header{"Content-Type": {"application/json"}},
	}
	obs := cfg.Observer
	if cfg.Warmup > 0 {
		obs.Phase(v, "warm-up", fmt.Sprintf("%d req/s for %s (excluded)", cfg.Rate, cfg.Warmup))
		if _, err := runLoad(ctx, tgt, load.Options{Rate: cfg.Rate, Duration: cfg.Warmup}, client); err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
	}
	obs.Phase(v, "load", fmt.Sprintf("%d req/s for %s", cfg.Rate, cfg.Duration))
	res, err := runLoad(ctx, tgt, load.Options{
		Rate: cfg.Rate, Duration: cfg.Duration,
		Progress: func(p load.Progress) { obs.Load(v, p) },
	}, client)
	w := &results.Warm{Endpoint: "POST /checkout", Result: res}
	if err != nil {
		return w, fmt.Errorf("load: %w", err)
	}
	if s := res.Summary; s.FellBehind(res.Rate) {
		obs.Phase(v, "behind", fmt.Sprintf("achieved %.1f/s of %d/s: %d of %d scheduled requests never sent; the figures are not those of the asked rate",
			s.AchievedRate, res.Rate, s.Unsent(), s.Scheduled))
	}
	return w, nil
}

// runLoad runs the warm load in a worker process of its own, so that
// nothing measured shares the generator's process or its CPU cap (the
// local function gateway lives in this one). Only requests that must be
// signed (a cloud Function URL) are sent from this process: their client
// cannot cross to another, and nothing measured lives here then.
func runLoad(ctx context.Context, tgt load.Target, opts load.Options, client *http.Client) (*load.Result, error) {
	if c := loadClient(client); c != nil {
		opts.Client = c
		return load.Run(ctx, tgt, opts)
	}
	return load.RunIsolated(ctx, tgt, opts)
}

func summariseStartup(samples []results.StartupSample) results.Startup {
	st := results.Startup{Samples: samples}
	var totals, prepares []time.Duration
	byName := map[string][]time.Duration{}
	var order []string
	byWhat := map[string][]time.Duration{}
	var whats []string
	for _, s := range samples {
		totals = append(totals, s.Total)
		prepares = append(prepares, s.Prepare)
		if _, seen := byWhat[s.Preparation]; !seen {
			whats = append(whats, s.Preparation)
		}
		byWhat[s.Preparation] = append(byWhat[s.Preparation], s.Prepare)
		from := s.Phases.From(s.From)
		for _, p := range from {
			if _, seen := byName[p.Name]; !seen {
				order = append(order, p.Name)
			}
			off, _ := from.Since(p.Name)
			byName[p.Name] = append(byName[p.Name], off)
		}
	}
	st.Total = results.StatsOf(totals)
	st.Prepare = results.StatsOf(prepares)
	for _, name := range order {
		st.Phases = append(st.Phases, results.PhaseStats{Name: name, Stats: results.StatsOf(byName[name])})
	}
	for _, w := range whats {
		st.Preparations = append(st.Preparations, results.PreparationStats{What: w, Stats: results.StatsOf(byWhat[w])})
	}
	return st
}

// loadClient is nil (the load generator's own, in its own process) unless
// requests to the deployment need a special transport.
func loadClient(c *http.Client) *http.Client {
	if _, plain := c.Transport.(*http.Transport); plain {
		return nil
	}
	return c
}
