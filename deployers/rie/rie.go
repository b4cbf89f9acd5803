// Package rie deploys the function variant of the app locally, the way
// Lambda runs it: the bootstrap (the Lambda adapter) runs under the AWS
// Lambda Runtime Interface Emulator (RIE), one Docker container per
// execution environment, behind a local Function URL gateway.
//
// The gateway is an HTTP server on 127.0.0.1. It turns each plain request
// into a Function URL event (payload 2.0), hands it to an idle execution
// environment, and turns the function's response back into HTTP, so curl
// and the harness reach the function exactly like the VM and container
// variants. Like Lambda it
//
//   - runs one request at a time per environment and reuses a warm idle
//     environment; when none is idle it starts a new one (a cold start);
//   - throttles beyond the concurrency limit: 429 {"Message":"Rate
//     Exceeded."} at once, as Lambda answers a synchronous invoke over its
//     concurrency (no queueing);
//   - retires environments idle for longer than the keep-alive period;
//   - enforces the function timeout: RIE's own timer
//     (AWS_LAMBDA_FUNCTION_TIMEOUT, whole seconds) and the gateway's
//     deadline; a timed-out invocation answers 502 with a JSON error, as a
//     Function URL answers any function error (504 is API Gateway's answer
//     to its own 29 s integration limit, not a Function URL's), and the
//     environment is replaced;
//   - sizes each environment from the function's memory: the container's
//     memory limit is the memory size and its CPU share is memory/1769
//     vCPU (Lambda's one vCPU at 1,769 MB), never below MinCPUs — from the
//     end of its first invoke: init runs with at least InitCPUs, as
//     Lambda's does (WithInitBoost).
//
// Environments run locked down: uid 993 (Lambda's sandbox user), read-only
// root file system with a tmpfs /tmp, all capabilities dropped,
// no-new-privileges, RIE's port published on 127.0.0.1 only.
//
// Every image and container carries the run id, the variant and the backend
// as labels; Teardown, List and Sweep find them on the engine by label.
//
// Startup phases: "deploy" → "image-built" (imported once per kept run,
// then reused) → "gateway-listening" (the first invoke goes out next:
// startup is measured from here, StartupOrigin) → "env-started" (the first
// environment's container started) → "first-200".
package rie

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/internal/engine"
	"github.com/computeladder/computeladder/deployers/internal/runcache"
)

// Phase names of the startup timeline, in order.
const (
	PhaseDeploy           = "deploy"
	PhaseImageBuilt       = "image-built"
	PhaseGatewayListening = "gateway-listening"
	PhaseEnvStarted       = "env-started"
	PhaseFirst200         = "first-200"
)

// StartupOrigin is the phase this backend's startup is measured from
// (deployers.Deployment.StartupFrom): the gateway — the Function URL —
// listens, and the first invoke of a new execution environment goes out
// next.
const StartupOrigin = PhaseGatewayListening

// What the phases before StartupOrigin did (deployers.Deployment.Preparation).
const (
	PreparationBuild  = "image build"
	PreparationReused = "image reused (built once per run)"
)

// Keys of Deployment.Details.
const (
	DetailImage          = "image"           // image tag
	DetailRIEVersion     = "rie_version"     // emulator module version
	DetailCPUs           = "cpus"            // vCPU share of each environment
	DetailTimeout        = "timeout"         // function timeout
	DetailMaxConcurrency = "max_concurrency" // environments at most
	DetailKeepAlive      = "keep_alive"      // idle environments live this long
	DetailInitDuration   = "init_duration"   // first environment: RIE's INIT REPORT
	DetailFirstInvoke    = "first_invoke"    // first environment: latency of its first invoke
)

