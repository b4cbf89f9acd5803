package awsenv

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// SecurityGroup is the group that opens one deployment's app port to one
// source range. The EC2 and ECS deployers build their groups from it, and
// `computeladder doctor` dry-runs the very request it builds.
type SecurityGroup struct {
	Name        string
	Description string
	VPC         string
	// Tags go on the group as it is created (TagSpecifications): the lab
	// policy allows ec2:CreateSecurityGroup only with the run-id tag in
	// the request.
	Tags    map[string]string
	Port    int32
	Ingress netip.Prefix
}

// CreateInput is the CreateSecurityGroup request for g, tags included.
func (g SecurityGroup) CreateInput() *ec2.CreateSecurityGroupInput {
	return &ec2.CreateSecurityGroupInput{
		GroupName:   aws.String(g.Name),
		Description: aws.String(g.Description),
		VpcId:       aws.String(g.VPC),
		TagSpecifications: []ec2types.TagSpecification{{
			ResourceType: ec2types.ResourceTypeSecurityGroup,
			Tags:         EC2Tags(g.Tags),
		}},
	}
}

// IngressInput opens g's port on the group id to g's source range only.
func (g SecurityGroup) IngressInput(id string) *ec2.AuthorizeSecurityGroupIngressInput {
	perm := ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(g.Port), ToPort: aws.Int32(g.Port)}
	desc := aws.String("computeladder app port, caller only")
	if g.Ingress.Addr().Is4() {
		perm.IpRanges = []ec2types.IpRange{{CidrIp: aws.String(g.Ingress.String()), Description: desc}}
	} else {
		perm.Ipv6Ranges = []ec2types.Ipv6Range{{CidrIpv6: aws.String(g.Ingress.String()), Description: desc}}
	}
	return &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: []ec2types.IpPermission{perm}}
}

// SecurityGroupAPI is the part of the EC2 client CreateSecurityGroup uses.
type SecurityGroupAPI interface {
	CreateSecurityGroup(ctx context.Context, in *ec2.CreateSecurityGroupInput, opts ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error)
	AuthorizeSecurityGroupIngress(ctx context.Context, in *ec2.AuthorizeSecurityGroupIngressInput, opts ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error)
}

// CreateSecurityGroup creates g and opens its port. A new group allows all
// egress and no ingress until that one rule. The id comes back with the
// error of a failed ingress rule, so that the caller removes the group.
func CreateSecurityGroup(ctx context.Context, api SecurityGroupAPI, g SecurityGroup) (string, error) {
	out, err := api.CreateSecurityGroup(ctx, g.CreateInput())
	if err != nil {
		return "", fmt.Errorf("create security group %s: %w", g.Name, err)
	}
	id := aws.ToString(out.GroupId)
	if _, err := api.AuthorizeSecurityGroupIngress(ctx, g.IngressInput(id)); err != nil {
		return id, fmt.Errorf("open port %d of %s to %s: %w", g.Port, id, g.Ingress, err)
	}
	return id, nil
}

// EC2Tags converts tag pairs to EC2 tags, in key order.
func EC2Tags(pairs map[string]string) []ec2types.Tag {
	return Tags(pairs, func(k, v *string) ec2types.Tag { return ec2types.Tag{Key: k, Value: v} })
}

// DryRun is what a request sent with DryRun=true says about the real one.
type DryRun struct {
	// Call names the request, e.g. "ec2:RunInstances (t3.micro, tagged)".
	Call string
	// Err is nil when AWS answered DryRunOperation: the request would
	// have succeeded, permissions and conditions included. Otherwise it
	// says why not (ErrDryRunDenied for UnauthorizedOperation).
	Err error
	// Note says what differs from the real request, if anything.
	Note string
}

// ErrDryRunDenied marks a dry run that AWS refused with
// UnauthorizedOperation: the caller's policy does not allow the request.
var ErrDryRunDenied = errors.New("not allowed")

// DryRunOutcome turns the answer to a request sent with DryRun=true into
// nil (allowed) or the reason it is not. EC2 answers a dry run with the
// error DryRunOperation when the request would have succeeded and with
// UnauthorizedOperation when it would not
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/CommonParameters.html,
// DryRun; read 2026-11-30). A nil error is not success either: it means
// the API ignored DryRun and may have created something.
func DryRunOutcome(err error) error {
	var ae smithy.APIError
	switch {
	case err == nil:
		return errors.New("the API ignored DryRun and answered as if it ran the request: check the endpoint")
	case errors.As(err, &ae) && ae.ErrorCode() == "DryRunOperation":
		return nil
	case errors.As(err, &ae) && ae.ErrorCode() == "UnauthorizedOperation":
		msg := ae.ErrorMessage()
		if i := strings.Index(msg, "Encoded authorization failure message:"); i >= 0 {
			msg = strings.TrimSpace(msg[:i]) + " (decode the details with `aws sts decode-authorization-message`)"
		}
		return fmt.Errorf("%w: %s", ErrDryRunDenied, msg)
	}
	return err
}
