// Package ec2 deploys the VM variant of the app to Amazon EC2: one instance
// of Amazon Linux 2023 in the default VPC that installs the VM adapter as a
// systemd service from its user data.
//
// Deploy looks everything up before it creates anything (the AMI from the
// public SSM parameter for Amazon Linux 2023 unless WithAMI overrides it,
// the default VPC and its default subnets, the caller's public address), so
// that bad input fails with a one-line error and leaves nothing behind. It
// then creates, each tagged with the run id and variant (awsenv.TagPairs)
// and named with awsenv.NamePrefix and the run id:
//
//   - a private S3 bucket (all public access blocked) holding the VM binary
//     and its systemd unit, which the instance fetches through presigned
//     URLs, so the instance needs no role and no credentials; a lifecycle
//     rule expires its objects after ArtifactExpiryDays, so a bucket a
//     killed run leaves behind empties itself;
//   - a security group that opens only the app port, and only to the
//     caller's public address as a /32 (awsenv.ResolveIngress; WithIngress
//     overrides it; it is never 0.0.0.0/0), tagged as it is created;
//   - the instance, of one of InstanceTypes (the lab policy allows no
//     other), with its root volume (RootVolumeGiB of gp3, deleted with the
//     instance) and its network interface tagged as they are created:
//     IMDSv2 required with a hop limit of 1, no key pair (no SSH),
//     InstanceInitiatedShutdownBehavior=terminate, and user data
//     (infra/user-data.sh.tmpl) that schedules `shutdown -h +TTL` before it
//     installs the app, so a forgotten lab terminates itself.
//
// Startup phases: "deploy" → "run-instances" (RunInstances is called:
// startup is measured from here, StartupOrigin; bucket, upload and
// security group before it are preparation) → "run-instances-returned" →
// "running" (polled with DescribeInstances) → "port-open" (TCP dial) →
// "first-200" (GET /healthz), each polled at one second or finer: a 15 s
// waiter is not a clock.
//
// On an emulator (moto, LocalStack: any config with a custom endpoint, or
// WithEmulator) the instance is recorded but nothing boots and nothing
// answers on its address. Deploy then records the phases up to "running",
// names "port-open" and "first-200" in Deployment.NotMeasured with the
// reason, never a made-up time, and returns success with an empty URL. No
// traffic is sent to the address the emulator invents. On an emulator the
// caller's public address cannot be discovered either: unless WithIngress
// gives one, the security group opens the port to the endpoint host's
// loopback address /32, and Details[DetailIngressSource] says so.
//
// Teardown asks EC2 to terminate the instance, deletes the objects and the
// bucket (which nothing needs once the instance booted), waits (bounded,
// with the SDK's InstanceTerminated waiter: a teardown's wait is no clock)
// until the instance is terminated and deletes the security group
// (retrying while the instance's network interface still holds it). A wait
// that times out does not stop it: it removes what it can and its error
// names what is left. Info().TeardownBudget covers all of it. It is
// idempotent and works from Deployment.Resources alone. List and Sweep find
// the instances not yet terminated, security groups and buckets by tag on
// AWS, never from memory.
package ec2

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
)

// BackendName is Info.Name.
const BackendName = "ec2"

// Phase names of the startup timeline, in order.
const (
	PhaseDeploy               = "deploy"                 // Deploy was called
	PhaseRunInstances         = "run-instances"          // RunInstances is called
	PhaseRunInstancesReturned = "run-instances-returned" // RunInstances answered
	PhaseRunning              = "running"                // DescribeInstances said running
	PhasePortOpen             = "port-open"              // a TCP dial to the app port succeeded
	PhaseFirst200             = "first-200"              // GET /healthz answered 200
)

// StartupOrigin is the phase this backend's startup is measured from
// (deployers.Deployment.StartupFrom): RunInstances is called.
const StartupOrigin = PhaseRunInstances

// Preparation is what the phases before StartupOrigin did
// (deployers.Deployment.Preparation), besides the read-only lookups.
const Preparation = "bucket + upload, security group"

// Resource kinds this backend creates, in the order Teardown removes them.
const (
	KindInstance      = "ec2-instance"
	KindSecurityGroup = "ec2-security-group"
	KindBucket        = "s3-bucket"
)

