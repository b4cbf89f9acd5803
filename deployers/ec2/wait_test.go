package ec2

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// stateSequence answers DescribeInstances with one state after another
// (the last again once they run out; "" for an error, "unknown" for an
// instance EC2 no longer knows); other calls panic through the nil
// embedded interface.
type stateSequence struct {
	EC2API
	mu     sync.Mutex
	states []types.InstanceStateName
	calls  int
}

func (s *stateSequence) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.states[min(s.calls, len(s.states)-1)]
	s.calls++
	switch st {
	case "":
		return nil, &smithy.GenericAPIError{Code: "RequestLimitExceeded", Message: "slow down"}
	case "unknown":
		return nil, &smithy.GenericAPIError{Code: "InvalidInstanceID.NotFound", Message: "gone"}
	}
	return &ec2.DescribeInstancesOutput{Reservations: []types.Reservation{{Instances: []types.Instance{{
		InstanceId: aws.String(in.InstanceIds[0]), State: &types.InstanceState{Name: st},
	}}}}}, nil
}

// TestWaitTerminated runs the InstanceTerminated waiter as teardown reads
// it: a stale "pending" right after the terminate request and a failed
// check are waited out (the waiter's own model gives up on pending), an
// instance EC2 no longer knows is gone, and one that never terminates runs
// out with the state last seen.
func TestWaitTerminated(t *testing.T) {
	for _, tt := range []struct {
		name      string
		states    []types.InstanceStateName
		wantCalls int
		wantErr   string
	}{
		{"pending, shutting down, terminated", []types.InstanceStateName{"pending", "", "shutting-down", "terminated"}, 4, ""},
		{"no longer known", []types.InstanceStateName{"shutting-down", "unknown"}, 2, ""},
		{"stuck", []types.InstanceStateName{"shutting-down"}, -1, "last seen shutting-down"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := &stateSequence{states: tt.states}
			d := &Deployer{ec2: fake, pollInterval: time.Millisecond, terminateWait: 200 * time.Millisecond}
			err := d.waitTerminated(context.Background(), "i-1")
			if tt.wantErr == "" {
				if err != nil || fake.calls != tt.wantCalls {
					t.Errorf("waitTerminated = %v after %d checks, want nil after %d", err, fake.calls, tt.wantCalls)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "i-1") {
				t.Errorf("waitTerminated = %v, want the instance and %q", err, tt.wantErr)
			}
		})
	}
}
