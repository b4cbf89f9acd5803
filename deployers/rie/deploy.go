package rie

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/internal/runcache"
)

// LabelDeployment tells one deployment's resources from another's of the
// same run (its value is Deployment.ID).
const LabelDeployment = "computeladder.deployment"

// config is a validated Spec with the defaults applied.
type config struct {
	spec         deployers.Spec
	arch         string
	memoryMB     int
	cpus         float64
	timeout      time.Duration
	readyTimeout time.Duration
}

// resolve validates spec and applies the defaults; it creates nothing.
func resolve(spec deployers.Spec) (config, error) {
	if err := spec.Validate(); err != nil {
		return config{}, err
	}
	c := config{spec: spec, arch: spec.Artifacts.Arch, memoryMB: spec.MemoryMB, timeout: spec.Timeout, readyTimeout: spec.ReadyTimeout}
	if c.arch == "" {
		c.arch = runtime.GOARCH
	}
	if c.arch != "amd64" && c.arch != "arm64" {
		return config{}, fmt.Errorf("spec: arch %q: Lambda runs amd64 or arm64", c.arch)
	}
	if spec.Artifacts.Bootstrap == "" {
		return config{}, errors.New("spec: the artifacts have no Lambda bootstrap: build them first (make build)")
	}
	if err := checkExecutable(spec.Artifacts.Bootstrap); err != nil {
		return config{}, fmt.Errorf("spec: bootstrap: %w (build the artifacts first: make build)", err)
	}
	if c.memoryMB == 0 {
		c.memoryMB = DefaultMemoryMB
	}
	if c.memoryMB < DefaultMemoryMB || c.memoryMB > MaxMemoryMB {
		return config{}, fmt.Errorf("spec: memory %d MB: Lambda allows %d-%d MB", c.memoryMB, DefaultMemoryMB, MaxMemoryMB)
	}
	c.cpus = max(float64(c.memoryMB)/MBPerVCPU, MinCPUs)
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.timeout < time.Second || c.timeout > MaxTimeout || c.timeout%time.Second != 0 {
		return config{}, fmt.Errorf("spec: timeout %s: Lambda timeouts are whole seconds from 1s to %s", c.timeout, MaxTimeout)
	}
	if c.readyTimeout == 0 {
		c.readyTimeout = DefaultReadyTimeout
	}
	for k, v := range spec.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			return config{}, fmt.Errorf("spec: environment variable %q: names must be non-empty without '=' and values without NUL", k)
		}
	}
	return c, nil
}

// Deploy builds the function image, starts the gateway and waits for GET
// /healthz through it: that request starts the first environment (a cold
// start). On error, what was created is removed before Deploy returns;
// the deployment is returned too, and Teardown on it is a no-op.
func (dp *Deployer) Deploy(ctx context.Context, spec deployers.Spec) (*deployers.Deployment, error) {
	start := time.Now()
	c, err := resolve(spec)
	if err != nil {
		return nil, err
	}
	if spec.CPUs != 0 {
		dp.opts.log.Info("ignoring spec CPUs: a function's CPU share follows its memory size", "cpus", spec.CPUs)
	}
	suffix := deployers.RandomHex(3)
	d := &deployers.Deployment{
		RunID:    spec.RunID,
		Variant:  deployers.Lambda,
		Backend:  BackendName,
		ID:       ImageRepo + ":" + spec.RunID + "-" + suffix,
		MemoryMB: c.memoryMB,
		Details: map[string]string{
			DetailCPUs:           formatCPUs(c.cpus),
			DetailTimeout:        c.timeout.String(),
			DetailMaxConcurrency: strconv.Itoa(dp.opts.maxConcurrency),
			DetailKeepAlive:      dp.opts.keepAlive.String(),
		},
	}
	d.Phases.Mark(PhaseDeploy, start)
	if err := dp.deploy(ctx, c, d); err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if terr := dp.Teardown(cctx, d); terr != nil {
			err = errors.Join(err, fmt.Errorf("clean up: %w", terr))
		}
		return d, err
	}
	return d, nil
}

