package ec2

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
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

// publicAddress asks url (checkip.amazonaws.com) for the caller's public
// address: behind NAT, only a service outside can tell.
func publicAddress(ctx context.Context, client *http.Client, url string) (netip.Addr, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return netip.Addr{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return netip.Addr{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return netip.Addr{}, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256))
	if err != nil {
		return netip.Addr{}, err
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(string(body)))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("GET %s: not an address: %w", url, err)
	}
	return addr.Unmap(), nil
}

// resolveIngress returns the only source the security group lets in and
// where it came from.
func (d *Deployer) resolveIngress(ctx context.Context) (netip.Prefix, string, error) {
	if d.ingress.IsValid() {
		return d.ingress, "option", nil
	}
	if d.emulator {
		p, err := endpointLoopback(d.endpoint)
		if err != nil {
			return netip.Prefix{}, "", err
		}
		return p, "emulator endpoint host: the caller's public address cannot be discovered through an emulator", nil
	}
	addr, err := d.lookupAddr(ctx)
	if err != nil {
		return netip.Prefix{}, "", fmt.Errorf("find your public address: %w: pass it with --ingress, e.g. 203.0.113.7/32", err)
	}
	if !addr.IsGlobalUnicast() || addr.IsPrivate() {
		return netip.Prefix{}, "", fmt.Errorf("find your public address: %s is not public: pass it with --ingress, e.g. 203.0.113.7/32", addr)
	}
	return netip.PrefixFrom(addr, addr.BitLen()), checkIPURL, nil
}

// endpointLoopback is the ingress on an emulator: the endpoint host's
// address /32 when it is a loopback address. Anything else would guess.
func endpointLoopback(endpoint string) (netip.Prefix, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Hostname() == "" {
		return netip.Prefix{}, fmt.Errorf("emulator endpoint %q: cannot tell the ingress address: pass it with --ingress", endpoint)
	}
	host := u.Hostname()
	if host == "localhost" {
		host = "127.0.0.1"
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !addr.IsLoopback() {
		return netip.Prefix{}, fmt.Errorf("emulator endpoint %q is not on a loopback address: pass the ingress address with --ingress", endpoint)
	}
	addr = addr.Unmap()
	return netip.PrefixFrom(addr, addr.BitLen()), nil
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

// createSecurityGroup creates the group that lets only ingress reach the app
// port. A new group allows all egress (the instance fetches its artifacts
// from S3 and its packages from the Amazon Linux repositories) and no
// ingress until the one rule below.
func (d *Deployer) createSecurityGroup(ctx context.Context, runID, name, vpc string, ingress netip.Prefix) (string, error) {
	out, err := d.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName:   aws.String(name),
		Description: aws.String("computeladder VM variant, run " + runID + ": app port from the caller only"),
		VpcId:       aws.String(vpc),
		TagSpecifications: []types.TagSpecification{{
			ResourceType: types.ResourceTypeSecurityGroup,
			Tags:         ec2Tags(runID, map[string]string{"Name": name}),
		}},
	})
	if err != nil {
		return "", fmt.Errorf("create security group %s: %w", name, err)
	}
	id := aws.ToString(out.GroupId)
	perm := types.IpPermission{
		IpProtocol: aws.String("tcp"),
		FromPort:   aws.Int32(int32(d.appPort)),
		ToPort:     aws.Int32(int32(d.appPort)),
	}
	desc := aws.String("computeladder app port, caller only")
	if ingress.Addr().Is4() {
		perm.IpRanges = []types.IpRange{{CidrIp: aws.String(ingress.String()), Description: desc}}
	} else {
		perm.Ipv6Ranges = []types.Ipv6Range{{CidrIpv6: aws.String(ingress.String()), Description: desc}}
	}
	if _, err := d.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId:       aws.String(id),
		IpPermissions: []types.IpPermission{perm},
	}); err != nil {
		return id, fmt.Errorf("open port %d of %s to %s: %w", d.appPort, id, ingress, err)
	}
	return id, nil
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
