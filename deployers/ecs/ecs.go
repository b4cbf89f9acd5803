// Package ecs deploys the container variant of the app to AWS ECS on Fargate:
// it creates a private ECR repository (scan on push), builds the app's
// FROM-scratch image for the artifacts' platform, checks the built image's
// architecture and pushes it with the Docker client and the ECR auth token,
// registers a Fargate task definition (awsvpc, non-root user, read-only root
// file system, logs to a tagged log group, an execution role that may only
// pull this repository's image and write this log group, bounded by the
// lab's permissions boundary), creates a cluster and runs one task with a
// public IP in the default VPC, behind a security group that opens only
// the app port and only to the caller's address (awsenv.ResolveIngress).
// The task's container exits after a time-to-live (WithTTL, passed in
// $COMPUTELADDER_TTL), so a task a killed run leaves stops billing on its
// own. On an account that never used ECS, Deploy creates ECS's
// service-linked role first and retries while it propagates.
//
// Every resource carries the run id and variant tags (awsenv.TagPairs) and a
// name starting with awsenv.NamePrefix; Teardown removes what one deployment
// created, List and Sweep find resources by tag on AWS, never from memory.
// (The service-linked role is the account's, not the run's: it stays.)
//
// The startup timeline is on this machine's clock: "deploy" → "pushed"
// (the image is in ECR) → "run-task" (RunTask is called: startup is
// measured from here, StartupOrigin) → "running" (a DescribeTasks poll saw
// RUNNING) → "first-200". The task's own timestamps (createdAt,
// pullStartedAt, pullStoppedAt, startedAt) are on AWS's clock, which this
// machine's need not agree with: they are reported apart, as durations
// between each other only, in Details[DetailTaskPhases]. An emulator such as
// moto records the task but runs nothing: Deployment.NotMeasured says why,
// and the phases it cannot give are listed in Details[DetailNotMeasured],
// never made up.
package ecs

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
)

// Phase names of the startup timeline, in order.
const (
	PhaseDeploy   = "deploy"    // Deploy was called
	PhasePushed   = "pushed"    // the image is in ECR
	PhaseRunTask  = "run-task"  // RunTask is called (security group, cluster, task definition exist)
	PhaseRunning  = "running"   // a DescribeTasks poll saw the task RUNNING
	PhaseFirst200 = "first-200" // GET /healthz answered 200
)

