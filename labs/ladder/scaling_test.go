package ladder

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
)

// cachingFake prepares an "image" the way a deployers.RunCache backend
// does: after Keep, the first deployment of the run builds it and the next
// ones reuse it until Release removes it.
type cachingFake struct {
	*fakeDeployer
	kept   map[string]bool
	builds int
}

var _ deployers.RunCache = (*cachingFake)(nil)

// buildTime is how long the fake's build takes: far more than its startup.
const buildTime = 100 * time.Millisecond

func newCachingFake(v deployers.Variant) *cachingFake {
	c := &cachingFake{fakeDeployer: newFake(v), kept: map[string]bool{}}
	c.prepare = func(runID string) string {
		c.mu.Lock()
		defer c.mu.Unlock()
		key := "image/" + runID
		if _, ok := c.resources[key]; ok && c.kept[runID] {
			return "image reused"
		}
		c.builds++
		if c.kept[runID] {
			c.resources[key] = deployers.Resource{Kind: "image", ID: runID, RunID: runID, Variant: v}
		}
		time.Sleep(buildTime) // a build takes time
		return "image build"
	}
	return c
}

func (c *cachingFake) Keep(runID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.kept[runID] = true
}

func (c *cachingFake) Release(_ context.Context, runID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.kept, runID)
	delete(c.resources, "image/"+runID)
	return nil
}

// A run builds each image once, names the preparation of every deployment
// and removes the image at its end, before the leftover check.
func TestImageBuiltOncePerRunAndReleased(t *testing.T) {
	c := newCachingFake(deployers.Container)
	cfg := baseConfig(map[deployers.Variant]deployers.Deployer{deployers.Container: c})
	cfg.Runs = 3
	run, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	vr := run.Variants[0]
	if c.builds != 1 {
		t.Errorf("%d builds for %d deployments, want 1", c.builds, cfg.Runs)
	}
	ps := vr.Startup.Preparations
	if len(ps) != 2 || ps[0].What != "image build" || ps[0].Stats.N != 1 || ps[1].What != "image reused" || ps[1].Stats.N != 2 {
		t.Errorf("preparations = %+v, want one build then two reuses", ps)
	}
	if len(ps) > 0 && (ps[0].Stats.Median < buildTime || vr.Startup.Samples[0].From != "built") {
		t.Errorf("the build (%v) must be preparation before the origin %q", ps[0].Stats.Median, vr.Startup.Samples[0].From)
	}
	// Startup counts from the origin: the build is not in it.
	if vr.Startup.Total.Max >= buildTime {
		t.Errorf("startup %+v holds the build", vr.Startup.Total)
	}
	if len(vr.Teardown.Leftovers) != 0 || vr.Teardown.Error != "" {
		t.Errorf("teardown = %+v: the kept image must be released before the leftover check", vr.Teardown)
	}
	assertNothingLeft(t, map[deployers.Variant]deployers.Deployer{deployers.Container: c})
}

// A run that fails after the image was built still removes it.
func TestKeptImageReleasedOnFailure(t *testing.T) {
	c := newCachingFake(deployers.Container)
	c.failAt = "ready"
	cfg := baseConfig(map[deployers.Variant]deployers.Deployer{deployers.Container: c})
	if _, err := Run(context.Background(), cfg); err == nil {
		t.Fatal("the injected failure was not reported")
	}
	if c.builds != 1 {
		t.Errorf("builds = %d, want 1", c.builds)
	}
	assertNothingLeft(t, map[deployers.Variant]deployers.Deployer{deployers.Container: c})
}

// pool makes a fake serve like a function platform: a request that finds
// no free environment starts one; environments idle for keep are retired.
type pool struct {
	next http.Handler
	keep time.Duration
	work time.Duration // each request holds its environment this long

	mu   sync.Mutex
	envs []*poolEnv
}

type poolEnv struct {
	inst deployers.Instance
	busy bool
	last time.Time
}

func (p *pool) Unwrap() http.Handler { return p.next }

func (p *pool) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.retireLocked()
	var e *poolEnv
	for _, x := range p.envs {
		if !x.busy && x.inst.Retired.IsZero() {
			e = x
			break
		}
	}
	if e == nil {
		e = &poolEnv{inst: deployers.Instance{ID: fmt.Sprintf("env-%d", len(p.envs)+1), Started: time.Now()}}
		p.envs = append(p.envs, e)
	}
	e.busy = true
	p.mu.Unlock()
	time.Sleep(p.work)
	p.next.ServeHTTP(w, r)
	p.mu.Lock()
	e.busy = false
	e.inst.Requests++
	e.last = time.Now()
	p.mu.Unlock()
}

func (p *pool) retireLocked() {
	for _, e := range p.envs {
		if !e.busy && e.inst.Retired.IsZero() && !e.last.IsZero() && time.Since(e.last) > p.keep {
			e.inst.Retired = time.Now()
		}
	}
}

func (p *pool) instances() []deployers.Instance {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.retireLocked()
	out := make([]deployers.Instance, 0, len(p.envs))
	for _, e := range p.envs {
		out = append(out, e.inst)
	}
	return out
}

// listerFake is a function backend that lists its environments.
type listerFake struct {
	coldFake
	p *pool
}

