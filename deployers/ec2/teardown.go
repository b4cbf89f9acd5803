package ec2

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/computeladder/computeladder/deployers"
)

// sgRetryEvery spaces the security-group deletions retried while a
// terminated instance's network interface is still being released.
const sgRetryEvery = 2 * time.Second

// Teardown asks EC2 to terminate the instance, deletes the bucket with its
// objects (nothing needs them once the instance booted), waits (bounded by
// WithTerminateWait) until the instance is terminated and deletes the
// security group. A wait that runs out does not stop it: every step is
// tried, and the error names what is left. It accepts nil, treats resources
// already gone as removed and works from dep.Resources alone, so a
// deployment read back from a report can be torn down by another process.
// Info().TeardownBudget is how long it may take.
func (d *Deployer) Teardown(ctx context.Context, dep *deployers.Deployment) error {
	if dep == nil {
		return nil
	}
	_, err := d.remove(ctx, dep.Resources)
	return err
}

// remove deletes rs in dependency order and returns those it removed; its
// error lists those it did not.
func (d *Deployer) remove(ctx context.Context, rs []deployers.Resource) ([]deployers.Resource, error) {
	var errs []error
	var removed, left []deployers.Resource
	var instances, waiting, groups, buckets []deployers.Resource
	for _, r := range rs {
		switch r.Kind {
		case KindInstance:
			instances = append(instances, r)
		case KindSecurityGroup:
			groups = append(groups, r)
		case KindBucket:
			buckets = append(buckets, r)
		default:
			errs = append(errs, fmt.Errorf("teardown %s: unknown resource kind", r))
		}
	}
	step := func(r deployers.Resource, err error) {
		if err != nil {
			errs = append(errs, err)
			left = append(left, r)
			return
		}
		removed = append(removed, r)
	}
	// Termination first, without waiting: it takes minutes, and the
	// bucket need not wait for it.
	for _, r := range instances {
		done, err := d.requestTerminate(ctx, r.ID)
		switch {
		case err != nil:
			step(r, err)
		case done:
			step(r, nil)
		default:
			waiting = append(waiting, r)
		}
	}
	for _, r := range buckets {
		step(r, d.deleteBucket(ctx, r.ID))
	}
	// An instance not yet terminated still holds the security group; the
	// group's deletion is tried anyway (it retries while it is in use)
	// and fails with its own error.
	for _, r := range waiting {
		step(r, d.waitTerminated(ctx, r.ID))
	}
	for _, r := range groups {
		step(r, d.deleteSecurityGroup(ctx, r.ID))
	}
	if len(left) > 0 {
		names := make([]string, len(left))
		for i, r := range left {
			names[i] = r.String()
		}
		errs = append(errs, fmt.Errorf("left: %s: run `computeladder sweep --run-id %s` (with the run's --target) once EC2 has terminated the instance",
			strings.Join(names, ", "), left[0].RunID))
	}
	return removed, errors.Join(errs...)
}

// requestTerminate asks EC2 to terminate the instance; done says it was
// already terminated or unknown.
func (d *Deployer) requestTerminate(ctx context.Context, id string) (done bool, err error) {
	// Already terminated is done. Asking first also spares moto, which
	// fails to terminate an instance twice (its network interface is gone)
	// where AWS answers success. Not found is not trusted here: EC2 may not
	// know an instance launched a moment ago yet, so it is terminated anyway.
	in, found, err := d.describe(ctx, id)
	if err == nil && found && in.State != nil && in.State.Name == types.InstanceStateNameTerminated {
		return true, nil
	}
	_, err = d.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	if isCode(err, "InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed") {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("terminate instance %s: %w", id, err)
	}
	return false, nil
}

// waitTerminated waits, with the SDK's InstanceTerminated waiter, until
// EC2 reports the instance terminated or forgets it, for at most
// terminateWait. Its checks start pollInterval apart and back off to
// deployers.WaiterMaxDelay. Unlike the waiter's own model, which gives up
// on "pending", any state short of terminated (a stale read of an
// instance launched a moment ago) and a failed check are retried until
// the wait runs out: the error then says what was last seen.
func (d *Deployer) waitTerminated(ctx context.Context, id string) error {
	var last error
	w := ec2.NewInstanceTerminatedWaiter(d.ec2, func(o *ec2.InstanceTerminatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = d.pollInterval, max(d.pollInterval, deployers.WaiterMaxDelay)
		o.Retryable = func(_ context.Context, _ *ec2.DescribeInstancesInput, out *ec2.DescribeInstancesOutput, err error) (bool, error) {
			if isCode(err, "InvalidInstanceID.NotFound") {
				return false, nil
			}
			if err != nil {
				last = err
				return true, nil
			}
			for _, r := range out.Reservations {
				for _, in := range r.Instances {
					if in.State == nil || in.State.Name != types.InstanceStateNameTerminated {
						last = fmt.Errorf("last seen %s", stateName(in))
						return true, nil
					}
				}
			}
			return false, nil // terminated, or no longer known
		}
	})
	if err := w.Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}, d.terminateWait); err != nil {
		return fmt.Errorf("wait for instance %s to terminate: %w", id, errors.Join(err, last))
	}
	return nil
}

