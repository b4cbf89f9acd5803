package ec2

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/computeladder/computeladder/deployers"
)

// aliveEvery spaces the instance-state checks made while the port and
// /healthz are polled: the state changes slowly, the API is rate limited.
const aliveEvery = 5 * time.Second

type observed struct {
	inst types.Instance
	at   time.Time // when the poll that saw it returned
}

// describe returns the instance, or found=false while EC2's eventually
// consistent API does not know it yet.
func (d *Deployer) describe(ctx context.Context, id string) (types.Instance, bool, error) {
	out, err := d.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if isCode(err, "InvalidInstanceID.NotFound") {
		return types.Instance{}, false, nil
	}
	if err != nil {
		return types.Instance{}, false, fmt.Errorf("describe instance %s: %w", id, err)
	}
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			if aws.ToString(in.InstanceId) == id {
				return in, true, nil
			}
		}
	}
	return types.Instance{}, false, nil
}

// waitRunning polls DescribeInstances every pollInterval until the instance
// is running; the moment is when the poll that saw it returned, so it is
// late by at most one interval.
func (d *Deployer) waitRunning(ctx context.Context, id string) (observed, error) {
	var seen observed
	err := deployers.Poll(ctx, d.pollInterval, 0, func(ctx context.Context) (bool, error) {
		in, found, err := d.describe(ctx, id)
		now := time.Now()
		if err != nil || !found || in.State == nil {
			return false, err
		}
		switch in.State.Name {
		case types.InstanceStateNameRunning:
			seen = observed{inst: in, at: now}
			return true, nil
		case types.InstanceStateNameShuttingDown, types.InstanceStateNameTerminated,
			types.InstanceStateNameStopping, types.InstanceStateNameStopped:
			return false, stoppedError(id, in)
		}
		return false, nil
	})
	if err != nil && ctx.Err() != nil {
		return observed{}, fmt.Errorf("wait for instance %s to run: %w", id, err)
	}
	return seen, err
}

func stoppedError(id string, in types.Instance) error {
	reason := "no reason given"
	if in.StateReason != nil {
		reason = aws.ToString(in.StateReason.Message)
	}
	return fmt.Errorf("instance %s is %s (%s): see the console output with `aws ec2 get-console-output --instance-id %s`", id, in.State.Name, reason, id)
}

// aliveCheck returns a check, for the port and HTTP waits, that fails as
// soon as the instance is no longer running: a failed boot ends the wait
// at once rather than at the deadline. It asks EC2 at most every aliveEvery.
func (d *Deployer) aliveCheck(ctx context.Context, id string) func() error {
	var mu sync.Mutex
	var last time.Time
	return func() error {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < d.aliveEvery {
			return nil
		}
		last = time.Now()
		in, found, err := d.describe(ctx, id)
		if err != nil || !found || in.State == nil {
			// A failed check is not a dead instance; the wait's deadline
			// still bounds it.
			return nil
		}
		if in.State.Name != types.InstanceStateNameRunning {
			return stoppedError(id, in)
		}
		return nil
	}
}

// waitPort dials addr every pollInterval until a TCP connection opens.
func (d *Deployer) waitPort(ctx context.Context, addr, ingress string, alive func() error) (time.Time, error) {
	var open time.Time
	err := deployers.Poll(ctx, d.pollInterval, 0, func(ctx context.Context) (bool, error) {
		if err := alive(); err != nil {
			return false, err
		}
		if dialable(ctx, addr, time.Second) {
			open = time.Now()
			return true, nil
		}
		return false, nil
	})
	if err != nil && ctx.Err() != nil {
		return time.Time{}, fmt.Errorf("wait for port %s: %w: the security group lets only %s in; if your public address is another, pass it with --ingress", addr, err, ingress)
	}
	return open, err
}
