package targets

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
	"github.com/computeladder/computeladder/deployers/awslambda"
	"github.com/computeladder/computeladder/deployers/docker"
	"github.com/computeladder/computeladder/deployers/ec2"
	"github.com/computeladder/computeladder/deployers/ecs"
	"github.com/computeladder/computeladder/harness/cost"
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
	for _, v := range variants {
		var d deployers.Deployer
		switch v {
		case deployers.VM:
			eo := []ec2.Option{ec2.WithLogger(opts.Logger)}
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
			co := []ecs.Option{ecs.WithLogger(opts.Logger)}
			if opts.Ingress.IsValid() {
				co = append(co, ecs.WithIngress(opts.Ingress))
			}
			d, err = ecs.New(cfg, co...)
		case deployers.Function:
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

// Plan describes what a run on real AWS creates for variants and what it
// costs per hour while it runs, so that the user can say yes first.
func Plan(variants []deployers.Variant, region string) (string, error) {
	p, err := cost.Default()
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
			h := p.EC2.Instances["t3.micro"].Hourly + ipv4
			total += h
			fmt.Fprintf(&b, "  vm:        an EC2 t3.micro instance with a public IPv4 address (terminates itself after its time limit),\n"+
				"             a security group open on the app port to your address only, a private S3 bucket   ~$%.4f/hour\n", h)
		case deployers.Container:
			r := p.Fargate.Rate(cost.X86)
			h := 0.25*r.VCPUHour + 0.5*r.GBHour + ipv4
			total += h
			fmt.Fprintf(&b, "  container: an ECR repository, an ECS cluster and a Fargate task (0.25 vCPU, 0.5 GB) with a public IPv4\n"+
				"             address, a security group open to your address only, a log group                 ~$%.4f/hour\n", h)
		case deployers.Function:
			fmt.Fprintf(&b, "  lambda:    a Lambda function with an IAM-auth Function URL, a log-only role, a log group    per request (~$0)\n")
		}
	}
	fmt.Fprintf(&b, "Estimated: ~$%.4f per hour while it runs (prices of %s; they change).", total, p.QueriedAt)
	return b.String(), nil
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