// Names of the task's own timestamps (AWS's clock), in
// Details[DetailTaskPhases].
const (
	TaskCreated     = "created"      // task createdAt
	TaskPullStarted = "pull-started" // task pullStartedAt
	TaskPullStopped = "pull-stopped" // task pullStoppedAt
	TaskStarted     = "started"      // task startedAt
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
	DetailUser        = "user"           // uid:gid the app runs as
	DetailReadOnly    = "read_only"      // read-only root file system
	DetailNotMeasured = "not_measured"   // phases this endpoint cannot give, with why (display; the contract is Deployment.NotMeasured)
	DetailPushed      = "push"           // image build and push duration
	DetailEmulator    = "emulator"       // "true" when the API is not AWS
	DetailLogGroup    = "log_group"      // where the app's output goes
	DetailStopReason  = "stopped_reason" // set when the task stopped early
	DetailIngressFrom = "ingress_source" // where the ingress address came from
	DetailTTL         = "ttl"            // the container exits after this
	DetailPlatform    = "platform"       // what the image was built for, e.g. linux/amd64
	DetailBoundary    = "role_boundary"  // the execution role's permissions boundary
	// DetailTaskPhases is the task's own timeline on AWS's clock, e.g.
	// "created 0s → pull-started 1.2s → pull-stopped 3.4s → started 3.9s
	// (ECS task timestamps, AWS's clock)".
	DetailTaskPhases = "task_phases"
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
	// DefaultTTL is how long the task's container serves before it exits
	// (and Fargate stops billing the task), as the EC2 instance shuts
	// itself down: long enough for a lab, short enough that a task a
	// killed run leaves costs cents.
	DefaultTTL = time.Hour
	// MaxTTL bounds WithTTL.
	MaxTTL = 24 * time.Hour
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

// Deployer deploys the container variant to ECS on Fargate.
type Deployer struct {
	ecs          ECSAPI
	ecr          ECRAPI
	ec2          EC2API
	logs         LogsAPI
	iam          IAMAPI
	sts          awsenv.STSAPI
	pusher       Pusher
	region       string
	endpoint     string
	target       string // Info().Target: awsenv.TargetOf the config
	ingress      netip.Prefix
	lookupAddr   awsenv.AddressLookup
	emulator     bool
	log          *slog.Logger
	pollInterval time.Duration
	stopWait     time.Duration
	ttl          time.Duration
	immutable    bool
	slrWait      time.Duration
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

// WithIngress opens the app port to prefix only, instead of the caller's
// public address as a /32 (or /128) that awsenv.ResolveIngress finds.
// Nothing is ever opened to the world.
func WithIngress(prefix netip.Prefix) Option {
	return func(d *Deployer) error {
		if err := awsenv.CheckIngress(prefix); err != nil {
			return fmt.Errorf("ecs: %w", err)
		}
		d.ingress = prefix.Masked()
		return nil
	}
}

// WithAddressLookup finds the caller's public address with l (default: a
// lookup of its own at awsenv.CheckIPURL). The harness passes the EC2
// deployer the same lookup, so that a run asks once.
func WithAddressLookup(l awsenv.AddressLookup) Option {
	return func(d *Deployer) error {
		if l == nil {
			return errors.New("ecs: nil address lookup")
		}
		d.lookupAddr = l
		return nil
	}
}

// WithEmulator says whether the API is an emulator that records tasks but
// runs nothing (moto, LocalStack). By default a config with a custom base
// endpoint counts as one.
func WithEmulator(on bool) Option {
	return func(d *Deployer) error {
		d.emulator = on
		return nil
	}
}

// WithTTL sets how long the task's container serves before it exits, so
// that Fargate stops the task (default DefaultTTL; whole seconds, at most
// MaxTTL).
func WithTTL(ttl time.Duration) Option {
	return func(d *Deployer) error {
		if ttl < time.Minute || ttl > MaxTTL {
			return fmt.Errorf("ecs: ttl %s: use 1m to %s", ttl, MaxTTL)
		}
		d.ttl = ttl.Truncate(time.Second)
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

// WithPollInterval sets how often the task state is polled; Teardown's wait
// for the stopped task starts at it and backs off.
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
		sts:          sts.NewFromConfig(cfg),
		region:       cfg.Region,
		endpoint:     aws.ToString(cfg.BaseEndpoint),
		target:       awsenv.TargetOf(cfg),
		emulator:     awsenv.TargetOf(cfg) == awsenv.TargetEndpoint,
		lookupAddr:   awsenv.NewAddressLookup(http.DefaultClient, awsenv.CheckIPURL),
		log:          slog.New(slog.DiscardHandler),
		pollInterval: DefaultPollInterval,
		stopWait:     DefaultStopWait,
		ttl:          DefaultTTL,
		slrWait:      slrRetry,
	}
	for _, o := range opts {
		if err := o(d); err != nil {
			return nil, err
		}
	}
	if d.pusher == nil {
		d.pusher = &DockerPusher{}
	}
	return d, nil
}

// Info describes the backend.
func (d *Deployer) Info() deployers.Info {
	desc := "AWS ECS Fargate task (public IP, port open to the caller only)"
	if d.emulator {
		desc = "ECS Fargate API on an emulator (task recorded, nothing runs)"
	}
	return deployers.Info{Name: "ecs", Variant: deployers.Container, Target: d.target, Description: desc, TeardownBudget: d.teardownBudget()}
}

// teardownBudget covers Teardown's bounded steps: the wait for the stopped
// task, the security group's retries while Fargate releases the task's
// network interface, and a minute for the other deletions.
func (d *Deployer) teardownBudget() time.Duration { return d.stopWait + sgRetry + time.Minute }