func (dp *Deployer) deploy(ctx context.Context, c config, d *deployers.Deployment) error {
	rieBin, version, err := dp.rieBinary(ctx, c.arch)
	if err != nil {
		return err
	}
	d.Details[DetailRIEVersion] = version
	rootfs, err := rootFS(rieBin, c.spec.Artifacts.Bootstrap)
	if err != nil {
		return err
	}
	digest := runcache.Digest(rootfs, []byte(strings.Join(imageChanges, "\n")))
	ref := d.ID
	if dp.images.Kept(d.RunID) {
		// One tag per image input and deployer: the run's deployments on
		// this deployer share it, and its Release removes it.
		ref = ImageRepo + ":" + d.RunID + "-" + digest[:12] + "-" + dp.tag
	} else {
		// Recorded before the import, which runs to its end even after
		// Ctrl-C, so that the teardown that follows removes the image.
		d.Resources = append(d.Resources, deployers.Resource{Kind: "image", ID: d.ID, RunID: d.RunID, Variant: deployers.Lambda})
	}
	d.Details[DetailImage] = ref
	imageID, reused, err := dp.images.Get(ctx, d.RunID, digest, ref, func(ctx context.Context, ref string) (id string, err error) {
		err = deployers.Detached(ctx, func(bctx context.Context) (err error) {
			id, err = dp.importImage(bctx, rootfs, ref, labels(d.RunID, ref))
			return err
		})
		return id, err
	})
	if err != nil {
		return err
	}
	d.Phases.Mark(PhaseImageBuilt, time.Now())
	d.Preparation = PreparationBuild
	if reused {
		d.Preparation = PreparationReused
	}
	dp.opts.log.Debug("image ready", "image", ref, "id", imageID, "reused", reused)

	g, err := dp.startGateway(envSpec{
		runID: d.RunID, deployment: d.ID, image: imageID, memoryMB: c.memoryMB, cpus: c.cpus,
		initCPUs: dp.initCPUs(c.cpus), env: functionEnv(c, d.RunID), poll: dp.opts.pollInterval,
	}, c.timeout)
	if err != nil {
		return err
	}
	d.State = g
	d.URL = "http://" + g.addr
	d.Resources = append(d.Resources, deployers.Resource{Kind: "gateway", ID: g.addr, RunID: d.RunID, Variant: deployers.Lambda})
	// The first invoke of a new environment goes out next: the probe.
	d.Phases.Mark(PhaseGatewayListening, time.Now())
	d.StartupFrom = StartupOrigin

	readyCtx, cancel := context.WithTimeout(ctx, c.readyTimeout)
	defer cancel()
	// One probe at a time: each is an invocation, and concurrent ones
	// would start more than the one environment a first request starts.
	at, err := deployers.Probe{Interval: dp.opts.pollInterval, Alive: g.alive}.Wait(readyCtx, d.URL+"/healthz")
	if err != nil {
		if g.alive() == nil {
			return fmt.Errorf("deploy %s: %w (a slow init? raise the ready timeout)", d.ID, err)
		}
		return fmt.Errorf("deploy %s: %w", d.ID, err)
	}
	g.mu.Lock()
	envStarted := g.firstStart
	g.mu.Unlock()
	if !envStarted.IsZero() {
		d.Phases.Mark(PhaseEnvStarted, envStarted)
	}
	d.Phases.Mark(PhaseFirst200, at)

	if envs, err := dp.Environments(ctx, d); err == nil && len(envs) > 0 {
		d.Details[DetailInitDuration] = envs[0].InitDuration.String()
		d.Details[DetailFirstInvoke] = envs[0].FirstInvoke.String()
	}
	return nil
}

// functionEnv is the environment of every execution environment: the
// spec's variables and the ones Lambda sets, which the emulator reads
// (timeout, memory size) and passes on to the function.
func functionEnv(c config, runID string) []string {
	env := make([]string, 0, len(c.spec.Env)+4)
	for k, v := range c.spec.Env {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return append(env,
		"AWS_LAMBDA_FUNCTION_NAME=computeladder-"+runID,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(c.memoryMB),
		"AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(int(math.Ceil(c.timeout.Seconds()))),
	)
}

// Teardown stops the gateway and removes the deployment's environments
// and image. It accepts nil, can run twice, and treats what is already
// gone as removed.
func (dp *Deployer) Teardown(ctx context.Context, d *deployers.Deployment) error {
	if d == nil {
		return nil
	}
	var errs []error
	if g, ok := d.State.(*gateway); ok {
		errs = append(errs, g.close(ctx))
	}
	if d.ID == "" {
		return errors.Join(errs...)
	}
	// By label as well: the engine, not memory, says what exists.
	f := client.Filters{}
	f.Add("label", LabelDeployment+"="+d.ID)
	cs, err := dp.api.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		errs = append(errs, fmt.Errorf("list containers: %w", err))
	}
	for _, c := range cs.Items {
		errs = append(errs, dp.removeContainer(ctx, c.ID))
	}
	errs = append(errs, dp.removeImage(ctx, d.ID))
	return errors.Join(errs...)
}

