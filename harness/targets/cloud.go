package targets

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
	"github.com/computeladder/computeladder/deployers/awslambda"
	"github.com/computeladder/computeladder/deployers/docker"
	"github.com/computeladder/computeladder/deployers/ec2"
	"github.com/computeladder/computeladder/deployers/ecs"
	"github.com/computeladder/computeladder/harness/cost"
	"github.com/computeladder/computeladder/harness/doctor"
)

// awsConfig loads the AWS configuration of target (aws, or localstack;
// aws with an endpoint is any AWS-compatible endpoint). Missing
// credentials or region are a PrereqError: nothing is created.
func awsConfig(ctx context.Context, target string, opts Options) (aws.Config, error) {
	c := awsenv.Config{Target: target, Endpoint: opts.Endpoint, Region: opts.Region}
	if target == "aws" && opts.Endpoint != "" {
		c.Target = awsenv.TargetEndpoint
	}
	cfg, err := awsenv.Load(ctx, c)
	if err != nil {
		return aws.Config{}, &PrereqError{err.Error()}
	}
	return cfg, nil
}

// openCloud builds the cloud deployers of variants. On LocalStack (whose
// free edition has no ECS) the container variant runs on the local Docker
// engine, and the report says so through its description.
func openCloud(ctx context.Context, target string, variants []deployers.Variant, opts Options) (*Set, error) {
	cfg, err := awsConfig(ctx, target, opts)
	if err != nil {
		return nil, err
	}
	s := &Set{Target: target, Deployers: map[deployers.Variant]deployers.Deployer{}}
	// One lookup of the caller's public address for the run: the VM and
	// the container open their ports to the same /32, asked for once.
	lookup := awsenv.NewAddressLookup(http.DefaultClient, awsenv.CheckIPURL)
	for _, v := range variants {
		var d deployers.Deployer
		switch v {
		case deployers.VM:
			eo := []ec2.Option{ec2.WithLogger(opts.Logger), ec2.WithAddressLookup(lookup)}
			if opts.Ingress.IsValid() {
				eo = append(eo, ec2.WithIngress(opts.Ingress))
			}
			d, err = ec2.New(cfg, eo...)
		case deployers.Container:
			if target == "localstack" {
				if err = CheckLocal(ctx, []deployers.Variant{deployers.Container}); err == nil {
					var dd *docker.Deployer
					if dd, err = docker.New(docker.WithLogger(opts.Logger)); err == nil {
						d = stillLocal{dd, "LocalStack's free edition has no ECS"}
					}
				}
				break
			}
			co := []ecs.Option{ecs.WithLogger(opts.Logger), ecs.WithAddressLookup(lookup)}
			if opts.Ingress.IsValid() {
				co = append(co, ecs.WithIngress(opts.Ingress))
			}
			d, err = ecs.New(cfg, co...)
		case deployers.Lambda:
			lo := []awslambda.Option{awslambda.WithLogger(opts.Logger)}
			if opts.PublicURL {
				lo = append(lo, awslambda.WithPublicURL())
			}
			d, err = awslambda.New(cfg, lo...)
		}
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("%s on %s: %w", v, target, err)
		}
		s.Deployers[v] = d
		if c, ok := d.(io.Closer); ok {
			s.closers = append(s.closers, c)
		}
	}
	return s, nil
}

