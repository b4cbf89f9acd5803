package ec2

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
)

// Launch is what one RunInstances request of Deploy is made of.
type Launch struct {
	RunID         string
	Name          string // the instance's Name tag, unique per deployment
	Image         string
	RootDevice    string // the AMI's root device name
	RootGiB       int32  // the root volume's size (0: RootVolumeGiB)
	InstanceType  string
	Subnet        string
	SecurityGroup string
	UserData      string // the script, before base64
	ClientToken   string
}

// LaunchInput is the RunInstances request for l: Deploy sends it, and
// Preflight sends it with DryRun set, so that what `computeladder doctor`
// checks cannot drift from what a run does.
//
// RunInstances creates an instance, its root volume and its network
// interface, and AWS evaluates the lab policy's aws:RequestTag condition
// for each created resource type on its own: a type left untagged makes
// the whole launch UnauthorizedOperation. So each of the three is tagged
// as it is created; TagSpecifications of RunInstances accepts exactly
// instances, volumes, spot instance requests and network interfaces
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html,
// TagSpecification.N; tag-on-create authorization:
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html;
// both read 2026-11-30).
func LaunchInput(l Launch) *ec2.RunInstancesInput {
	runTags := ec2Tags(l.RunID, nil)
	return &ec2.RunInstancesInput{
		ImageId:      aws.String(l.Image),
		InstanceType: types.InstanceType(l.InstanceType),
		MinCount:     aws.Int32(1),
		MaxCount:     aws.Int32(1),
		// The SDK retries a call with the same token, and EC2 answers a
		// retry with the instance already launched instead of a second
		// one. Unique per deployment and subnet: a token used before would
		// return that (terminated) instance.
		ClientToken: aws.String(l.ClientToken),
		NetworkInterfaces: []types.InstanceNetworkInterfaceSpecification{{
			DeviceIndex:              aws.Int32(0),
			SubnetId:                 aws.String(l.Subnet),
			Groups:                   []string{l.SecurityGroup},
			AssociatePublicIpAddress: aws.Bool(true),
			DeleteOnTermination:      aws.Bool(true),
		}},
		// Typed and sized here, not left to the AMI; deleted with the
		// instance.
		BlockDeviceMappings: []types.BlockDeviceMapping{{
			DeviceName: aws.String(l.RootDevice),
			Ebs: &types.EbsBlockDevice{
				VolumeSize:          aws.Int32(cmp.Or(l.RootGiB, RootVolumeGiB)),
				VolumeType:          types.VolumeType(RootVolumeType),
				DeleteOnTermination: aws.Bool(true),
			},
		}},
		MetadataOptions: &types.InstanceMetadataOptionsRequest{
			HttpEndpoint:            types.InstanceMetadataEndpointStateEnabled,
			HttpTokens:              types.HttpTokensStateRequired,
			HttpPutResponseHopLimit: aws.Int32(1),
		},
		InstanceInitiatedShutdownBehavior: types.ShutdownBehaviorTerminate,
		UserData:                          aws.String(encodeUserData(l.UserData)),
		TagSpecifications: []types.TagSpecification{
			{ResourceType: types.ResourceTypeInstance, Tags: ec2Tags(l.RunID, map[string]string{"Name": l.Name})},
			{ResourceType: types.ResourceTypeVolume, Tags: runTags},
			{ResourceType: types.ResourceTypeNetworkInterface, Tags: runTags},
		},
	}
}

// SecurityGroupInput is the CreateSecurityGroup request Deploy sends for a
// deployment of runID named name in vpc (tags included).
func SecurityGroupInput(runID, name, vpc string) *ec2.CreateSecurityGroupInput {
	return securityGroup(runID, name, vpc, AppPort, netip.Prefix{}).CreateInput()
}

// Preflight sends the CreateSecurityGroup and RunInstances requests that
// Deploy would send for a deployment of memoryMB (0: the default) built
// for goarch, with DryRun set: AWS checks the permissions and the policy's
// conditions (tags, instance type, region) and creates nothing. It looks
// up what Deploy looks up (AMI, default VPC and subnet) first; an error
// means a lookup failed. Two parts of the launch differ from a run's, and
// the result says so: the security group is the VPC's default one (the
// run's own does not exist before the run), and the user data's artifact
// URLs are presigned for a bucket that is never created.
func (d *Deployer) Preflight(ctx context.Context, memoryMB int, goarch string) ([]awsenv.DryRun, error) {
	arch, err := ec2Arch(goarch)
	if err != nil {
		return nil, err
	}
	instanceType, err := d.chooseInstanceType(memoryMB, goarch)
	if err != nil {
		return nil, err
	}
	img, err := d.resolveImage(ctx, arch)
	if err != nil {
		return nil, err
	}
	nw, err := d.defaultNetwork(ctx)
	if err != nil {
		return nil, err
	}
	defaultGroup, err := d.defaultSecurityGroup(ctx, nw.vpc)
	if err != nil {
		return nil, err
	}
	runID := "doctor-" + deployers.RandomHex(4)
	suffix := deployers.RandomHex(4)
	name := resourceName(runID, suffix)

	sgIn := SecurityGroupInput(runID, name, nw.vpc)
	sgIn.DryRun = aws.Bool(true)
	_, sgErr := d.ec2.CreateSecurityGroup(ctx, sgIn)

	bucket := bucketName(runID, suffix)
	userData, err := d.userData(ctx, plan{spec: deployers.Spec{RunID: runID}, binarySHA: zeroSHA, unitSHA: zeroSHA}, bucket)
	if err != nil {
		return nil, err
	}
	subnet := nw.subnets[0]
	runIn := LaunchInput(Launch{
		RunID: runID, Name: name, Image: img.id, RootDevice: img.rootDevice, RootGiB: img.rootGiB, InstanceType: instanceType,
		Subnet: aws.ToString(subnet.SubnetId), SecurityGroup: defaultGroup, UserData: userData,
		ClientToken: clientToken(runID, suffix, 0),
	})
	runIn.DryRun = aws.Bool(true)
	_, runErr := d.ec2.RunInstances(ctx, runIn)
	return []awsenv.DryRun{
		{Call: "ec2:CreateSecurityGroup (tagged, in " + nw.vpc + ")", Err: awsenv.DryRunOutcome(sgErr)},
		{
			Call: fmt.Sprintf("ec2:RunInstances (%s, %s, %d GiB %s, instance, volume and network interface tagged, in %s)",
				instanceType, img.id, img.rootGiB, RootVolumeType, aws.ToString(subnet.AvailabilityZone)),
			Err:  awsenv.DryRunOutcome(runErr),
			Note: "with the VPC's default security group in place of the run's own, which does not exist yet",
		},
	}, nil
}

// zeroSHA stands in for an artifact's digest in a dry run's user data.
const zeroSHA = "0000000000000000000000000000000000000000000000000000000000000000"

// defaultSecurityGroup is the id of vpc's default security group.
func (d *Deployer) defaultSecurityGroup(ctx context.Context, vpc string) (string, error) {
	out, err := d.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpc}},
		{Name: aws.String("group-name"), Values: []string{"default"}},
	}})
	if err != nil {
		return "", fmt.Errorf("look up the default security group of %s: %w", vpc, err)
	}
	if len(out.SecurityGroups) == 0 {
		return "", errors.New("vpc " + vpc + " has no default security group")
	}
	return aws.ToString(out.SecurityGroups[0].GroupId), nil
}
