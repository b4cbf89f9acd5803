// Package ecs deploys the container variant of the app to AWS ECS on Fargate:
// it creates a private ECR repository (scan on push), pushes the app's
// FROM-scratch image to it with the Docker client and the ECR auth token,
// registers a Fargate task definition (awsvpc, non-root user, read-only root
// file system, logs to a tagged log group, an execution role that may only
// pull this repository's image and write this log group), creates a cluster
// and runs one task with a public IP in the default VPC, behind a security
// group that opens only the app port and only to the caller's address.
//
// Every resource carries the run id and variant tags (awsenv.TagPairs) and a
// name starting with awsenv.NamePrefix; Teardown removes what one deployment
// created, List and Sweep find resources by tag on AWS, never from memory.
//
// The startup timeline: "deploy" → "pushed" (the image is in ECR) →
// "run-task" (RunTask is called: startup is measured from here,
// StartupOrigin) → the task's own timestamps "created" → "pull-started" →
// "pull-stopped" → "started" → "first-200". An emulator such as moto records
// the task but runs nothing: Deployment.NotMeasured says why, and the
// phases it cannot give are listed in Details[DetailNotMeasured], never
// made up.
package ecs

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
)

// Phase names of the startup timeline, in order.
const (
	PhaseDeploy      = "deploy"       // Deploy was called
	PhasePushed      = "pushed"       // the image is in ECR
	PhaseRunTask     = "run-task"     // RunTask is called (security group, cluster, task definition exist)
	PhaseCreated     = "created"      // task createdAt
	PhasePullStarted = "pull-started" // task pullStartedAt
	PhasePullStopped = "pull-stopped" // task pullStoppedAt
	PhaseStarted     = "started"      // task startedAt
	PhaseFirst200    = "first-200"    // GET /healthz answered 200
)

// StartupOrigin is the phase this backend's startup is measured from
// (deployers.Deployment.StartupFrom): RunTask is called.
const StartupOrigin = PhaseRunTask

// Preparation is what the phases before StartupOrigin did
// (deployers.Deployment.Preparation).
const Preparation = "repository, role, image build + push, security group, cluster, task definition"

// Keys of Deployment.Details.
const (
	DetailCluster     = "cluster"
	DetailTask        = "task"
	DetailImage       = "image"          // repository URI and tag
	DetailImageDigest = "image_digest"   // what the pusher reported
	DetailPublicIP    = "public_ip"      // the task's public address
	DetailIngress     = "ingress"        // the only source allowed in
	DetailCPU         = "cpu_units"      // Fargate CPU units
	DetailMemoryMB    = "memory_mb"      // Fargate memory
	DetailUser        = "user"           // uid:gid the app runs as
	DetailReadOnly    = "read_only"      // read-only root file system
	DetailNotMeasured = "not_measured"   // phases this endpoint cannot give, with why (display; the contract is Deployment.NotMeasured)
	DetailPushed      = "push"           // image build and push duration
	DetailEmulator    = "emulator"       // "true" when the API is not AWS
	DetailLogGroup    = "log_group"      // where the app's output goes
	DetailStopReason  = "stopped_reason" // set when the task stopped early
)

// Defaults applied when the Spec or the options leave a value zero.
const (
	DefaultMemoryMB     = 512
	DefaultCPUs         = 0.25
	DefaultReadyTimeout = 5 * time.Minute
	// DefaultPollInterval polls the task state: sub-second, as the design
	// asks of cloud phases, yet far below the DescribeTasks rate limit.
	DefaultPollInterval = 500 * time.Millisecond
	// DefaultStopWait bounds the wait for a stopped task in Teardown.
	DefaultStopWait = 3 * time.Minute
	// AppPort is the port the app listens on in the container.
	AppPort = 8080
	// User is the unprivileged uid:gid the app runs as.
	User = "65532:65532"
	// LogRetentionDays keeps a forgotten log group from growing for ever.
	LogRetentionDays = 1
)

// Resource kinds, in the order Teardown removes them.
const (
	KindTask           = "ecs-task"
	KindTaskDefinition = "ecs-task-definition"
	KindCluster        = "ecs-cluster"
	KindSecurityGroup  = "security-group"
	KindLogGroup       = "log-group"
	KindRepository     = "ecr-repository"
	KindRole           = "iam-role"
)

// cleanupTimeout bounds the removal of a failed deployment, which runs even
// when the caller's context is already cancelled; it covers the stop wait.
const cleanupTimeout = DefaultStopWait + time.Minute

