package awsenv

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// What the lab user's policy (infra/iam/lab-user-policy.json) expects of
// every request; the policy test holds the policy to these constants.

// LabRegions are the regions the lab policy lets the lab user launch EC2
// instances in (aws:RequestedRegion): regions that offer every instance
// type the VM deployer picks (t3 and t4g). Prices in infra/pricing.json
// are us-east-1's; the others differ by a few per cent.
var LabRegions = []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1"}

// CheckLabRegion says what to do when region is not one of LabRegions.
func CheckLabRegion(region string) error {
	if slices.Contains(LabRegions, region) {
		return nil
	}
	return fmt.Errorf("region %s: the lab policy allows launching in %s only: pass --region %s (or ask your admin to add %s to infra/iam/lab-user-policy.json)",
		region, strings.Join(LabRegions, ", "), LabRegions[0], region)
}

// BoundaryPolicyName is the customer managed policy an administrator
// creates once from infra/iam/lab-role-boundary.json. Every role the lab
// creates carries it as its permissions boundary, and the lab policy
// allows creating (and changing the inline policies of) roles with this
// boundary only: a role the lab user makes can never do more than the
// boundary, whatever policy the user puts on it.
const BoundaryPolicyName = "computeladder-boundary"

// BoundaryARN is the ARN of BoundaryPolicyName in account.
func BoundaryARN(partition, account string) string {
	return "arn:" + partition + ":iam::" + account + ":policy/" + BoundaryPolicyName
}

// STSAPI is the part of the STS client Whoami uses.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Caller is who the credentials belong to.
type Caller struct {
	ARN       string // e.g. arn:aws:iam::123456789012:user/alice
	Account   string
	Partition string // aws, aws-cn, aws-us-gov
	// User is the IAM user name when the caller is an IAM user, else "".
	User string
}

// Whoami asks STS who the credentials are. sts:GetCallerIdentity needs no
// permission (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html,
// read 2026-11-30).
func Whoami(ctx context.Context, api STSAPI) (Caller, error) {
	out, err := api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Caller{}, fmt.Errorf("who am i (sts:GetCallerIdentity): %w: check your credentials", err)
	}
	c := Caller{ARN: aws.ToString(out.Arn), Account: aws.ToString(out.Account)}
	a, err := arn.Parse(c.ARN)
	if err != nil {
		return Caller{}, fmt.Errorf("who am i: caller arn %q: %w", c.ARN, err)
	}
	c.Partition = a.Partition
	if c.Account == "" {
		c.Account = a.AccountID
	}
	if a.Service == "iam" && strings.HasPrefix(a.Resource, "user/") {
		c.User = a.Resource[strings.LastIndex(a.Resource, "/")+1:]
	}
	return c, nil
}

// Boundary returns the ARN of the permissions boundary for the roles of
// the account that api's credentials belong to.
func Boundary(ctx context.Context, api STSAPI) (string, error) {
	c, err := Whoami(ctx, api)
	if err != nil {
		return "", err
	}
	return BoundaryARN(c.Partition, c.Account), nil
}