// removeImage removes an image and its untagged parents; one already gone
// is removed.
func (dp *Deployer) removeImage(ctx context.Context, ref string) error {
	_, err := dp.api.ImageRemove(ctx, ref, client.ImageRemoveOptions{Force: true, PruneChildren: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove image %s: %w", ref, err)
	}
	return nil
}

// ForceColdStart retires every idle environment of d (and every busy one
// when its request ends): the next request starts a new one.
func (dp *Deployer) ForceColdStart(ctx context.Context, d *deployers.Deployment) error {
	g, err := gatewayOf(d)
	if err != nil {
		return fmt.Errorf("force cold start: %w", err)
	}
	return g.forceCold(ctx)
}

// Environments returns every execution environment d has had, in start
// order, with the init figures from the emulator's log (read now for the
// live ones).
func (dp *Deployer) Environments(ctx context.Context, d *deployers.Deployment) ([]Environment, error) {
	g, err := gatewayOf(d)
	if err != nil {
		return nil, fmt.Errorf("environments: %w", err)
	}
	g.mu.Lock()
	var live []*env
	var served []bool
	for _, e := range g.envs {
		if e.retired.IsZero() {
			live = append(live, e)
			served = append(served, e.requests > 0)
		}
	}
	g.mu.Unlock()
	var errs []error
	for i, e := range live {
		var facts LogFacts
		// The engine copies the emulator's output to the log a little
		// after the emulator answered: wait briefly for the INIT REPORT
		// of an environment that has served. The logs are read at least
		// once, also when the wait is over.
		err := deployers.Poll(ctx, 10*time.Millisecond, logLag, func(context.Context) (bool, error) {
			var err error
			_, facts, err = dp.collectLogs(ctx, e.id)
			return !served[i] || len(facts.InitReports) > 0, err
		})
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = nil // no INIT REPORT yet: the facts are what the log holds
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("environment %s: %w", e.name, err))
			continue
		}
		g.mu.Lock()
		if e.retired.IsZero() {
			e.facts = &facts
		}
		g.mu.Unlock()
	}
	return g.snapshot(), errors.Join(errs...)
}

// logLag bounds the wait for an answered request's lines in the log.
const logLag = time.Second

func gatewayOf(d *deployers.Deployment) (*gateway, error) {
	if d == nil {
		return nil, errors.New("no deployment")
	}
	g, ok := d.State.(*gateway)
	if !ok {
		return nil, fmt.Errorf("deployment %q was not made by the rie deployer in this process", d.ID)
	}
	return g, nil
}

// List returns the containers and images of runID (every run's when
// empty), found by label on the engine.
func (dp *Deployer) List(ctx context.Context, runID string) ([]deployers.Resource, error) {
	if runID != "" {
		if err := deployers.ValidateRunID(runID); err != nil {
			return nil, err
		}
	}
	f := labelFilters(runID)
	cs, err := dp.api.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w (is the Docker engine running?)", err)
	}
	var out []deployers.Resource
	for _, c := range cs.Items {
		out = append(out, deployers.Resource{Kind: "container", ID: c.ID, RunID: c.Labels[deployers.LabelRunID], Variant: deployers.Lambda, Owner: c.Labels[deployers.LabelOwner]})
	}
	is, err := dp.api.ImageList(ctx, client.ImageListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	for _, im := range is.Items {
		out = append(out, deployers.Resource{Kind: "image", ID: im.ID, RunID: im.Labels[deployers.LabelRunID], Variant: deployers.Lambda, Owner: im.Labels[deployers.LabelOwner]})
	}
	return out, nil
}

// Sweep removes the containers, then the images, of runID (every run's
// when empty) and returns what it removed.
func (dp *Deployer) Sweep(ctx context.Context, runID string) ([]deployers.Resource, error) {
	found, err := dp.List(ctx, runID)
	if err != nil {
		return nil, err
	}
	var removed []deployers.Resource
	var errs []error
	// Containers first: an image in use cannot go.
	for _, kind := range []string{"container", "image"} {
		for _, r := range found {
			if r.Kind != kind {
				continue
			}
			var err error
			if kind == "container" {
				err = dp.removeContainer(ctx, r.ID)
			} else {
				err = dp.removeImage(ctx, r.ID)
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			removed = append(removed, r)
		}
	}
	return removed, errors.Join(errs...)
}