func stateName(in types.Instance) types.InstanceStateName {
	if in.State == nil {
		return "in no state"
	}
	return in.State.Name
}

// deleteSecurityGroup deletes the group, retrying while it is still
// attached (DependencyViolation): a terminated instance's network interface
// is released some seconds after the instance is reported terminated.
func (d *Deployer) deleteSecurityGroup(ctx context.Context, id string) error {
	var inUse error
	err := deployers.Poll(ctx, sgRetryEvery, d.terminateWait, func(ctx context.Context) (bool, error) {
		_, err := d.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
		switch {
		case err == nil, isCode(err, "InvalidGroup.NotFound", "InvalidGroupId.NotFound", "InvalidGroupId.Malformed"):
			return true, nil
		case isCode(err, "DependencyViolation"):
			inUse = err
			return false, nil
		}
		return false, err
	})
	switch {
	case inUse != nil && errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("delete security group %s: still in use: %w", id, errors.Join(err, inUse))
	case err != nil:
		return fmt.Errorf("delete security group %s: %w", id, err)
	}
	return nil
}

// List returns the VM variant's instances that are not terminated, its
// security groups and its buckets that carry runID (every run's when
// empty), as AWS reports them.
func (d *Deployer) List(ctx context.Context, runID string) ([]deployers.Resource, error) {
	var rs []deployers.Resource
	filters := append(tagFilters(runID), types.Filter{
		Name:   aws.String("instance-state-name"),
		Values: []string{"pending", "running", "shutting-down", "stopping", "stopped"},
	})
	ip := ec2.NewDescribeInstancesPaginator(d.ec2, &ec2.DescribeInstancesInput{Filters: filters})
	for ip.HasMorePages() {
		page, err := ip.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ec2 list instances: %w", err)
		}
		for _, r := range page.Reservations {
			for _, in := range r.Instances {
				rs = append(rs, resource(KindInstance, aws.ToString(in.InstanceId), tagValue(in.Tags, deployers.TagRunID)).OwnedBy(tagValue(in.Tags, deployers.TagOwner)))
			}
		}
	}
	sp := ec2.NewDescribeSecurityGroupsPaginator(d.ec2, &ec2.DescribeSecurityGroupsInput{Filters: tagFilters(runID)})
	for sp.HasMorePages() {
		page, err := sp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ec2 list security groups: %w", err)
		}
		for _, g := range page.SecurityGroups {
			rs = append(rs, resource(KindSecurityGroup, aws.ToString(g.GroupId), tagValue(g.Tags, deployers.TagRunID)).OwnedBy(tagValue(g.Tags, deployers.TagOwner)))
		}
	}
	buckets, err := d.listBuckets(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("ec2 list: %w", err)
	}
	rs = append(rs, buckets...)
	slices.SortStableFunc(rs, func(a, b deployers.Resource) int { return kindRank(a.Kind) - kindRank(b.Kind) })
	return rs, nil
}

// Sweep removes what List finds, in Teardown's order, and returns what it
// removed.
func (d *Deployer) Sweep(ctx context.Context, runID string) ([]deployers.Resource, error) {
	rs, err := d.List(ctx, runID)
	if err != nil {
		return nil, err
	}
	removed, err := d.remove(ctx, rs)
	if err != nil {
		return removed, fmt.Errorf("ec2 sweep: %w", err)
	}
	return removed, nil
}

func resource(kind, id, runID string) deployers.Resource {
	return deployers.Resource{Kind: kind, ID: id, RunID: runID, Variant: deployers.VM}
}

func kindRank(kind string) int {
	switch kind {
	case KindInstance:
		return 0
	case KindSecurityGroup:
		return 1
	}
	return 2
}
