package ecs

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// taskSequence answers DescribeTasks with one status after another (the
// last again once they run out; "" for a task ECS no longer knows) and
// records StopTask; other calls panic through the nil embedded interface.
type taskSequence struct {
	ECSAPI
	mu       sync.Mutex
	statuses []string
	calls    int
	stopped  bool
}

func (s *taskSequence) DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.statuses[min(s.calls, len(s.statuses)-1)]
	s.calls++
	if st == "" {
		return &ecs.DescribeTasksOutput{Failures: []ecstypes.Failure{{Reason: aws.String("MISSING")}}}, nil
	}
	return &ecs.DescribeTasksOutput{Tasks: []ecstypes.Task{{LastStatus: aws.String(st)}}}, nil
}

func (s *taskSequence) StopTask(context.Context, *ecs.StopTaskInput, ...func(*ecs.Options)) (*ecs.StopTaskOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	return &ecs.StopTaskOutput{}, nil
}

// TestStopTaskWaits runs the TasksStopped waiter as teardown reads it: a
// task on its way down is waited for, one ECS no longer knows is gone, and
// one that never stops runs out with the status last seen.
func TestStopTaskWaits(t *testing.T) {
	for _, tt := range []struct {
		name      string
		statuses  []string
		wantCalls int
		wantErr   string
	}{
		{"stops", []string{"RUNNING", "DEACTIVATING", "STOPPING", "STOPPED"}, 4, ""},
		{"forgotten", []string{"RUNNING", "STOPPING", ""}, 3, ""},
		{"stuck", []string{"RUNNING"}, -1, "task still RUNNING after 200ms"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := &taskSequence{statuses: tt.statuses}
			d := &Deployer{ecs: fake, pollInterval: time.Millisecond, stopWait: 200 * time.Millisecond}
			err := d.stopTask(context.Background(), "c", "arn:aws:ecs:us-east-1:1:task/c/x")
			if !fake.stopped {
				t.Error("StopTask was not called")
			}
			if tt.wantErr == "" {
				if err != nil || fake.calls != tt.wantCalls {
					t.Errorf("stopTask = %v after %d describes, want nil after %d", err, fake.calls, tt.wantCalls)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("stopTask = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
