package ecs

import (
	"context"
	"net/netip"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
)

// SecurityGroupInput is the CreateSecurityGroup request Deploy sends for a
// deployment of runID named name in vpc (tags included).
func SecurityGroupInput(runID, name, vpc string) *ec2.CreateSecurityGroupInput {
	return securityGroup(name, vpc, awsenv.TagPairs(runID, deployers.Container), netip.Prefix{}).CreateInput()
}

// Preflight sends the CreateSecurityGroup request Deploy would send, with
// DryRun set: AWS checks the permissions and the tag condition and creates
// nothing. (EC2 is the only service here that offers a dry run; the other
// calls are for `computeladder doctor` to simulate.) An error means the
// default network could not be looked up.
func (d *Deployer) Preflight(ctx context.Context) ([]awsenv.DryRun, error) {
	nw, err := d.defaultNetwork(ctx)
	if err != nil {
		return nil, err
	}
	runID := "doctor-" + deployers.RandomHex(4)
	in := SecurityGroupInput(runID, awsenv.NamePrefix+runID+"-"+deployers.RandomHex(3), nw.vpcID)
	in.DryRun = aws.Bool(true)
	_, err = d.ec2.CreateSecurityGroup(ctx, in)
	return []awsenv.DryRun{{Call: "ec2:CreateSecurityGroup for the container's task (tagged, in " + nw.vpcID + ")", Err: awsenv.DryRunOutcome(err)}}, nil
}
