package docker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/internal/engine"
	"github.com/computeladder/computeladder/deployers/internal/runcache"
)

// Resource kinds this backend creates, in the order Teardown removes them.
const (
	KindContainer = "container"
	KindImage     = "image"
)

// minMemoryMB is the smallest memory limit the engine accepts.
const minMemoryMB = 6

var appPort = network.MustParsePort(strconv.Itoa(AppPort) + "/tcp")

// Deploy builds the image, runs it and waits for GET /healthz to answer 200.
// Bad input is rejected before anything is created. On any later failure
// Deploy removes what it created and returns the partial deployment with the
// error, so that a caller's Teardown is a harmless no-op.
func (d *Deployer) Deploy(ctx context.Context, spec deployers.Spec) (*deployers.Deployment, error) {
	t0 := time.Now()
	if err := validate(spec); err != nil {
		return nil, fmt.Errorf("docker deploy: %w", err)
	}
	suffix := deployers.RandomHex(4)
	dep := &deployers.Deployment{
		RunID:   spec.RunID,
		Variant: deployers.Container,
		Backend: d.Info().Name,
		Details: map[string]string{},
	}
	dep.Phases.Mark(PhaseDeploy, t0)

	if err := d.deploy(ctx, spec, dep, suffix); err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if terr := d.Teardown(cctx, dep); terr != nil {
			err = errors.Join(err, fmt.Errorf("clean up after failed deploy: %w: run sweep for run %s", terr, spec.RunID))
		}
		return dep, fmt.Errorf("docker deploy %s: %w", spec.RunID, err)
	}
	return dep, nil
}

func (d *Deployer) deploy(ctx context.Context, spec deployers.Spec, dep *deployers.Deployment, suffix string) error {
	labels := engine.Labels(spec.RunID, deployers.Container)
	tarball, err := engine.TarDir(spec.Artifacts.ContainerContext)
	if err != nil {
		return err
	}
	digest := runcache.Digest(tarball)
	kept := d.images.Kept(spec.RunID)
	tag := ImageRepo + ":" + spec.RunID + "-" + suffix
	if kept {
		// One tag per build input and deployer: every deployment of the
		// run on this deployer that reuses the image names it the same
		// way, and its Release removes it.
		tag = ImageRepo + ":" + spec.RunID + "-" + digest[:12] + "-" + d.tag
	} else {
		// Recorded before the build: should ctx end while the engine
		// finishes the build, Teardown still removes the tag. Removing by
		// tag rather than id leaves alone another deployment whose
		// identical build (same run, same context) produced the same
		// image id.
		dep.Resources = append(dep.Resources, deployers.Resource{Kind: KindImage, ID: tag, RunID: spec.RunID, Variant: deployers.Container})
	}
	dep.Details[DetailImage] = tag
	d.log.DebugContext(ctx, "building image", "tag", tag, "context", spec.Artifacts.ContainerContext, "kept", kept)
	imageID, reused, err := d.images.Get(ctx, spec.RunID, digest, tag, func(ctx context.Context, ref string) (id string, err error) {
		err = deployers.Detached(ctx, func(bctx context.Context) (err error) {
			id, err = engine.BuildImageTar(bctx, d.api, tarball, ref, labels)
			return err
		})
		return id, err
	})
	if err != nil {
		return fmt.Errorf("%w (context %s)", err, spec.Artifacts.ContainerContext)
	}
	built := time.Now()
	dep.Phases.Mark(PhaseBuilt, built)
	dep.StartupFrom = StartupOrigin
	dep.Preparation = PreparationBuild
	if reused {
		dep.Preparation = PreparationReused
	}
	dep.Details[DetailImageID] = imageID
	dep.Details[DetailBuild] = built.Sub(dep.Phases[0].At).Round(time.Millisecond).String()
	d.log.InfoContext(ctx, "image ready", "tag", tag, "id", imageID, "took", dep.Details[DetailBuild], "reused", reused)

	return d.run(ctx, spec, dep, tag, "computeladder-container-"+spec.RunID+"-"+suffix)
}

