package ecs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/computeladder/computeladder/deployers/awsenv"
)

// network is where the task runs: the default VPC and one of its default
// subnets, which assign public addresses.
type network struct {
	vpcID, subnetID string
}

// defaultNetwork looks the default VPC and subnet up; it runs before
// anything is created, so that a region without one creates nothing.
func (d *Deployer) defaultNetwork(ctx context.Context) (network, error) {
	vpcs, err := d.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{
		Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}},
	})
	if err != nil {
		return network{}, fmt.Errorf("find default vpc: %w", err)
	}
	if len(vpcs.Vpcs) == 0 {
		return network{}, fmt.Errorf("no default VPC in %s: create one with `aws ec2 create-default-vpc` or pick another region", d.region)
	}
	vpc := aws.ToString(vpcs.Vpcs[0].VpcId)
	subnets, err := d.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{
		Filters: []ec2types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{vpc}},
			{Name: aws.String("default-for-az"), Values: []string{"true"}},
		},
	})
	if err != nil {
		return network{}, fmt.Errorf("find default subnet: %w", err)
	}
	if len(subnets.Subnets) == 0 {
		return network{}, fmt.Errorf("default VPC %s has no default subnet: create one with `aws ec2 create-default-subnet`", vpc)
	}
	// The first availability zone by name, so that runs are comparable.
	s := slices.MinFunc(subnets.Subnets, func(a, b ec2types.Subnet) int {
		return strings.Compare(aws.ToString(a.AvailabilityZone), aws.ToString(b.AvailabilityZone))
	})
	return network{vpcID: vpc, subnetID: aws.ToString(s.SubnetId)}, nil
}

// Size is a valid Fargate CPU (units of 1/1024 vCPU) and memory pair.
type Size struct {
	CPU, MemoryMB int
}

// SizesSource is where Sizes come from, and when they were read.
const SizesSource = "Amazon ECS Developer Guide, \"Troubleshoot Amazon ECS task definition invalid CPU or memory errors\" (https://docs.aws.amazon.com/AmazonECS/latest/userguide/task-cpu-memory-error.html), Linux tasks on Fargate, read 2026-11-30"

// Sizes lists the memory sizes Fargate accepts for each CPU size, as
// SizesSource gives them (8 and 16 vCPU need Linux platform 1.4.0, the
// LATEST one).
var Sizes = []struct {
	cpu      int
	memoryMB []int
}{
	{256, []int{512, 1024, 2048}},
	{512, steps(1024, 4096, 1024)},
	{1024, steps(2048, 8192, 1024)},
	{2048, steps(4096, 16384, 1024)},
	{4096, steps(8192, 30720, 1024)},
	{8192, steps(16384, 61440, 4096)},
	{16384, steps(32768, 122880, 8192)},
}

func steps(from, to, by int) []int {
	var out []int
	for m := from; m <= to; m += by {
		out = append(out, m)
	}
	return out
}

// SizeFor rounds cpus and memoryMB up to the smallest Fargate size that
// holds both: the spec is shared with local backends, whose limits Fargate
// does not offer (256 MB, say).
func SizeFor(cpus float64, memoryMB int) (Size, error) {
	want := int(cpus * 1024)
	for _, s := range Sizes {
		if s.cpu < want {
			continue
		}
		for _, m := range s.memoryMB {
			if m >= memoryMB {
				return Size{CPU: s.cpu, MemoryMB: m}, nil
			}
		}
	}
	return Size{}, fmt.Errorf("spec: %g vCPU with %d MB is larger than Fargate offers (16 vCPU, 122880 MB): ask for less", cpus, memoryMB)
}

// ValidSize checks that vcpu and memoryGB are a task size Fargate runs
// exactly as given (no rounding up, unlike SizeFor): a price is only worth
// quoting for a size one can buy. The error lists the memory sizes valid
// for that CPU, or the CPU sizes.
func ValidSize(vcpu, memoryGB float64) error {
	cpu, mem := vcpu*1024, memoryGB*1024
	var cpus []string
	for _, s := range Sizes {
		cpus = append(cpus, fmt.Sprintf("%g", float64(s.cpu)/1024))
		if float64(s.cpu) != cpu {
			continue
		}
		var gbs []string
		for _, m := range s.memoryMB {
			if float64(m) == mem {
				return nil
			}
			gbs = append(gbs, fmt.Sprintf("%g", float64(m)/1024))
		}
		return fmt.Errorf("fargate task %g vCPU / %g GB: with %g vCPU Fargate offers %s GB (%s)", vcpu, memoryGB, vcpu, strings.Join(gbs, ", "), SizesSource)
	}
	return fmt.Errorf("fargate task %g vCPU / %g GB: Fargate offers %s vCPU (%s)", vcpu, memoryGB, strings.Join(cpus, ", "), SizesSource)
}

func ecsTags(m map[string]string) []ecstypes.Tag {
	return awsenv.Tags(m, func(k, v *string) ecstypes.Tag { return ecstypes.Tag{Key: k, Value: v} })
}

func ecrTags(m map[string]string) []ecrtypes.Tag {
	return awsenv.Tags(m, func(k, v *string) ecrtypes.Tag { return ecrtypes.Tag{Key: k, Value: v} })
}

func iamTags(m map[string]string) []iamtypes.Tag {
	return awsenv.Tags(m, func(k, v *string) iamtypes.Tag { return iamtypes.Tag{Key: k, Value: v} })
}
