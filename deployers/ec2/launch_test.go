package ec2

import (
	"context"
	"encoding/base64"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
	"github.com/computeladder/computeladder/deployers/awsenv/awstest"
)

// TestLaunchInputTagsWhatItCreates checks the request Deploy and Preflight
// send: RunInstances creates an instance, its root volume and its network
// interface, and each carries the run's tags as it is created (AWS checks
// the lab policy's tag condition per created type). infra/iam's policy test
// reads the same request.
func TestLaunchInputTagsWhatItCreates(t *testing.T) {
	in := LaunchInput(Launch{RunID: "r1", Name: "computeladder-r1-vm-x", Image: "ami-1", RootDevice: "/dev/xvda",
		InstanceType: "t3.micro", Subnet: "subnet-1", SecurityGroup: "sg-1", UserData: "#!/bin/sh", ClientToken: "tok"})
	var typed []string
	for _, ts := range in.TagSpecifications {
		typed = append(typed, string(ts.ResourceType))
		if tagValue(ts.Tags, deployers.TagRunID) != "r1" || tagValue(ts.Tags, awsenv.TagVariant) != "vm" {
			t.Errorf("%s tags %v: want the run id and variant", ts.ResourceType, ts.Tags)
		}
	}
	slices.Sort(typed)
	if want := []string{"instance", "network-interface", "volume"}; !slices.Equal(typed, want) {
		t.Errorf("tagged on create: %v, want %v", typed, want)
	}
	bdm := in.BlockDeviceMappings
	if len(bdm) != 1 || aws.ToString(bdm[0].DeviceName) != "/dev/xvda" || aws.ToInt32(bdm[0].Ebs.VolumeSize) != RootVolumeGiB ||
		string(bdm[0].Ebs.VolumeType) != RootVolumeType || !aws.ToBool(bdm[0].Ebs.DeleteOnTermination) {
		t.Errorf("block devices %+v: want the root volume, %d GiB %s, deleted with the instance", bdm, RootVolumeGiB, RootVolumeType)
	}
	if ni := in.NetworkInterfaces; len(ni) != 1 || !aws.ToBool(ni[0].DeleteOnTermination) || !slices.Equal(ni[0].Groups, []string{"sg-1"}) {
		t.Errorf("network interface %+v: want one, in sg-1, deleted with the instance", ni)
	}
	if in.DryRun != nil {
		t.Error("LaunchInput sets DryRun: only Preflight may")
	}
}

// recordingEC2 keeps the requests Preflight sends.
type recordingEC2 struct {
	EC2API
	runs   []*ec2.RunInstancesInput
	groups []*ec2.CreateSecurityGroupInput
}

func (r *recordingEC2) RunInstances(ctx context.Context, in *ec2.RunInstancesInput, opts ...func(*ec2.Options)) (*ec2.RunInstancesOutput, error) {
	r.runs = append(r.runs, in)
	return r.EC2API.RunInstances(ctx, in, opts...)
}

func (r *recordingEC2) CreateSecurityGroup(ctx context.Context, in *ec2.CreateSecurityGroupInput, opts ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error) {
	r.groups = append(r.groups, in)
	return r.EC2API.CreateSecurityGroup(ctx, in, opts...)
}

// TestPreflightDryRunsOnMoto sends the dry runs to moto, which answers
// DryRunOperation as AWS does when a request would succeed, and checks
// that nothing was created and that the requests are the deployer's own.
func TestPreflightDryRunsOnMoto(t *testing.T) {
	cfg := awstest.Moto(t)
	rec := &recordingEC2{EC2API: ec2.NewFromConfig(cfg)}
	s3c := s3.NewFromConfig(cfg, awsenv.S3Options(cfg))
	d := newMoto(t, cfg, withClients(rec, s3c, s3.NewPresignClient(s3c), ssm.NewFromConfig(cfg)))
	got, err := d.Preflight(ctxT(t), 2048, "arm64")
	if err != nil {
		t.Fatalf("preflight: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("dry runs %+v: want the security group and the launch", got)
	}
	for _, r := range got {
		if r.Err != nil {
			t.Errorf("%s: %v, want allowed (moto answers DryRunOperation)", r.Call, r.Err)
		}
	}
	if !strings.Contains(got[1].Call, "t4g.small") || got[1].Note == "" {
		t.Errorf("launch row %+v: want the instance type and what differs from a run", got[1])
	}
	if len(rec.runs) != 1 || len(rec.groups) != 1 || !aws.ToBool(rec.runs[0].DryRun) || !aws.ToBool(rec.groups[0].DryRun) {
		t.Fatalf("requests sent: %d launches, %d groups: want one of each, with DryRun", len(rec.runs), len(rec.groups))
	}
	run := rec.runs[0]
	runID := tagValue(run.TagSpecifications[0].Tags, deployers.TagRunID)
	// The same builder as Deploy's: only DryRun differs.
	want := LaunchInput(Launch{RunID: runID, Name: tagValue(run.TagSpecifications[0].Tags, "Name"), Image: aws.ToString(run.ImageId),
		RootDevice: aws.ToString(run.BlockDeviceMappings[0].DeviceName), RootGiB: aws.ToInt32(run.BlockDeviceMappings[0].Ebs.VolumeSize),
		InstanceType: "t4g.small", Subnet: aws.ToString(run.NetworkInterfaces[0].SubnetId), SecurityGroup: run.NetworkInterfaces[0].Groups[0],
		UserData: mustDecode(t, aws.ToString(run.UserData)), ClientToken: aws.ToString(run.ClientToken)})
	want.DryRun = aws.Bool(true)
	if !reflect.DeepEqual(want, run) {
		t.Errorf("dry-run launch differs from LaunchInput's:\n got %+v\nwant %+v", run, want)
	}
	if rs, err := d.List(ctxT(t), runID); err != nil || len(rs) != 0 {
		t.Errorf("after preflight: %v %v, want nothing created", rs, err)
	}
}

// TestPreflightReportsDenial checks that an UnauthorizedOperation answer
// (what AWS gives when the policy does not allow the request) is a denied
// row, not an error of the preflight.
func TestPreflightReportsDenial(t *testing.T) {
	cfg := awstest.Moto(t)
	s3c := s3.NewFromConfig(cfg, awsenv.S3Options(cfg))
	d := newMoto(t, cfg, withClients(denyingRun{ec2.NewFromConfig(cfg)}, s3c, s3.NewPresignClient(s3c), ssm.NewFromConfig(cfg)))
	got, err := d.Preflight(ctxT(t), 0, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Err != nil || !errors.Is(got[1].Err, awsenv.ErrDryRunDenied) {
		t.Errorf("dry runs %+v: want the group allowed and the launch denied", got)
	}
}

type denyingRun struct{ EC2API }

func (denyingRun) RunInstances(context.Context, *ec2.RunInstancesInput, ...func(*ec2.Options)) (*ec2.RunInstancesOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation."}
}

func mustDecode(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("user data: %v", err)
	}
	return string(b)
}