// Defaults applied when the Spec or the options leave a value zero.
const (
	// DefaultMemoryMB is Lambda's default (and minimum) memory size.
	DefaultMemoryMB = 128
	// MaxMemoryMB is Lambda's maximum memory size.
	MaxMemoryMB = 10240
	// DefaultTimeout is Lambda's default function timeout.
	DefaultTimeout = 3 * time.Second
	// MaxTimeout is Lambda's maximum function timeout.
	MaxTimeout = 15 * time.Minute
	// DefaultReadyTimeout bounds the wait for the first 200.
	DefaultReadyTimeout = 30 * time.Second
	// DefaultKeepAlive is how long an idle environment stays warm. Lambda
	// keeps idle environments for minutes (not documented, typically 5 to
	// 15); 5 minutes keeps a lab's warm phase warm without leaving
	// containers around for long.
	DefaultKeepAlive = 5 * time.Minute
	// DefaultMaxConcurrency caps the environments of one deployment: enough
	// to show scale-out on a laptop, far below Lambda's account default
	// (1,000), which a laptop cannot run.
	DefaultMaxConcurrency = 10
	// MBPerVCPU is the memory size at which Lambda gives one full vCPU.
	MBPerVCPU = 1769
	// InitCPUs is the CPU share an environment's init runs with when the
	// memory share is smaller: one full vCPU. Lambda runs init with more
	// CPU than the handler gets at small memory sizes: Michael Hart,
	// "Shave 99.93% off your Lambda bill with this one weird trick"
	// (https://hichaelmart.medium.com/shave-99-93-off-your-lambda-bill-with-this-one-weird-trick-33c0acebb2ea,
	// 2019-12-09), measured the init of a 128 MB function hashing as fast
	// as a 1,792 MB one (then one full vCPU) while its handler got ~1/14
	// of that; Luc van Donkersgoed, "Lambda Cold Starts and Bootstrap
	// Code" (https://bitesizedserverless.com/bite/lambda-cold-start-bootstrap/,
	// Bite-Sized Serverless, 2023; read 2026-11-30), saw init code run
	// faster than handler code up to 3 GB. AWS does not document it, so it
	// may change; WithInitBoost(false) caps init like the handler.
	InitCPUs = 1.0
	// MinCPUs is the floor of an environment's CPU share. Lambda's 128 MB
	// would be 0.072 vCPU; under 0.1 the CFS quota (under 10 ms per 100 ms
	// period) stalls the Go runtime's start for whole periods and the cold
	// start measures the throttling rather than the function.
	MinCPUs = 0.1
	// User is the uid:gid the emulator and bootstrap run as (Lambda's
	// sandbox user, sbx_user1051, is uid 993).
	User = "993:990"
	// ImageRepo is the repository of the images Deploy builds; the tag is
	// the run id.
	ImageRepo = "computeladder-rie"
	// LabelBackend marks the resources of this backend, so that Sweep never
	// touches another lambda backend's containers.
	LabelBackend = "computeladder.backend"
	// BackendName is Info.Name and the value of LabelBackend.
	BackendName = "rie"
)

// cleanupTimeout bounds the removal of a failed deployment, which runs even
// when the caller's context is already done.
const cleanupTimeout = 30 * time.Second

// dockerAPI is the part of the Docker client the deployer uses.
type dockerAPI interface {
	engine.ImageImporter
	ImageList(ctx context.Context, options client.ImageListOptions) (client.ImageListResult, error)
	ImageRemove(ctx context.Context, image string, options client.ImageRemoveOptions) (client.ImageRemoveResult, error)
	ContainerCreate(ctx context.Context, options client.ContainerCreateOptions) (client.ContainerCreateResult, error)
	ContainerStart(ctx context.Context, containerID string, options client.ContainerStartOptions) (client.ContainerStartResult, error)
	ContainerInspect(ctx context.Context, containerID string, options client.ContainerInspectOptions) (client.ContainerInspectResult, error)
	ContainerWait(ctx context.Context, containerID string, options client.ContainerWaitOptions) client.ContainerWaitResult
	ContainerLogs(ctx context.Context, containerID string, options client.ContainerLogsOptions) (client.ContainerLogsResult, error)
	ContainerList(ctx context.Context, options client.ContainerListOptions) (client.ContainerListResult, error)
	ContainerRemove(ctx context.Context, containerID string, options client.ContainerRemoveOptions) (client.ContainerRemoveResult, error)
	ContainerUpdate(ctx context.Context, containerID string, options client.ContainerUpdateOptions) (client.ContainerUpdateResult, error)
	ContainerStats(ctx context.Context, containerID string, options client.ContainerStatsOptions) (client.ContainerStatsResult, error)
}

// Deployer deploys the function variant on the emulator. Create it with New.
type Deployer struct {
	api    dockerAPI
	closer io.Closer
	opts   options
	images runcache.Cache
	// bridge is whether this process reaches containers at their bridge
	// address: bridgeUnknown, bridgeProbing, bridgeReachable or
	// bridgeUnreachable (see probeBridge).
	bridge atomic.Int32
	// tag is this deployer's own part of its kept images' tags: two
	// deployers keeping one run (a lab's function and its capped twin)
	// import the same artifacts, and a shared tag would move to the
	// second import and leave the first image untagged, for no Release
	// to remove.
	tag string
}

var (
	_ deployers.Deployer    = (*Deployer)(nil)
	_ deployers.ColdStarter = (*Deployer)(nil)
	_ deployers.RunCache    = (*Deployer)(nil)
)

type options struct {
	log            *slog.Logger
	keepAlive      time.Duration
	maxConcurrency int
	pollInterval   time.Duration
	gatewayPort    int
	rieBinary      string
	cacheDir       string
	moduleRoot     string
	noInitBoost    bool
}

// Option configures New.
type Option func(*options) error

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("logger: nil")
		}
		o.log = l
		return nil
	}
}

// WithKeepAlive sets how long an idle environment stays warm before the
// gateway retires it (default DefaultKeepAlive).
func WithKeepAlive(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("keep-alive %s: must be positive", d)
		}
		o.keepAlive = d
		return nil
	}
}

