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
	id     string
	source string // the SSM parameter or "option"
}

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
	return img, nil
}

// instanceTypes are the burstable types by memory, smallest first: a lab
// needs little CPU, and t3/t4g are the cheapest that have enough memory.
var instanceTypes = []struct {
	memoryMB     int
	amd64, arm64 string
}{
	{512, "t3.nano", "t4g.nano"},
	{1024, "t3.micro", "t4g.micro"},
	{2048, "t3.small", "t4g.small"},
	{4096, "t3.medium", "t4g.medium"},
	{8192, "t3.large", "t4g.large"},
	{16384, "t3.xlarge", "t4g.xlarge"},
	{32768, "t3.2xlarge", "t4g.2xlarge"},
}

// DefaultMemoryMB picks t3.micro / t4g.micro: enough for Amazon Linux and
// the app, and in the free tier of many accounts.
const DefaultMemoryMB = 1024

// instanceType is the override, or the smallest burstable type with at
// least memoryMB.
func (d *Deployer) chooseInstanceType(memoryMB int, arch types.ArchitectureValues) (string, error) {
	if d.instanceType != "" {
		return d.instanceType, nil
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
	return "", fmt.Errorf("memory %d MB: the largest lab instance has %d MB: use less, or pass --instance-type", memoryMB, instanceTypes[len(instanceTypes)-1].memoryMB)
}
