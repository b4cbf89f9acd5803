package awsenv_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/computeladder/computeladder/deployers/awsenv"
)

type callerSTS struct {
	arn string
	err error
}

func (f callerSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &sts.GetCallerIdentityOutput{Arn: aws.String(f.arn)}, nil
}

func TestWhoamiAndBoundary(t *testing.T) {
	for _, tc := range []struct {
		arn, user, partition, boundary string
	}{
		{"arn:aws:iam::123456789012:user/student", "student", "aws", "arn:aws:iam::123456789012:policy/computeladder-boundary"},
		{"arn:aws:iam::123456789012:user/labs/student", "student", "aws", "arn:aws:iam::123456789012:policy/computeladder-boundary"},
		{"arn:aws:sts::123456789012:assumed-role/Admin/alice", "", "aws", "arn:aws:iam::123456789012:policy/computeladder-boundary"},
		{"arn:aws-cn:iam::210987654321:user/s", "s", "aws-cn", "arn:aws-cn:iam::210987654321:policy/computeladder-boundary"},
	} {
		c, err := awsenv.Whoami(context.Background(), callerSTS{arn: tc.arn})
		if err != nil || c.User != tc.user || c.Partition != tc.partition || c.ARN != tc.arn {
			t.Errorf("Whoami(%s) = %+v, %v", tc.arn, c, err)
		}
		if b, err := awsenv.Boundary(context.Background(), callerSTS{arn: tc.arn}); err != nil || b != tc.boundary {
			t.Errorf("Boundary(%s) = %s, %v; want %s", tc.arn, b, err, tc.boundary)
		}
	}
	if _, err := awsenv.Whoami(context.Background(), callerSTS{err: errors.New("expired token")}); err == nil || !strings.Contains(err.Error(), "check your credentials") {
		t.Errorf("failing STS: %v", err)
	}
}

func TestCheckLabRegion(t *testing.T) {
	for _, r := range awsenv.LabRegions {
		if err := awsenv.CheckLabRegion(r); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
	if err := awsenv.CheckLabRegion("ap-south-1"); err == nil || !strings.Contains(err.Error(), "--region us-east-1") {
		t.Errorf("ap-south-1: %v, want refused with the fix", err)
	}
}
