package ec2

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
)

// image is the AMI Deploy launches.
type image struct {
	id         string
	source     string // the SSM parameter or "option"
	rootDevice string // where the root volume attaches, e.g. /dev/xvda
	rootGiB    int32  // the root volume's size: the AMI's, at least RootVolumeGiB
}

// The root volume Deploy asks for: typed and sized in the request rather
// than left to the AMI, and deleted with the instance. Amazon Linux 2023's
// own root volume is RootVolumeGiB, which is what the pre-run plan prices;
// an AMI whose snapshot is larger gets a volume of its size.
const (
	RootVolumeGiB  = 8
	RootVolumeType = "gp3"
	// defaultRootDevice is Amazon Linux 2023's, used when the API does
	// not say (emulators).
	defaultRootDevice = "/dev/xvda"
)

// ec2Arch maps GOARCH to the EC2 and SSM architecture names.
func ec2Arch(goarch string) (types.ArchitectureValues, error) {
	switch goarch {
	case "amd64":
		return types.ArchitectureValuesX8664, nil
	case "arm64":
		return types.ArchitectureValuesArm64, nil
	}
	return "", fmt.Errorf("artifacts for %q: EC2 runs amd64 or arm64: rebuild with --arch amd64 or arm64", goarch)
}

// resolveImage finds the AMI (the latest Amazon Linux 2023 unless WithAMI
// chose one) and checks that it exists and matches the binary's
// architecture: RunInstances alone would accept an image the binary cannot
// run on, and an emulator accepts any id at all.
func (d *Deployer) resolveImage(ctx context.Context, arch types.ArchitectureValues) (image, error) {
	img := image{id: d.ami, source: "option"}
	if img.id == "" {
		img.source = fmt.Sprintf(SSMParameterAMI, arch)
		out, err := d.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(img.source)})
		if err != nil {
			return image{}, fmt.Errorf("look up the Amazon Linux 2023 AMI (%s) in %s: %w (check --region, or pass --ami)", img.source, d.region, err)
		}
		if out.Parameter == nil || aws.ToString(out.Parameter.Value) == "" {
			return image{}, fmt.Errorf("look up the Amazon Linux 2023 AMI: %s is empty in %s: pass --ami", img.source, d.region)
		}
		img.id = aws.ToString(out.Parameter.Value)
	}
	out, err := d.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{img.id}})
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &apiErr) && strings.HasPrefix(apiErr.ErrorCode(), "InvalidAMIID"):
		return image{}, fmt.Errorf("ami %s: not found in %s (%s): check --ami and --region", img.id, d.region, apiErr.ErrorCode())
	case err != nil:
		return image{}, fmt.Errorf("describe ami %s: %w", img.id, err)
	case len(out.Images) == 0:
		return image{}, fmt.Errorf("ami %s: not found in %s: check --ami and --region", img.id, d.region)
	}
	im := out.Images[0]
	if im.Architecture != "" && im.Architecture != arch {
		return image{}, fmt.Errorf("ami %s is %s but the VM binary is %s: pass an %s AMI or rebuild for %s", img.id, im.Architecture, arch, arch, im.Architecture)
	}
	if im.State != "" && im.State != types.ImageStateAvailable {
		return image{}, fmt.Errorf("ami %s is %s, not available: pass another --ami", img.id, im.State)
	}
	img.rootDevice = aws.ToString(im.RootDeviceName)
	if img.rootDevice == "" {
		img.rootDevice = defaultRootDevice
	}
	img.rootGiB = RootVolumeGiB
	for _, m := range im.BlockDeviceMappings {
		if aws.ToString(m.DeviceName) == img.rootDevice && m.Ebs != nil {
			img.rootGiB = max(img.rootGiB, aws.ToInt32(m.Ebs.VolumeSize))
		}
	}
	return img, nil
}

// instanceTypes are the burstable types by memory, smallest first: a lab
// needs little CPU, and t3/t4g are the cheapest that have enough memory.
// The list ends at 8 GiB, which bounds what a run can cost per hour; the
// lab policy allows these types only (ec2:InstanceType), and
// infra/pricing.json prices each of them.
var instanceTypes = []struct {
	memoryMB     int
	amd64, arm64 string
}{
	{512, "t3.nano", "t4g.nano"},
	{1024, "t3.micro", "t4g.micro"},
	{2048, "t3.small", "t4g.small"},
	{4096, "t3.medium", "t4g.medium"},
	{8192, "t3.large", "t4g.large"},
}

// InstanceTypes lists every instance type Deploy can launch.
func InstanceTypes() []string {
	var out []string
	for _, it := range instanceTypes {
		out = append(out, it.amd64, it.arm64)
	}
	return out
}

// DefaultMemoryMB picks t3.micro / t4g.micro: enough for Amazon Linux and
// the app, and in the free tier of many accounts.
const DefaultMemoryMB = 1024

// InstanceTypeFor is the smallest burstable type with at least memoryMB
// (0: DefaultMemoryMB) for goarch (amd64 or arm64): what Deploy launches
// unless WithInstanceType overrides it, and what the pre-run plan prices.
func InstanceTypeFor(memoryMB int, goarch string) (string, error) {
	arch, err := ec2Arch(goarch)
	if err != nil {
		return "", err
	}
	if memoryMB == 0 {
		memoryMB = DefaultMemoryMB
	}
	for _, it := range instanceTypes {
		if it.memoryMB >= memoryMB {
			if arch == types.ArchitectureValuesArm64 {
				return it.arm64, nil
			}
			return it.amd64, nil
		}
	}
	return "", fmt.Errorf("memory %d MB: the largest lab instance has %d MB: use less", memoryMB, instanceTypes[len(instanceTypes)-1].memoryMB)
}

// memoryOf is the memory of one of the lab's instance types, 0 for another.
func memoryOf(instanceType string) int {
	for _, it := range instanceTypes {
		if it.amd64 == instanceType || it.arm64 == instanceType {
			return it.memoryMB
		}
	}
	return 0
}

// chooseInstanceType is the override, or InstanceTypeFor.
func (d *Deployer) chooseInstanceType(memoryMB int, goarch string) (string, error) {
	if d.instanceType != "" {
		return d.instanceType, nil
	}
	return InstanceTypeFor(memoryMB, goarch)
}