// Deployer deploys the container variant to ECS on Fargate.
type Deployer struct {
	ecs          ECSAPI
	ecr          ECRAPI
	ec2          EC2API
	logs         LogsAPI
	iam          IAMAPI
	pusher       Pusher
	region       string
	target       string // Info().Target: awsenv.TargetOf the config
	ingress      netip.Prefix
	emulator     bool
	emulatorSet  bool
	log          *slog.Logger
	pollInterval time.Duration
	stopWait     time.Duration
	immutable    bool
}

var _ deployers.Deployer = (*Deployer)(nil)

// Option configures a Deployer.
type Option func(*Deployer) error

// WithPusher builds and pushes the image with p instead of the local Docker
// engine; tests use it against an emulator that has no registry.
func WithPusher(p Pusher) Option {
	return func(d *Deployer) error {
		if p == nil {
			return errors.New("ecs: nil pusher")
		}
		d.pusher = p
		return nil
	}
}

// WithIngress opens the app port to prefix only: the caller's public
// address as a /32 (or /128). It is required on AWS: nothing is opened to
// the world. On an emulator it defaults to 127.0.0.1/32.
func WithIngress(prefix netip.Prefix) Option {
	return func(d *Deployer) error {
		if !prefix.IsValid() {
			return errors.New("ecs: invalid ingress prefix: pass your public address as a /32, e.g. 203.0.113.7/32")
		}
		if prefix.Bits() == 0 {
			return fmt.Errorf("ecs: ingress %s opens the app to everyone: pass your public address as a /32", prefix)
		}
		d.ingress = prefix.Masked()
		return nil
	}
}

// WithEmulator says whether the API is an emulator that records tasks but
// runs nothing (moto, LocalStack). By default a config with a custom base
// endpoint counts as one.
func WithEmulator(on bool) Option {
	return func(d *Deployer) error {
		d.emulator, d.emulatorSet = on, true
		return nil
	}
}

// WithImmutableTags makes the repository's tags immutable.
func WithImmutableTags() Option {
	return func(d *Deployer) error {
		d.immutable = true
		return nil
	}
}

// WithLogger logs each step to l (default: no logging).
func WithLogger(l *slog.Logger) Option {
	return func(d *Deployer) error {
		if l == nil {
			return errors.New("ecs: nil logger")
		}
		d.log = l
		return nil
	}
}

// WithPollInterval sets how often the task state is polled.
func WithPollInterval(iv time.Duration) Option {
	return func(d *Deployer) error {
		if iv <= 0 {
			return fmt.Errorf("ecs: poll interval %s: must be positive", iv)
		}
		d.pollInterval = iv
		return nil
	}
}

// WithStopWait bounds how long Teardown waits for the task to stop before it
// deletes the cluster.
func WithStopWait(w time.Duration) Option {
	return func(d *Deployer) error {
		if w <= 0 {
			return fmt.Errorf("ecs: stop wait %s: must be positive", w)
		}
		d.stopWait = w
		return nil
	}
}

// withECS replaces the ECS client; tests use it to reach moto through a
// fix for its replies.
func withECS(e ECSAPI) Option {
	return func(d *Deployer) error {
		d.ecs = e
		return nil
	}
}

// New returns a Deployer using cfg (see awsenv.Load). Without WithPusher it
// builds and pushes with the local Docker engine, connecting on first use.
func New(cfg aws.Config, opts ...Option) (*Deployer, error) {
	if cfg.Region == "" {
		return nil, errors.New("ecs: no region: load the config with awsenv.Load")
	}
	d := &Deployer{
		ecs:          ecs.NewFromConfig(cfg),
		ecr:          ecr.NewFromConfig(cfg),
		ec2:          ec2.NewFromConfig(cfg),
		logs:         cloudwatchlogs.NewFromConfig(cfg),
		iam:          iam.NewFromConfig(cfg),
		region:       cfg.Region,
		target:       awsenv.TargetOf(cfg),
		emulator:     awsenv.TargetOf(cfg) == awsenv.TargetEndpoint,
		log:          slog.New(slog.DiscardHandler),
		pollInterval: DefaultPollInterval,
		stopWait:     DefaultStopWait,
	}
	for _, o := range opts {
		if err := o(d); err != nil {
			return nil, err
		}
	}
	if d.pusher == nil {
		d.pusher = &DockerPusher{}
	}
	if !d.ingress.IsValid() && d.emulator {
		// Nothing on an emulator is reachable from anywhere: the loopback
		// address keeps the rule closed without a public address lookup.
		d.ingress = netip.PrefixFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 32)
	}
	return d, nil
}

// Info describes the backend.
func (d *Deployer) Info() deployers.Info {
	desc := "AWS ECS Fargate task (public IP, port open to the caller only)"
	if d.emulator {
		desc = "ECS Fargate API on an emulator (task recorded, nothing runs)"
	}
	return deployers.Info{Name: "ecs", Variant: deployers.Container, Target: d.target, Description: desc}
}
