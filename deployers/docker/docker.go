// Package docker deploys the container variant of the app to the local Docker
// engine: it builds the FROM-scratch image from the artifact build context,
// runs it locked down (non-root, read-only root file system, no capabilities,
// no new privileges, memory and CPU limits) with port 8080 published on
// 127.0.0.1, and waits for the first HTTP 200 from /healthz.
//
// Every container and image carries the run id and variant labels; Teardown
// removes what one deployment created, and List and Sweep find resources by
// label on the engine, never from memory. After Keep(runID) the run's
// deployments share one image, built on the first (by the build context's
// digest) and removed by Release.
//
// The startup timeline separates the image build from the container start:
// "deploy" (request) → "built" (image ready; the create request is sent:
// startup is measured from here, StartupOrigin) → "created" → "started" →
// "first-200". The figure comparable with a bare `docker run` is built →
// first-200; Details carries it as DetailStartup.
package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/internal/engine"
	"github.com/computeladder/computeladder/deployers/internal/runcache"
)

// Phase names of the startup timeline, in order.
const (
	PhaseDeploy   = "deploy"    // Deploy was called
	PhaseBuilt    = "built"     // the image is built; the container create request is sent
	PhaseCreated  = "created"   // the engine created the container
	PhaseStarted  = "started"   // the engine started it
	PhaseFirst200 = "first-200" // GET /healthz answered 200
)

// StartupOrigin is the phase this backend's startup is measured from
// (deployers.Deployment.StartupFrom): the image is ready and the container
// create request — `docker create` — goes out next.
const StartupOrigin = PhaseBuilt

// What the phases before StartupOrigin did (deployers.Deployment.Preparation).
const (
	PreparationBuild  = "image build"
	PreparationReused = "image reused (built once per run)"
)

// Keys of Deployment.Details.
const (
	DetailImage     = "image"       // image tag
	DetailImageID   = "image_id"    // image id
	DetailContainer = "container"   // container name
	DetailHostPort  = "host_port"   // host port published for 8080/tcp
	DetailBuild     = "build"       // image build duration
	DetailStartup   = "startup"     // container create request → first 200, comparable with `docker run`
	DetailCPUs      = "cpus"        // CPU limit
	DetailUser      = "user"        // uid:gid the app runs as
	DetailReadOnly  = "read_only"   // read-only root file system
	DetailNoNewPriv = "no_new_priv" // no-new-privileges security option
)

// Defaults applied when the Spec leaves a field zero.
const (
	DefaultMemoryMB     = 256
	DefaultCPUs         = 1.0
	DefaultReadyTimeout = 30 * time.Second
	// DefaultStopTimeout is how long Teardown lets the app stop on SIGTERM
	// before the engine kills it.
	DefaultStopTimeout = time.Second
	// AppPort is the port the app listens on inside the container.
	AppPort = 8080
	// User is the unprivileged uid:gid (distroless "nonroot") the app runs as.
	User = "65532:65532"
	// ImageRepo is the repository of the images Deploy builds; the tag is
	// "<run-id>-<random>".
	ImageRepo = "computeladder-container"
)

// cleanupTimeout bounds the removal of a failed deployment, which runs even
// when the caller's context is already cancelled.
const cleanupTimeout = 30 * time.Second

// API is the part of the Docker client the deployer uses; *client.Client
// implements it.
type API interface {
	engine.ImageBuilder
	ImageRemove(ctx context.Context, image string, options client.ImageRemoveOptions) (client.ImageRemoveResult, error)
	ImageList(ctx context.Context, options client.ImageListOptions) (client.ImageListResult, error)
	ContainerCreate(ctx context.Context, options client.ContainerCreateOptions) (client.ContainerCreateResult, error)
	ContainerStart(ctx context.Context, container string, options client.ContainerStartOptions) (client.ContainerStartResult, error)
	ContainerWait(ctx context.Context, container string, options client.ContainerWaitOptions) client.ContainerWaitResult
	ContainerInspect(ctx context.Context, container string, options client.ContainerInspectOptions) (client.ContainerInspectResult, error)
	ContainerLogs(ctx context.Context, container string, options client.ContainerLogsOptions) (client.ContainerLogsResult, error)
	ContainerStop(ctx context.Context, container string, options client.ContainerStopOptions) (client.ContainerStopResult, error)
	ContainerRemove(ctx context.Context, container string, options client.ContainerRemoveOptions) (client.ContainerRemoveResult, error)
	ContainerList(ctx context.Context, options client.ContainerListOptions) (client.ContainerListResult, error)
}

