package ec2

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/computeladder/computeladder/deployers/awsenv"
)

// regionPattern matches AWS region names (us-east-1, ap-southeast-2,
// us-gov-west-1, eu-isoe-west-1); the SDK accepts any string and would fail
// later with a DNS error.
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

func checkRegion(region string) error {
	if region == "" {
		return errors.New("ec2: no region: set AWS_REGION or --region (load the config with awsenv.Load)")
	}
	if !regionPattern.MatchString(region) {
		return fmt.Errorf("ec2: region %q is not an AWS region name: use one such as us-east-1", region)
	}
	return nil
}

// resolveIngress returns the only source the security group lets in.
func (d *Deployer) resolveIngress(ctx context.Context) (awsenv.Ingress, error) {
	endpoint := ""
	if d.emulator {
		endpoint = d.endpoint
	}
	return awsenv.ResolveIngress(ctx, endpoint, d.ingress, d.lookupAddr)
}

// network is the default VPC and its default subnets, in zone order.
type network struct {
	vpc     string
	subnets []types.Subnet
}

func (d *Deployer) defaultNetwork(ctx context.Context) (network, error) {
	vpcs, err := d.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{
		Filters: []types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}},
	})
	if err != nil {
		return network{}, fmt.Errorf("look up default vpc in %s: %w (check --region and your credentials)", d.region, err)
	}
	if len(vpcs.Vpcs) == 0 {
		return network{}, fmt.Errorf("no default vpc in %s: create one with `aws ec2 create-default-vpc --region %s`", d.region, d.region)
	}
	vpc := aws.ToString(vpcs.Vpcs[0].VpcId)
	subnets, err := d.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{
		Filters: []types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{vpc}},
			{Name: aws.String("default-for-az"), Values: []string{"true"}},
		},
	})
	if err != nil {
		return network{}, fmt.Errorf("look up default subnets of %s: %w", vpc, err)
	}
	if len(subnets.Subnets) == 0 {
		return network{}, fmt.Errorf("default vpc %s has no default subnet: create one with `aws ec2 create-default-subnet --availability-zone %sa`", vpc, d.region)
	}
	sn := slices.Clone(subnets.Subnets)
	slices.SortFunc(sn, func(a, b types.Subnet) int {
		return strings.Compare(aws.ToString(a.AvailabilityZone), aws.ToString(b.AvailabilityZone))
	})
	return network{vpc: vpc, subnets: sn}, nil
}

// securityGroup is the group that lets only ingress reach the app port. A
// new group allows all egress (the instance fetches its artifacts from S3
// and its packages from the Amazon Linux repositories).
func securityGroup(runID, name, vpc string, port int, ingress netip.Prefix) awsenv.SecurityGroup {
	return awsenv.SecurityGroup{
		Name:        name,
		Description: "computeladder VM variant, run " + runID + ": app port from the caller only",
		VPC:         vpc,
		Tags:        pairs(runID, map[string]string{"Name": name}),
		Port:        int32(port),
		Ingress:     ingress,
	}
}

// dialable reports whether a TCP connection to addr can be opened.
func dialable(ctx context.Context, addr string, timeout time.Duration) bool {
	dialer := net.Dialer{Timeout: timeout}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