// Keys of Deployment.Details.
const (
	DetailAMI           = "ami"            // image id
	DetailAMISource     = "ami_source"     // the SSM parameter, or "option"
	DetailInstanceType  = "instance_type"  // e.g. t3.micro
	DetailRootVolume    = "root_volume"    // its size and type
	DetailVPC           = "vpc"            // the default VPC
	DetailSubnet        = "subnet"         // the default subnet used
	DetailZone          = "zone"           // its availability zone
	DetailPublicIP      = "public_ip"      // the instance's public address
	DetailIngress       = "ingress"        // the only source allowed in
	DetailIngressSource = "ingress_source" // where the ingress address came from
	DetailBucket        = "bucket"         // the artifact bucket
	DetailTTL           = "ttl"            // the instance shuts itself down after this
	DetailIMDS          = "imds"           // metadata service settings
	DetailPrepare       = "prepare"        // lookups, bucket, upload, security group before RunInstances
	DetailEmulator      = "emulator"       // "true" when the API is not AWS
	DetailStateReason   = "state_reason"   // set when the instance stopped early
)

// Defaults applied when the Spec or the options leave a value zero.
const (
	// AppPort is the port the VM adapter's unit listens on (PORT=8080).
	AppPort = 8080
	// UnitName is the systemd unit the VM adapter ships.
	UnitName = "computeladder.service"
	// DefaultTTL is how long the instance lives before it shuts itself down:
	// long enough for a lab, short enough that a forgotten one costs cents.
	DefaultTTL = time.Hour
	// MaxTTL bounds WithTTL: a lab instance has no business living a day.
	MaxTTL = 24 * time.Hour
	// DefaultReadyTimeout bounds the wait for the first 200: an instance
	// boots and installs in one to two minutes.
	DefaultReadyTimeout = 10 * time.Minute
	// DefaultPollInterval polls the instance state: sub-second, as the
	// design asks of cloud phases, yet far below the DescribeInstances rate
	// limit.
	DefaultPollInterval = 500 * time.Millisecond
	// MaxPollInterval is the coarsest polling that still makes a clock.
	MaxPollInterval = time.Second
	// DefaultTerminateWait bounds Teardown's wait for a terminated instance.
	DefaultTerminateWait = 5 * time.Minute
	// PresignExpiry is how long the artifact URLs in the user data work: the
	// instance fetches them within minutes of launch.
	PresignExpiry = 30 * time.Minute
	// SSMParameterAMI is the public parameter naming the latest Amazon
	// Linux 2023 AMI; "%s" is x86_64 or arm64.
	SSMParameterAMI = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-%s"
)

// Deployer deploys the VM variant to EC2. Create it with New.
type Deployer struct {
	ec2       EC2API
	s3        S3API
	presigner Presigner
	ssm       SSMAPI
	region    string
	endpoint  string
	target    string // Info().Target: awsenv.TargetOf the config

	appPort       int
	ami           string
	instanceType  string
	ingress       netip.Prefix
	lookupAddr    awsenv.AddressLookup
	ttl           time.Duration
	emulator      bool
	pollInterval  time.Duration
	terminateWait time.Duration
	aliveEvery    time.Duration
	log           *slog.Logger
}

var _ deployers.Deployer = (*Deployer)(nil)

// Option configures a Deployer.
type Option func(*Deployer) error

// WithAMI uses image id instead of the latest Amazon Linux 2023 from SSM.
// The image must run systemd, curl and sha256sum, as Amazon Linux does.
func WithAMI(id string) Option {
	return func(d *Deployer) error {
		if id == "" {
			return errors.New("ec2: empty AMI id: pass an id such as ami-0123456789abcdef0, or leave it out for Amazon Linux 2023")
		}
		d.ami = id
		return nil
	}
}

// WithInstanceType overrides the instance type chosen from the memory size
// (t3 family on amd64, t4g on arm64). It must be one of InstanceTypes: the
// lab policy allows launching those only, so that a run's cost is bounded.
func WithInstanceType(t string) Option {
	return func(d *Deployer) error {
		if !slices.Contains(InstanceTypes(), t) {
			return fmt.Errorf("ec2: instance type %q: use one of %s (the lab policy allows no other)", t, strings.Join(InstanceTypes(), ", "))
		}
		d.instanceType = t
		return nil
	}
}

// WithIngress opens the app port to prefix instead of the caller's public
// address /32. A prefix that opens the port to everyone is refused.
func WithIngress(prefix netip.Prefix) Option {
	return func(d *Deployer) error {
		if err := awsenv.CheckIngress(prefix); err != nil {
			return fmt.Errorf("ec2: %w", err)
		}
		d.ingress = prefix.Masked()
		return nil
	}
}