// Deployer deploys the container variant to the local Docker engine.
type Deployer struct {
	api          API
	log          *slog.Logger
	pollInterval time.Duration
	hostPort     int
	stopTimeout  time.Duration
	ownsAPI      bool // New made the client, so Close closes it
	images       runcache.Cache
	// tag is this deployer's own part of its kept images' tags: two
	// deployers keeping one run build the same context, and a shared tag
	// would move to the second build and leave the first image untagged,
	// for no Release to remove.
	tag string
}

var (
	_ deployers.Deployer = (*Deployer)(nil)
	_ deployers.RunCache = (*Deployer)(nil)
)

// Option configures a Deployer.
type Option func(*Deployer) error

// WithClient uses api instead of a client configured from the environment.
func WithClient(api API) Option {
	return func(d *Deployer) error {
		if api == nil {
			return errors.New("docker: nil client")
		}
		d.api = api
		return nil
	}
}

// WithLogger logs each step to l (default: no logging).
func WithLogger(l *slog.Logger) Option {
	return func(d *Deployer) error {
		if l == nil {
			return errors.New("docker: nil logger")
		}
		d.log = l
		return nil
	}
}

// WithPollInterval sets how often readiness is polled (default
// deployers.DefaultPollInterval).
func WithPollInterval(iv time.Duration) Option {
	return func(d *Deployer) error {
		if iv <= 0 {
			return fmt.Errorf("docker: poll interval %s: must be positive", iv)
		}
		d.pollInterval = iv
		return nil
	}
}

// WithHostPort publishes the app on 127.0.0.1:port instead of a port the
// engine picks. Meant for tests; two deployments cannot share a port.
func WithHostPort(port int) Option {
	return func(d *Deployer) error {
		if port < 1 || port > 65535 {
			return fmt.Errorf("docker: host port %d: use 1-65535", port)
		}
		d.hostPort = port
		return nil
	}
}

// WithStopTimeout sets how long Teardown waits for the app to stop on
// SIGTERM before the engine kills it (default DefaultStopTimeout).
func WithStopTimeout(t time.Duration) Option {
	return func(d *Deployer) error {
		if t < 0 {
			return fmt.Errorf("docker: stop timeout %s: must not be negative", t)
		}
		d.stopTimeout = t
		return nil
	}
}

// New returns a Deployer. Without WithClient it connects to the engine named
// by the environment (DOCKER_HOST or the default socket); the connection is
// made lazily, on the first call.
func New(opts ...Option) (*Deployer, error) {
	d := &Deployer{
		log:          slog.New(slog.DiscardHandler),
		pollInterval: deployers.DefaultPollInterval,
		stopTimeout:  DefaultStopTimeout,
		tag:          deployers.RandomHex(3),
	}
	for _, o := range opts {
		if err := o(d); err != nil {
			return nil, err
		}
	}
	if d.api == nil {
		c, err := NewClient()
		if err != nil {
			return nil, err
		}
		d.api, d.ownsAPI = c, true
	}
	return d, nil
}

// Info describes the backend.
func (d *Deployer) Info() deployers.Info {
	return deployers.Info{
		Name:        "docker",
		Variant:     deployers.Container,
		Target:      "local",
		Description: "local Docker engine container (FROM scratch, non-root, read-only)",
	}
}

// Keep makes later deployments of runID reuse the image an earlier one
// built from the same build context (by its digest) until Release.
func (d *Deployer) Keep(runID string) { d.images.Keep(runID) }

// Release removes the images kept for runID.
func (d *Deployer) Release(ctx context.Context, runID string) error {
	refs, err := d.images.Release(ctx, runID)
	errs := []error{err}
	for _, ref := range refs {
		errs = append(errs, d.removeImage(ctx, ref, false))
	}
	return errors.Join(errs...)
}

// Close releases the client when New created it; a client passed with
// WithClient stays open.
func (d *Deployer) Close() error {
	if c, ok := d.api.(io.Closer); ok && d.ownsAPI {
		return c.Close()
	}
	return nil
}
