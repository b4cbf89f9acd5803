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
//     vCPU (Lambda's one vCPU at 1,769 MB), never below MinCPUs.
//
// Environments run locked down: uid 993 (Lambda's sandbox user), read-only
// root file system with a tmpfs /tmp, all capabilities dropped,
// no-new-privileges, RIE's port published on 127.0.0.1 only.
//
// Every image and container carries the run id, the variant and the backend
// as labels; Teardown, List and Sweep find them on the engine by label.
//
// Startup phases: "deploy" → "image-built" → "gateway-listening" →
// "env-started" (the first environment's container started) → "first-200".
package rie

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/docker"
)

// Phase names of the startup timeline, in order.
const (
	PhaseDeploy           = "deploy"
	PhaseImageBuilt       = "image-built"
	PhaseGatewayListening = "gateway-listening"
	PhaseEnvStarted       = "env-started"
	PhaseFirst200         = "first-200"
)

// Keys of Deployment.Details.
const (
	DetailImage          = "image"           // image tag
	DetailRIEVersion     = "rie_version"     // emulator module version
	DetailMemoryMB       = "memory_mb"       // function memory size
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

// engine is the part of the Docker client the deployer uses.
type engine interface {
	ImageBuild(ctx context.Context, buildContext io.Reader, options client.ImageBuildOptions) (client.ImageBuildResult, error)
	ImageList(ctx context.Context, options client.ImageListOptions) (client.ImageListResult, error)
	ImageRemove(ctx context.Context, image string, options client.ImageRemoveOptions) (client.ImageRemoveResult, error)
	ContainerCreate(ctx context.Context, options client.ContainerCreateOptions) (client.ContainerCreateResult, error)
	ContainerStart(ctx context.Context, containerID string, options client.ContainerStartOptions) (client.ContainerStartResult, error)
	ContainerInspect(ctx context.Context, containerID string, options client.ContainerInspectOptions) (client.ContainerInspectResult, error)
	ContainerWait(ctx context.Context, containerID string, options client.ContainerWaitOptions) client.ContainerWaitResult
	ContainerLogs(ctx context.Context, containerID string, options client.ContainerLogsOptions) (client.ContainerLogsResult, error)
	ContainerList(ctx context.Context, options client.ContainerListOptions) (client.ContainerListResult, error)
	ContainerRemove(ctx context.Context, containerID string, options client.ContainerRemoveOptions) (client.ContainerRemoveResult, error)
}

// Deployer deploys the function variant on the emulator. Create it with New.
type Deployer struct {
	api    engine
	closer io.Closer
	opts   options
}

var (
	_ deployers.Deployer    = (*Deployer)(nil)
	_ deployers.ColdStarter = (*Deployer)(nil)
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

// New returns a deployer talking to the Docker engine docker.NewClient finds
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
	cli, err := docker.NewClient()
	if err != nil {
		return nil, fmt.Errorf("rie: %w", err)
	}
	return &Deployer{api: cli, closer: cli, opts: o}, nil
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
		Name:              BackendName,
		Variant:           deployers.Function,
		Target:            "local",
		CanForceColdStart: true,
		ColdStartMethod:   "a new execution environment (the idle ones are retired)",
		Description:       "local Lambda Runtime Interface Emulator, one Docker container per execution environment, behind a Function URL gateway",
	}
}
