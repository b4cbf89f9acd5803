// Package sample is input for the extractor's test: each kind of SDK use
// the extractor must see, and two it must report.
package sample

import (
	"context"

	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

type api interface {
	DescribeVpcs(ctx context.Context, in *awsec2.DescribeVpcsInput, opts ...func(*awsec2.Options)) (*awsec2.DescribeVpcsOutput, error)
}

func calls(ctx context.Context, c *awsec2.Client, s *s3.Client) {
	in := &s3.ListObjectsV2Input{}
	_, _ = s.ListObjectsV2(ctx, in)
	_ = awsec2.NewInstanceTerminatedWaiter(c)
	_ = awsec2.NewDescribeSecurityGroupsPaginator(c, nil)
	_ = awsec2.NewImageAvailableWaiter(c)
	_ = awsec2.NoSuchOpInput{}
}
