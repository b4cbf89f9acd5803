package ec2

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/computeladder/computeladder/deployers"
)

// sgRetryEvery spaces the security-group deletions retried while a
// terminated instance's network interface is still being released.
const sgRetryEvery = 2 * time.Second

// Teardown terminates the instance, waits (bounded by WithTerminateWait)
// until it is terminated, deletes the security group and then the bucket
// with its objects. It accepts nil, treats resources already gone as
// removed, and returns the errors of its steps joined. It works from
// dep.Resources alone, so a deployment read back from a report can be torn
// down by another process.
func (d *Deployer) Teardown(ctx context.Context, dep *deployers.Deployment) error {
	if dep == nil {
		return nil
	}
	_, err := d.remove(ctx, dep.Resources)
	return err
}

// remove deletes rs in dependency order and returns those it removed.
func (d *Deployer) remove(ctx context.Context, rs []deployers.Resource) ([]deployers.Resource, error) {
	var errs []error
	var removed []deployers.Resource
	var instances []deployers.Resource
	for _, r := range rs {
		switch r.Kind {
		case KindInstance:
			instances = append(instances, r)
		case KindSecurityGroup, KindBucket:
		default:
			errs = append(errs, fmt.Errorf("teardown %s: unknown resource kind", r))
		}
	}
	// An instance that cannot be terminated still holds the security
	// group; the group's deletion then fails with its own error.
	for _, r := range instances {
		if err := d.terminate(ctx, r.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, r)
	}
	for _, r := range rs {
		var err error
		switch r.Kind {
		case KindSecurityGroup:
			err = d.deleteSecurityGroup(ctx, r.ID)
		case KindBucket:
			err = d.deleteBucket(ctx, r.ID)
		default:
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, r)
	}
	return removed, errors.Join(errs...)
}

// terminate terminates the instance and waits until EC2 reports it
// terminated (or forgets it), polling every pollInterval for at most
// terminateWait.
func (d *Deployer) terminate(ctx context.Context, id string) error {
	// Already terminated is done. Asking first also spares moto, which
	// fails to terminate an instance twice (its network interface is gone)
	// where AWS answers success. Not found is not trusted here: EC2 may not
	// know an instance launched a moment ago yet, so it is terminated anyway.
	in, found, err := d.describe(ctx, id)
	if err == nil && found && in.State != nil && in.State.Name == types.InstanceStateNameTerminated {
		return nil
	}
	_, err = d.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	if isCode(err, "InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("terminate instance %s: %w", id, err)
	}
	wctx, cancel := context.WithTimeout(ctx, d.terminateWait)
	defer cancel()
	for {
		in, found, err := d.describe(wctx, id)
		if err == nil && (!found || (in.State != nil && in.State.Name == types.InstanceStateNameTerminated)) {
			return nil
		}
		if serr := sleep(wctx, d.pollInterval); serr != nil {
			if err != nil {
				serr = errors.Join(serr, err)
			}
			return fmt.Errorf("wait for instance %s to terminate: %w: run sweep later", id, serr)
		}
	}
}

// deleteSecurityGroup deletes the group, retrying while it is still
// attached (DependencyViolation): a terminated instance's network interface
// is released some seconds after the instance is reported terminated.
func (d *Deployer) deleteSecurityGroup(ctx context.Context, id string) error {
	wctx, cancel := context.WithTimeout(ctx, d.terminateWait)
	defer cancel()
	for {
		_, err := d.ec2.DeleteSecurityGroup(wctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
		switch {
		case err == nil, isCode(err, "InvalidGroup.NotFound", "InvalidGroupId.NotFound", "InvalidGroupId.Malformed"):
			return nil
		case !isCode(err, "DependencyViolation"):
			return fmt.Errorf("delete security group %s: %w", id, err)
		}
		if serr := sleep(wctx, sgRetryEvery); serr != nil {
			return fmt.Errorf("delete security group %s: still in use: %w", id, err)
		}
	}
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
				rs = append(rs, resource(KindInstance, aws.ToString(in.InstanceId), tagValue(in.Tags, deployers.TagRunID)))
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
			rs = append(rs, resource(KindSecurityGroup, aws.ToString(g.GroupId), tagValue(g.Tags, deployers.TagRunID)))
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