// WithAddressLookup finds the caller's public address with l (default: a
// lookup of its own at awsenv.CheckIPURL). The harness passes the ECS
// deployer the same lookup, so that a run asks once.
func WithAddressLookup(l awsenv.AddressLookup) Option {
	return func(d *Deployer) error {
		if l == nil {
			return errors.New("ec2: nil address lookup")
		}
		d.lookupAddr = l
		return nil
	}
}

// WithTTL sets the time-to-live after which the instance shuts itself down
// and is terminated (default DefaultTTL; whole minutes, at most MaxTTL).
func WithTTL(ttl time.Duration) Option {
	return func(d *Deployer) error {
		if ttl < time.Minute || ttl > MaxTTL {
			return fmt.Errorf("ec2: ttl %s: use 1m to %s", ttl, MaxTTL)
		}
		d.ttl = ttl
		return nil
	}
}

// WithEmulator says whether the API is an emulator that records instances
// but boots nothing (moto, LocalStack). By default a config with a custom
// base endpoint counts as one.
func WithEmulator(on bool) Option {
	return func(d *Deployer) error {
		d.emulator = on
		return nil
	}
}

// WithPollInterval sets how often the instance state, the port and
// /healthz are polled (default DefaultPollInterval, at most MaxPollInterval);
// Teardown's wait for the terminated instance starts at it and backs off.
func WithPollInterval(iv time.Duration) Option {
	return func(d *Deployer) error {
		if iv <= 0 || iv > MaxPollInterval {
			return fmt.Errorf("ec2: poll interval %s: use more than 0 and at most %s", iv, MaxPollInterval)
		}
		d.pollInterval = iv
		return nil
	}
}

// WithTerminateWait bounds how long Teardown waits for the instance to be
// terminated before it deletes the security group.
func WithTerminateWait(w time.Duration) Option {
	return func(d *Deployer) error {
		if w <= 0 {
			return fmt.Errorf("ec2: terminate wait %s: must be positive", w)
		}
		d.terminateWait = w
		return nil
	}
}

// WithLogger logs each step to l (default: no logging).
func WithLogger(l *slog.Logger) Option {
	return func(d *Deployer) error {
		if l == nil {
			return errors.New("ec2: nil logger")
		}
		d.log = l
		return nil
	}
}

// withClients replaces the SDK clients; tests use it to inject failures.
func withClients(e EC2API, s S3API, p Presigner, m SSMAPI) Option {
	return func(d *Deployer) error {
		d.ec2, d.s3, d.presigner, d.ssm = e, s, p, m
		return nil
	}
}

// withAppPort changes the port the security group opens and the waits
// dial; tests serve the app on a free loopback port.
func withAppPort(port int) Option {
	return func(d *Deployer) error {
		d.appPort = port
		return nil
	}
}

// New returns a Deployer using cfg (see awsenv.Load).
func New(cfg aws.Config, opts ...Option) (*Deployer, error) {
	if err := checkRegion(cfg.Region); err != nil {
		return nil, err
	}
	s3c := s3.NewFromConfig(cfg, awsenv.S3Options(cfg))
	d := &Deployer{
		ec2:           ec2.NewFromConfig(cfg),
		s3:            s3c,
		presigner:     s3.NewPresignClient(s3c),
		ssm:           ssm.NewFromConfig(cfg),
		region:        cfg.Region,
		endpoint:      aws.ToString(cfg.BaseEndpoint),
		target:        awsenv.TargetOf(cfg),
		emulator:      awsenv.TargetOf(cfg) == awsenv.TargetEndpoint,
		appPort:       AppPort,
		ttl:           DefaultTTL,
		pollInterval:  DefaultPollInterval,
		terminateWait: DefaultTerminateWait,
		aliveEvery:    aliveEvery,
		lookupAddr:    awsenv.NewAddressLookup(http.DefaultClient, awsenv.CheckIPURL),
		log:           slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		if err := o(d); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Info describes the backend.
func (d *Deployer) Info() deployers.Info {
	info := deployers.Info{
		Name:        BackendName,
		Variant:     deployers.VM,
		Target:      d.target,
		Description: "AWS EC2 instance (Amazon Linux 2023, app as a systemd service, port open to the caller only)",
		// Termination takes minutes; the security group goes only once
		// the instance's network interface is released.
		TeardownBudget: d.teardownBudget(),
	}
	if d.emulator {
		info.Description = "EC2 API on an emulator (instance recorded, nothing boots)"
	}
	return info
}

// teardownBudget covers Teardown's bounded steps: the wait for the
// terminated instance, the security group's retries (each at most
// terminateWait) and a minute for the bucket and the API calls.
func (d *Deployer) teardownBudget() time.Duration { return 2*d.terminateWait + time.Minute }