// WithInitBoost says whether an environment's init runs with InitCPUs
// when its memory share is smaller, as Lambda's does (default true); the
// memory-proportional cap is applied once init is over, after the
// environment's first invoke. False caps init too, which throttles a
// small function's cold start more than the platform does.
func WithInitBoost(on bool) Option {
	return func(o *options) error {
		o.noInitBoost = !on
		return nil
	}
}

// WithMaxConcurrency sets how many environments may run at once; requests
// beyond it get 429 (default DefaultMaxConcurrency).
func WithMaxConcurrency(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("max concurrency %d: must be at least 1", n)
		}
		o.maxConcurrency = n
		return nil
	}
}

// WithPollInterval sets how often readiness is polled (default
// deployers.DefaultPollInterval).
func WithPollInterval(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("poll interval %s: must be positive", d)
		}
		o.pollInterval = d
		return nil
	}
}

// WithGatewayPort makes the gateway listen on 127.0.0.1:port instead of a
// random port.
func WithGatewayPort(port int) Option {
	return func(o *options) error {
		if port < 0 || port > 65535 {
			return fmt.Errorf("gateway port %d: use 1-65535, or 0 for a random port", port)
		}
		o.gatewayPort = port
		return nil
	}
}

// WithRIEBinary uses a prebuilt emulator binary (static, linux) instead of
// building it from the module pinned in go.mod.
func WithRIEBinary(path string) Option {
	return func(o *options) error {
		o.rieBinary = path
		return nil
	}
}

// WithCacheDir sets where the built emulator is cached (default
// os.UserCacheDir()/computeladder/rie).
func WithCacheDir(dir string) Option {
	return func(o *options) error {
		o.cacheDir = dir
		return nil
	}
}

// WithModuleRoot sets the computeladder checkout whose go.mod pins the
// emulator (default: found with `go env GOMOD` from the working directory).
func WithModuleRoot(dir string) Option {
	return func(o *options) error {
		o.moduleRoot = dir
		return nil
	}
}

// New returns a deployer talking to the Docker engine engine.NewClient finds
// (DOCKER_HOST, the current Docker context, or a well-known socket),
// negotiating the API version.
func New(opts ...Option) (*Deployer, error) {
	o := options{
		log:            slog.New(slog.DiscardHandler),
		keepAlive:      DefaultKeepAlive,
		maxConcurrency: DefaultMaxConcurrency,
		pollInterval:   deployers.DefaultPollInterval,
	}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("rie: %w", err)
		}
	}
	cli, err := engine.NewClient()
	if err != nil {
		return nil, fmt.Errorf("rie: %w", err)
	}
	return &Deployer{api: cli, closer: cli, opts: o, tag: deployers.RandomHex(3)}, nil
}

// Keep makes later deployments of runID reuse the image an earlier one
// imported from the same artifacts (by their digest) until Release.
func (dp *Deployer) Keep(runID string) { dp.images.Keep(runID) }

// Release removes the images kept for runID.
func (dp *Deployer) Release(ctx context.Context, runID string) error {
	refs, err := dp.images.Release(ctx, runID)
	errs := []error{err}
	for _, ref := range refs {
		errs = append(errs, dp.removeImage(ctx, ref))
	}
	return errors.Join(errs...)
}

// Instances lists d's execution environments, live and retired, in start
// order; unlike Environments it reads no logs, so it is cheap to poll.
func (dp *Deployer) Instances(ctx context.Context, d *deployers.Deployment) ([]deployers.Instance, error) {
	g, err := gatewayOf(d)
	if err != nil {
		return nil, fmt.Errorf("instances: %w", err)
	}
	var out []deployers.Instance
	for _, e := range g.snapshot() {
		out = append(out, deployers.Instance{ID: e.Name, Started: e.Started, Requests: e.Requests, Retired: e.Retired})
	}
	return out, ctx.Err()
}

// KeepAlive is how long an idle environment stays warm before the gateway
// retires it.
func (dp *Deployer) KeepAlive() time.Duration { return dp.opts.keepAlive }

// initCPUs is the share an environment's init runs with, for a handler
// share of cpus: InitCPUs when the boost is on and cpus is smaller, else
// cpus (no update after init).
func (dp *Deployer) initCPUs(cpus float64) float64 {
	if dp.opts.noInitBoost {
		return cpus
	}
	return max(cpus, InitCPUs)
}

// Close releases the Docker client.
func (dp *Deployer) Close() error {
	if dp == nil || dp.closer == nil {
		return nil
	}
	return dp.closer.Close()
}

// Info describes the backend.
func (dp *Deployer) Info() deployers.Info {
	return deployers.Info{
		Name:            BackendName,
		Variant:         deployers.Lambda,
		Target:          "local",
		ColdStartMethod: "a new execution environment (the idle ones are retired)",
		Description:     "local Lambda Runtime Interface Emulator, one Docker container per execution environment, behind a Function URL gateway",
	}
}