func (l listerFake) Instances(context.Context, *deployers.Deployment) ([]deployers.Instance, error) {
	return l.p.instances(), nil
}

func (l listerFake) KeepAlive() time.Duration { return l.p.keep }

var _ InstanceLister = listerFake{}

func newListerFake(keep time.Duration) listerFake {
	f := newFake(deployers.Lambda)
	p := &pool{keep: keep, work: 5 * time.Millisecond}
	f.handler = func(h http.Handler) http.Handler { p.next = h; return p }
	return listerFake{coldFake: coldFake{f}, p: p}
}

func TestBurstAndScaleToZero(t *testing.T) {
	fn := newListerFake(150 * time.Millisecond)
	fakes := map[deployers.Variant]deployers.Deployer{
		deployers.VM:        newFake(deployers.VM),
		deployers.Container: newFake(deployers.Container),
		deployers.Lambda:    fn,
	}
	cfg := baseConfig(fakes)
	cfg.Runs = 1
	cfg.BurstClients, cfg.BurstDuration = 4, 300*time.Millisecond
	run, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, vr := range run.Variants {
		sc := vr.Scaling
		if sc == nil || sc.Burst == nil || sc.ScaleToZero == nil {
			t.Fatalf("%s: scaling = %+v, want a burst and a scale to zero", vr.Variant, sc)
		}
		b, z := sc.Burst, sc.ScaleToZero
		t.Logf("%s: burst %+v; scale to zero %+v", vr.Variant, b, z)
		if b.Clients != 4 || b.Requests < 8 || b.Errors != 0 || b.Throughput <= 0 || b.Latency.P50 <= 0 ||
			b.FirstResponse <= 0 || b.AllServed < b.FirstResponse || b.Duration < cfg.BurstDuration {
			t.Errorf("%s: burst %+v", vr.Variant, b)
		}
		if !b.InstancesMeasured {
			t.Errorf("%s: instances not measured: %s", vr.Variant, b.InstancesHow)
		}
		switch vr.Variant {
		case deployers.Lambda:
			// Four clients at once on a platform that runs one request
			// per environment: it scaled out, and back to zero.
			if b.Instances < 2 || b.Instances > 4 || b.Started < 1 {
				t.Errorf("function burst served by %d instances (%d started), want 2-4 with some started", b.Instances, b.Started)
			}
			if z.Running != 0 || z.KeepAlive != fn.p.keep || z.ZeroAfter < fn.p.keep || z.ZeroAfter > fn.p.keep+2*time.Second {
				t.Errorf("function after the keep-alive: %+v, want 0 running a little after %s", z, fn.p.keep)
			}
		default:
			if b.Instances != 1 || b.Started != 0 {
				t.Errorf("%s burst served by %d instances (%d started), want 1", vr.Variant, b.Instances, b.Started)
			}
			if z.Running != 1 || z.KeepAlive != 0 {
				t.Errorf("%s after the burst: %+v, want 1 running, no keep-alive", vr.Variant, z)
			}
		}
	}
	assertNothingLeft(t, fakes)
}

// A keep-alive longer than the run may wait is reported, not waited for.
func TestScaleToZeroBounded(t *testing.T) {
	fn := newListerFake(time.Hour)
	cfg := baseConfig(map[deployers.Variant]deployers.Deployer{deployers.Lambda: fn})
	cfg.Runs, cfg.Duration = 1, 0
	cfg.BurstClients, cfg.BurstDuration = 2, 50*time.Millisecond
	start := time.Now()
	run, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	z := run.Variants[0].Scaling.ScaleToZero
	if z.NotMeasured == "" || time.Since(start) > 30*time.Second {
		t.Errorf("scale to zero = %+v after %v, want not measured at once", z, time.Since(start))
	}
}

func TestServedBy(t *testing.T) {
	t0 := time.Now()
	before := []deployers.Instance{{ID: "a", Requests: 5, Started: t0.Add(-time.Second)}, {ID: "b", Requests: 2, Started: t0.Add(-time.Second)}}
	after := []deployers.Instance{
		{ID: "a", Requests: 9, Started: t0.Add(-time.Second)}, // served
		{ID: "b", Requests: 2, Started: t0.Add(-time.Second)}, // idle
		{ID: "c", Requests: 3, Started: t0.Add(time.Millisecond)},
		{ID: "d", Requests: 0, Started: t0.Add(time.Millisecond)}, // started, never served
	}
	served, started := servedBy(before, after, t0)
	if served != 2 || started != 2 {
		t.Errorf("served %d, started %d; want 2 and 2", served, started)
	}
}

func TestBurstConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no clients", func(c *Config) { c.BurstDuration, c.BurstClients = time.Second, 0 }, "burst clients 0"},
		{"too many clients", func(c *Config) { c.BurstDuration, c.BurstClients = time.Second, MaxBurstClients+1 }, "burst clients"},
		{"negative", func(c *Config) { c.BurstDuration = -time.Second }, "negative"},
		{"too long", func(c *Config) { c.BurstDuration, c.BurstClients = 2*time.Minute, 1 }, "at most a minute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := baseConfig(map[deployers.Variant]deployers.Deployer{deployers.VM: newFake(deployers.VM)})
			tc.mod(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
}
