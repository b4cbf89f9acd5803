// Package awsenv turns the user's choice of target (a real AWS account,
// LocalStack, or any AWS-compatible endpoint such as moto) into an aws.Config
// that every cloud deployer shares, and holds what those deployers have in
// common: the tag pairs every resource carries, the S3 client options an
// emulator needs, a SigV4-signing http.RoundTripper for Function URLs that
// use AWS_IAM auth, the one lookup of the caller's public address and the
// ingress it gives (ingress.go), the security group that opens an app port
// to it and the reading of EC2 dry runs (securitygroup.go), and what the lab
// policy expects of every request: its regions and the roles' permissions
// boundary (lab.go).
//
// Load checks the region and retrieves the credentials once, so that a
// missing region or missing credentials fail with a one-line error before
// any deployer creates anything.
package awsenv

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/computeladder/computeladder/deployers"
)

// Targets accepted by Config.Target.
const (
	// TargetAWS is a real AWS account through the standard chain (profile,
	// environment, shared config); AWS_ENDPOINT_URL is honoured by the SDK.
	TargetAWS = "aws"
	// TargetLocalStack is LocalStack: DefaultLocalStackEndpoint, test
	// credentials and us-east-1 unless told otherwise.
	TargetLocalStack = "localstack"
	// TargetEndpoint is any AWS-compatible endpoint (moto, a proxy); it
	// needs Config.Endpoint and uses the standard chain for the rest.
	TargetEndpoint = "endpoint"
)

// Defaults of the localstack target.
const (
	DefaultLocalStackEndpoint = "http://localhost:4566"
	DefaultLocalStackRegion   = "us-east-1"
	// LocalStack accepts any credentials; these are the ones its docs use.
	localStackAccessKey = "test"
	localStackSecretKey = "test"
)

// TagVariant is the AWS tag key holding the variant; deployers.TagRunID holds
// the run id.
const TagVariant = "computeladder:variant"

// NamePrefix starts the name of every named resource, so that an IAM policy
// can narrow the lab user's rights to "computeladder-*".
const NamePrefix = "computeladder-"

// credentialsTimeout bounds the one credential retrieval Load makes: the
// chain may end at the instance metadata service, which does not answer
// off EC2.
const credentialsTimeout = 10 * time.Second

// Config says which AWS-compatible API to talk to. Zero values take the
// defaults of the target.
type Config struct {
	// Target is "aws" (default), "localstack" or "endpoint".
	Target string
	// Endpoint is the base URL of the API (all services); required for
	// "endpoint", optional for "localstack". For "aws" use AWS_ENDPOINT_URL.
	Endpoint string
	// Region overrides the region of the chain (AWS_REGION, the profile).
	Region string
	// Profile selects a shared config profile (like AWS_PROFILE).
	Profile string
}

// Load builds the aws.Config for c and checks it: an unknown target, a bad
// endpoint, a missing region or credentials that cannot be retrieved give a
// one-line error that says what to do.
func Load(ctx context.Context, c Config) (aws.Config, error) {
	target := c.Target
	if target == "" {
		target = TargetAWS
	}
	endpoint := c.Endpoint
	region := c.Region
	var opts []func(*config.LoadOptions) error
	switch target {
	case TargetAWS:
		if endpoint != "" {
			return aws.Config{}, fmt.Errorf("aws config: an endpoint needs --target endpoint or localstack (or set AWS_ENDPOINT_URL)")
		}
	case TargetLocalStack:
		if endpoint == "" {
			endpoint = DefaultLocalStackEndpoint
		}
		if region == "" {
			region = DefaultLocalStackRegion
		}
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(localStackAccessKey, localStackSecretKey, "")))
	case TargetEndpoint:
		if endpoint == "" {
			return aws.Config{}, errors.New("aws config: target endpoint needs --endpoint URL (e.g. http://127.0.0.1:5000)")
		}
	default:
		return aws.Config{}, fmt.Errorf("aws config: unknown target %q: use aws, localstack or endpoint", c.Target)
	}
	if endpoint != "" {
		if err := checkEndpoint(endpoint); err != nil {
			return aws.Config{}, err
		}
		opts = append(opts, config.WithBaseEndpoint(endpoint))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if c.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w (check --profile, AWS_PROFILE and ~/.aws/config)", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("aws config: no region: set AWS_REGION, --region or a region in your profile")
	}
	if err := checkCredentials(ctx, cfg); err != nil {
		return aws.Config{}, err
	}
	return cfg, nil
}

func checkEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("aws config: endpoint %q: use a URL such as http://localhost:4566", endpoint)
	}
	return nil
}

// checkCredentials retrieves the credentials once; the config's provider
// caches them, so deployers do not pay for it again.
func checkCredentials(ctx context.Context, cfg aws.Config) error {
	if cfg.Credentials == nil {
		return errors.New("aws config: no credentials: run `aws configure`, set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
	}
	ctx, cancel := context.WithTimeout(ctx, credentialsTimeout)
	defer cancel()
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("aws config: no credentials: %w: run `aws configure`, set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY", err)
	}
	if !creds.HasKeys() {
		return errors.New("aws config: no credentials: the chain returned empty keys: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
	}
	return nil
}

// TagPairs returns the tags every resource of a run carries — the run id,
// the variant and the owner (this process, deployers.Self) —; each package
// converts them to its service's tag type.
func TagPairs(runID string, variant deployers.Variant) map[string]string {
	return map[string]string{
		deployers.TagRunID: runID,
		TagVariant:         string(variant),
		deployers.TagOwner: deployers.Self(),
	}
}

// Tags converts tag pairs to a service's tag type, in key order (so that
// requests are stable), e.g.
//
//	awsenv.Tags(pairs, func(k, v *string) ec2types.Tag { return ec2types.Tag{Key: k, Value: v} })
func Tags[T any](pairs map[string]string, tag func(key, value *string) T) []T {
	out := make([]T, 0, len(pairs))
	for _, k := range slices.Sorted(maps.Keys(pairs)) {
		out = append(out, tag(aws.String(k), aws.String(pairs[k])))
	}
	return out
}

// TargetOf says what cfg talks to, and is the Info().Target of every cloud
// deployer: TargetEndpoint when cfg has a custom endpoint (LocalStack, moto
// or any AWS-compatible API, named by Config.Endpoint or AWS_ENDPOINT_URL),
// TargetAWS when it has none. A config does not say which emulator is
// behind an endpoint, so LocalStack is an endpoint too; the harness names
// the target the user chose in its reports.
func TargetOf(cfg aws.Config) string {
	if aws.ToString(cfg.BaseEndpoint) != "" {
		return TargetEndpoint
	}
	return TargetAWS
}

// S3Options returns the S3 client option an API other than AWS needs:
// path-style addressing whenever the config has a custom endpoint
// (LocalStack, moto, AWS_ENDPOINT_URL), because virtual-host-style bucket
// names would not resolve there.
func S3Options(cfg aws.Config) func(*s3.Options) {
	return func(o *s3.Options) {
		if TargetOf(cfg) == TargetEndpoint {
			o.UsePathStyle = true
		}
	}
}
