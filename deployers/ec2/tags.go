package ec2

import (
	"maps"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
)

// resourceName names the security group (and the instance's Name tag): the
// prefix lets an IAM policy narrow the lab user to computeladder-*, the
// suffix keeps two deployments of one run apart.
func resourceName(runID, suffix string) string {
	return awsenv.NamePrefix + runID + "-vm-" + suffix
}

// pairs is the run's tags plus extra.
func pairs(runID string, extra map[string]string) map[string]string {
	m := awsenv.TagPairs(runID, deployers.VM)
	maps.Copy(m, extra)
	return m
}

func ec2Tags(runID string, extra map[string]string) []ec2types.Tag {
	return awsenv.EC2Tags(pairs(runID, extra))
}

func s3Tags(runID string) []s3types.Tag {
	return awsenv.Tags(pairs(runID, nil), func(k, v *string) s3types.Tag { return s3types.Tag{Key: k, Value: v} })
}

// tagFilters select the VM variant's resources of runID (every run's when
// empty) on the EC2 API.
func tagFilters(runID string) []ec2types.Filter {
	f := []ec2types.Filter{{Name: aws.String("tag:" + awsenv.TagVariant), Values: []string{string(deployers.VM)}}}
	if runID == "" {
		return append(f, ec2types.Filter{Name: aws.String("tag-key"), Values: []string{deployers.TagRunID}})
	}
	return append(f, ec2types.Filter{Name: aws.String("tag:" + deployers.TagRunID), Values: []string{runID}})
}

func tagValue(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}
