package docker

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/app/apptest"
	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
)

func TestDeployServesAppThenTeardownLeavesNothing(t *testing.T) {
	runID := deployertest.RunID(t, "docker")
	d := newTestDeployer(t, runID)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	dep, err := d.Deploy(ctx, deployers.Spec{RunID: runID, Artifacts: testArtifacts(t), MemoryMB: 128, CPUs: 0.5})
	t.Cleanup(func() { _ = d.Teardown(context.Background(), dep) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("timeline: %s; startup %s, build %s", dep.Phases, dep.Details[DetailStartup], dep.Details[DetailBuild])

	t.Run("timeline", func(t *testing.T) {
		var names []string
		for i, p := range dep.Phases {
			names = append(names, p.Name)
			if i > 0 && p.At.Before(dep.Phases[i-1].At) {
				t.Errorf("phase %s before %s", p.Name, dep.Phases[i-1].Name)
			}
		}
		want := []string{PhaseDeploy, PhaseBuilt, PhaseCreated, PhaseStarted, PhaseFirst200}
		if !slices.Equal(names, want) {
			t.Errorf("phases %v, want %v", names, want)
		}
		if dep.StartupFrom != StartupOrigin || dep.Preparation != PreparationBuild || dep.MemoryMB != 128 {
			t.Errorf("startup from %q after %q, memory %d MB; want from %q after %q, 128 MB", dep.StartupFrom, dep.Preparation, dep.MemoryMB, StartupOrigin, PreparationBuild)
		}
		if s, err := time.ParseDuration(dep.Details[DetailStartup]); err != nil || s <= 0 || s > dep.Phases.Total() {
			t.Errorf("startup detail %q (err %v), total %s", dep.Details[DetailStartup], err, dep.Phases.Total())
		}
	})

	t.Run("healthz", func(t *testing.T) {
		resp, err := http.Get(dep.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /healthz: %s", resp.Status)
		}
	})

	t.Run("behaviour", func(t *testing.T) {
		apptest.Run(t, "container", apptest.URLDoer(dep.URL, nil))
	})

	t.Run("locked down and labelled", func(t *testing.T) {
		res, err := d.api.ContainerInspect(ctx, dep.ID, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c, h := res.Container.Config, res.Container.HostConfig
		checks := []struct {
			name      string
			got, want any
		}{
			{"user", c.User, User},
			{"read-only rootfs", h.ReadonlyRootfs, true},
			{"cap drop", h.CapDrop, []string{"ALL"}},
			{"security opt", h.SecurityOpt, []string{"no-new-privileges"}},
			{"memory", h.Memory, int64(128 << 20)},
			{"memory+swap", h.MemorySwap, int64(128 << 20)},
			{"nano cpus", h.NanoCPUs, int64(5e8)},
			{"run id label", c.Labels[deployers.LabelRunID], runID},
			{"variant label", c.Labels[deployers.LabelVariant], "container"},
			{"bound ip", h.PortBindings[appPort][0].HostIP.String(), "127.0.0.1"},
			{"url port", dep.URL, "http://127.0.0.1:" + res.Container.NetworkSettings.Ports[appPort][0].HostPort},
		}
		for _, ck := range checks {
			if !equal(ck.got, ck.want) {
				t.Errorf("%s: got %v, want %v", ck.name, ck.got, ck.want)
			}
		}
	})

	t.Run("list", func(t *testing.T) {
		rs, err := d.List(ctx, runID)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, r := range rs {
			kinds[r.Kind]++
			if r.RunID != runID || r.Variant != deployers.Container {
				t.Errorf("listed %v", r)
			}
		}
		if kinds[KindContainer] != 1 || kinds[KindImage] != 1 {
			t.Errorf("list %s: %v, want one container and one image", runID, rs)
		}
	})

	start := time.Now()
	if err := d.Teardown(ctx, dep); err != nil {
		t.Fatalf("teardown: %v", err)
	}
	t.Logf("teardown took %s", time.Since(start).Round(time.Millisecond))
	if err := d.Teardown(ctx, dep); err != nil {
		t.Errorf("second teardown: %v", err)
	}
	if rs, err := d.List(ctx, runID); err != nil || len(rs) != 0 {
		t.Errorf("after teardown List = %v, %v; want nothing", rs, err)
	}
	requireNothingLeft(t, runID)
	for _, args := range [][]string{
		{"ps", "-a", "-q", "--filter", labelFilter(runID)},
		{"images", "-a", "-q", "--filter", labelFilter(runID)},
	} {
		if out := dockerCLI(t, args...); out != "" {
			t.Errorf("docker %v after teardown: %s", args, out)
		}
	}
}

func equal(a, b any) bool {
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok && bok {
		return slices.Equal(as, bs)
	}
	return a == b
}

// TestTeardownNil is part of the Deployer contract: the harness calls
// Teardown on whatever Deploy returned, which may be nil.
func TestTeardownNil(t *testing.T) {
	d, err := New(WithClient(&fakeAPI{t: t}))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Teardown(context.Background(), nil); err != nil {
		t.Fatalf("Teardown(nil) = %v", err)
	}
}

func TestTwoDeploymentsOfOneRunAreIndependent(t *testing.T) {
	runID := deployertest.RunID(t, "docker2")
	d := newTestDeployer(t, runID)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	spec := deployers.Spec{RunID: runID, Artifacts: testArtifacts(t)}
	a, err := d.Deploy(ctx, spec)
	t.Cleanup(func() { _ = d.Teardown(context.Background(), a) })
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.Deploy(ctx, spec)
	t.Cleanup(func() { _ = d.Teardown(context.Background(), b) })
	if err != nil {
		t.Fatal(err)
	}
	if a.URL == b.URL || a.ID == b.ID {
		t.Fatalf("deployments share URL or container: %s %s", a.URL, b.URL)
	}
	// Tearing down a must leave b serving, although both images were built
	// from the same context for the same run.
	if err := d.Teardown(ctx, a); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(b.URL + "/healthz")
	if err != nil {
		t.Fatalf("b after a's teardown: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("b after a's teardown: %s", resp.Status)
	}
	rs, err := d.List(ctx, runID)
	if err != nil || len(rs) != 2 {
		t.Fatalf("List after a's teardown = %v, %v; want b's container and image", rs, err)
	}
	if err := d.Teardown(ctx, b); err != nil {
		t.Fatal(err)
	}
	requireNothingLeft(t, runID)
}

// A kept run builds its image once: the next deployment reuses it, the
// deployments' teardowns leave it, and Release removes it.
func TestImageBuiltOncePerKeptRun(t *testing.T) {
	runID := deployertest.RunID(t, "docker-keep")
	d := newTestDeployer(t, runID)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d.Keep(runID)
	t.Cleanup(func() { _ = d.Release(context.Background(), runID) })
	spec := deployers.Spec{RunID: runID, Artifacts: testArtifacts(t)}

	var deps []*deployers.Deployment
	for i := range 2 {
		dep, err := d.Deploy(ctx, spec)
		t.Cleanup(func() { _ = d.Teardown(context.Background(), dep) })
		if err != nil {
			t.Fatalf("deploy %d: %v", i+1, err)
		}
		deps = append(deps, dep)
	}
	a, b := deps[0], deps[1]
	if a.Preparation != PreparationBuild || b.Preparation != PreparationReused {
		t.Errorf("preparations %q, %q; want a build, then a reuse", a.Preparation, b.Preparation)
	}
	if a.Details[DetailImageID] == "" || a.Details[DetailImageID] != b.Details[DetailImageID] || a.Details[DetailImage] != b.Details[DetailImage] {
		t.Errorf("images %s (%s) and %s (%s): want the same one", a.Details[DetailImage], a.Details[DetailImageID], b.Details[DetailImage], b.Details[DetailImageID])
	}
	prepA, _ := a.Phases.Since(StartupOrigin)
	prepB, _ := b.Phases.Since(StartupOrigin)
	t.Logf("preparation: build %v, reuse %v", prepA, prepB)
	if prepB >= prepA {
		t.Errorf("reuse took %v, the build %v", prepB, prepA)
	}
	for _, dep := range deps {
		if err := d.Teardown(ctx, dep); err != nil {
			t.Fatal(err)
		}
	}
	kept, err := d.List(ctx, runID)
	if err != nil || !slices.ContainsFunc(kept, func(r deployers.Resource) bool { return r.Kind == KindImage }) {
		t.Fatalf("after the deployments' teardown: %v (%v), want the kept image", kept, err)
	}
	if err := d.Release(ctx, runID); err != nil {
		t.Fatal(err)
	}
	left, err := d.List(ctx, runID)
	if err != nil || len(left) > 0 {
		t.Errorf("after Release: %v (%v), want nothing", left, err)
	}
}

// Two deployers keeping one run build the same context under tags of
// their own: each Release removes its image, and nothing is left.
func TestTwoDeployersKeepOneRun(t *testing.T) {
	runID := deployertest.RunID(t, "docker-two-keep")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	spec := deployers.Spec{RunID: runID, Artifacts: testArtifacts(t)}
	var tags []string
	var dps []*Deployer
	for i := range 2 {
		d := newTestDeployer(t, runID)
		d.Keep(runID)
		t.Cleanup(func() { _ = d.Release(context.Background(), runID) })
		dep, err := d.Deploy(ctx, spec)
		t.Cleanup(func() { _ = d.Teardown(context.Background(), dep) })
		if err != nil {
			t.Fatalf("deploy %d: %v", i+1, err)
		}
		tags = append(tags, dep.Details[DetailImage])
		if err := d.Teardown(ctx, dep); err != nil {
			t.Fatal(err)
		}
		dps = append(dps, d)
	}
	if tags[0] == tags[1] {
		t.Errorf("both deployers tagged %s: the second build takes the first one's tag", tags[0])
	}
	for _, d := range dps {
		if err := d.Release(ctx, runID); err != nil {
			t.Fatal(err)
		}
	}
	requireNothingLeft(t, runID)
}