// run creates and starts the container from image and waits until it is
// ready; it is the part of Deploy that `docker run` compares with.
func (d *Deployer) run(ctx context.Context, spec deployers.Spec, dep *deployers.Deployment, image, name string) error {
	memMB := cmp.Or(spec.MemoryMB, DefaultMemoryMB)
	cpus := cmp.Or(spec.CPUs, DefaultCPUs)
	cfg, host := d.containerConfig(spec, image, memMB, cpus)
	dep.Details[DetailContainer] = name
	dep.MemoryMB = memMB
	dep.Details[DetailCPUs] = strconv.FormatFloat(cpus, 'g', -1, 64)
	dep.Details[DetailUser] = User
	dep.Details[DetailReadOnly] = "true"
	dep.Details[DetailNoNewPriv] = "true"

	// Recorded by name before the create request, for the same reason as the
	// image tag: a create that completes after ctx ended is still removed.
	dep.Resources = append(dep.Resources, deployers.Resource{Kind: KindContainer, ID: name, RunID: spec.RunID, Variant: deployers.Container})
	created, err := d.api.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name, Config: cfg, HostConfig: host})
	if err != nil {
		return fmt.Errorf("create container: %w", err)
	}
	dep.Phases.Mark(PhaseCreated, time.Now())
	dep.ID = created.ID
	dep.Resources[len(dep.Resources)-1].ID = created.ID
	for _, w := range created.Warnings {
		d.log.WarnContext(ctx, "container create", "warning", w)
	}

	// Registered before the start so that an exit right after it is not
	// missed: a non-blocking look at this channel on every poll lets a dead
	// app fail the wait at once, without an API call per poll.
	wctx, cancelWait := context.WithCancel(ctx)
	defer cancelWait()
	watch := &exitWatch{api: d.api, id: created.ID, wait: d.api.ContainerWait(wctx, created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})}

	if _, err := d.api.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("start container: %w%s", err, d.startHint(err))
	}
	dep.Phases.Mark(PhaseStarted, time.Now())

	port := d.hostPort
	if port == 0 {
		if port, err = d.publishedPort(ctx, created.ID); err != nil {
			// An app that exits at once takes its published port with it:
			// say that it exited, with its logs, not that a port is missing.
			if exitErr := watch.exitedWithin(ctx, time.Second); exitErr != nil {
				return fmt.Errorf("%w%s", exitErr, d.lastLogs(ctx, created.ID))
			}
			return err
		}
	}
	dep.Details[DetailHostPort] = strconv.Itoa(port)
	dep.URL = "http://127.0.0.1:" + strconv.Itoa(port)

	readyTimeout := cmp.Or(spec.ReadyTimeout, DefaultReadyTimeout)
	rctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	at, err := deployers.WaitReady(rctx, dep.URL+"/healthz", d.pollInterval, func() error { return watch.check(rctx) })
	if err != nil {
		if !errors.Is(err, ErrExited) && rctx.Err() != nil && ctx.Err() == nil {
			err = fmt.Errorf("%w: no 200 within the ready timeout %s: does the app listen on port %d (PORT)?", err, readyTimeout, AppPort)
		}
		return fmt.Errorf("wait for %s/healthz: %w%s", dep.URL, err, d.lastLogs(ctx, created.ID))
	}
	dep.Phases.Mark(PhaseFirst200, at)
	if b, ok := phaseAt(dep.Phases, PhaseBuilt); ok {
		dep.Details[DetailStartup] = at.Sub(b).Round(time.Millisecond).String()
	}
	d.log.InfoContext(ctx, "container ready", "url", dep.URL, "timeline", dep.Phases.String())
	return nil
}

func (d *Deployer) containerConfig(spec deployers.Spec, image string, memMB int, cpus float64) (*container.Config, *container.HostConfig) {
	env := make([]string, 0, len(spec.Env)+1)
	if _, ok := spec.Env["PORT"]; !ok {
		env = append(env, "PORT="+strconv.Itoa(AppPort))
	}
	for k, v := range spec.Env {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	hostPort := ""
	if d.hostPort != 0 {
		hostPort = strconv.Itoa(d.hostPort)
	}
	cfg := &container.Config{
		Image:        image,
		Env:          env,
		Labels:       engine.Labels(spec.RunID, deployers.Container),
		User:         User,
		ExposedPorts: network.PortSet{appPort: {}},
	}
	host := &container.HostConfig{
		PortBindings: network.PortMap{appPort: {{HostIP: netip.AddrFrom4([4]byte{127, 0, 0, 1}), HostPort: hostPort}}},
		Resources: container.Resources{
			Memory:     int64(memMB) << 20,
			MemorySwap: int64(memMB) << 20, // no swap: the limit is the memory the app gets
			NanoCPUs:   int64(cpus * 1e9),
		},
		ReadonlyRootfs: true,
		SecurityOpt:    []string{"no-new-privileges"},
		CapDrop:        []string{"ALL"},
	}
	return cfg, host
}

// publishedPort returns the host port the engine bound to the app port; it
// is chosen at start, so it is only known after it.
func (d *Deployer) publishedPort(ctx context.Context, id string) (int, error) {
	res, err := d.api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return 0, fmt.Errorf("inspect container: %w", err)
	}
	if ns := res.Container.NetworkSettings; ns != nil {
		for _, b := range ns.Ports[appPort] {
			if p, err := strconv.Atoi(b.HostPort); err == nil && p > 0 {
				return p, nil
			}
		}
	}
	return 0, fmt.Errorf("inspect container: no host port published for %s", appPort)
}

func (d *Deployer) startHint(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "port is already allocated") || strings.Contains(msg, "address already in use") {
		if d.hostPort != 0 {
			return fmt.Sprintf(": host port %d is taken: free it or choose another port", d.hostPort)
		}
		return ": the host port is taken: retry"
	}
	return ""
}

func validate(spec deployers.Spec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	if spec.Artifacts.ContainerContext == "" {
		return errors.New("spec: no container build context: build the artifacts first (make build)")
	}
	if _, err := os.Stat(filepath.Join(spec.Artifacts.ContainerContext, "Dockerfile")); err != nil {
		return fmt.Errorf("spec: no Dockerfile in the container build context: %w: build the artifacts first (make build)", err)
	}
	if spec.MemoryMB != 0 && spec.MemoryMB < minMemoryMB {
		return fmt.Errorf("spec: memory %d MB: Docker needs at least %d MB", spec.MemoryMB, minMemoryMB)
	}
	for k := range spec.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("spec: environment variable name %q: must be non-empty without '='", k)
		}
	}
	return nil
}

func phaseAt(t deployers.Timeline, name string) (time.Time, bool) {
	for _, p := range t {
		if p.Name == name {
			return p.At, true
		}
	}
	return time.Time{}, false
}