// Plan describes what a run on real AWS creates for variants (deployed
// with memoryMB, 0 for each backend's default, and artifacts built for
// goarch, "" for amd64) and what it costs per hour while it runs, so that
// the user can say yes first. It prices what the deployers create: the
// instance type the VM deployer picks, its root volume and public IPv4
// address; the Fargate size the container deployer rounds up to, and its
// address.
func Plan(variants []deployers.Variant, region string, memoryMB int, goarch string) (string, error) {
	p, err := cost.Default()
	if err != nil {
		return "", err
	}
	goarch = orDefault(goarch, "amd64")
	arch, err := cost.ParseArch(goarch)
	if err != nil {
		return "", err
	}
	ipv4 := p.PublicIPv4.Hourly
	var b strings.Builder
	total := 0.0
	fmt.Fprintf(&b, "On AWS (%s) this run creates, tagged computeladder:run-id and removed at the end:\n", orDefault(region, "your default region"))
	for _, v := range variants {
		switch v {
		case deployers.VM:
			it, err := ec2.InstanceTypeFor(memoryMB, goarch)
			if err != nil {
				return "", err
			}
			in, ok := p.EC2.Instances[it]
			if !ok {
				return "", fmt.Errorf("infra/pricing.json has no price for %s, which the VM deployer launches: add it", it)
			}
			volume := ec2.RootVolumeGiB * p.EBS.GP3GBMonth / cost.HoursPerMonth
			h := in.Hourly + volume + ipv4
			total += h
			fmt.Fprintf(&b, "  vm:        an EC2 %s instance ($%.4f/h) with a %d GiB %s root volume ($%.4f/h) and a public IPv4 address ($%.4f/h),\n"+
				"             terminating itself after %s; a security group open on the app port to your address only, a private S3 bucket   ~$%.4f/hour\n",
				it, in.Hourly, ec2.RootVolumeGiB, ec2.RootVolumeType, volume, ipv4, ec2.DefaultTTL, h)
		case deployers.Container:
			size, err := ecs.SizeFor(ecs.DefaultCPUs, cmp.Or(memoryMB, ecs.DefaultMemoryMB))
			if err != nil {
				return "", err
			}
			r := p.Fargate.Rate(arch)
			vcpu, gb := float64(size.CPU)/1024, float64(size.MemoryMB)/1024
			h := vcpu*r.VCPUHour + gb*r.GBHour + ipv4
			total += h
			fmt.Fprintf(&b, "  container: an ECR repository, an ECS cluster and a Fargate task (%g vCPU, %g GB, %s) with a public IPv4 address,\n"+
				"             exiting after %s; a security group open to your address only, a log group   ~$%.4f/hour\n", vcpu, gb, arch, ecs.DefaultTTL, h)
		case deployers.Lambda:
			fmt.Fprintf(&b, "  lambda:    a Lambda function with an IAM-auth Function URL, a log-only role, a log group    per request (~$0)\n")
		}
	}
	where := "prices of " + p.Region
	if region != "" && region != p.Region {
		where += "; " + region + "'s differ by a few per cent"
	}
	fmt.Fprintf(&b, "Estimated: ~$%.4f per hour while it runs (%s, infra/pricing.json as of %s; they change).", total, where, p.QueriedAt)
	return b.String(), nil
}

// Doctor checks, creating nothing, that a run on target (aws or
// localstack) can succeed; c says what the run would be (its region is
// filled in from the configuration). Missing credentials or region are a
// PrereqError, with the report's one row saying so.
func Doctor(ctx context.Context, target string, opts Options, c doctor.Config) (doctor.Report, error) {
	cfg, err := awsConfig(ctx, target, opts)
	if err != nil {
		return doctor.Report{{Check: "credentials", Status: doctor.Fail, Detail: err.Error(),
			Fix: "run `aws configure`, or set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and AWS_REGION"}}, err
	}
	vm, err := ec2.New(cfg)
	if err != nil {
		return nil, &PrereqError{err.Error()}
	}
	var container doctor.ContainerPreflight
	if target == "aws" {
		// On LocalStack the container runs on the local Docker engine.
		if container, err = ecs.New(cfg); err != nil {
			return nil, &PrereqError{err.Error()}
		}
	}
	c.Region = cfg.Region
	c.Emulator = awsenv.TargetOf(cfg) == awsenv.TargetEndpoint
	return doctor.Run(ctx, doctor.NewDeps(cfg, vm, container), c), nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// stillLocal is a local deployer standing in on a cloud target; its
// description says so, and why, so that the report does too.
type stillLocal struct {
	*docker.Deployer
	why string
}

func (s stillLocal) Info() deployers.Info {
	info := s.Deployer.Info()
	info.Description += " — run locally: " + s.why
	return info
}
