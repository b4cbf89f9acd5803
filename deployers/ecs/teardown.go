package ecs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/computeladder/computeladder/deployers"
)

// kindOrder is the teardown order: the task before its cluster and task
// definition, the security group once the task's network interface is gone,
// the role last because a stopping task may still use it.
var kindOrder = []string{KindTask, KindTaskDefinition, KindCluster, KindSecurityGroup, KindLogGroup, KindRepository, KindRole}

// sgRetry bounds the retries of DeleteSecurityGroup while Fargate releases
// the stopped task's network interface.
const sgRetry = 2 * time.Minute

// Teardown stops the task and waits until it stopped (bounded), deregisters
// and deletes the task definition, deletes the cluster, the security group,
// the log group, the repository with its images and the execution role. It
// accepts nil, treats what is already gone as removed and joins its steps'
// errors; a step that fails does not stop the next. It works from
// d.Resources alone; Info().TeardownBudget is how long it may take.
func (d *Deployer) Teardown(ctx context.Context, dep *deployers.Deployment) error {
	if dep == nil {
		return nil
	}
	return d.remove(ctx, dep.Resources)
}

func (d *Deployer) remove(ctx context.Context, rs []deployers.Resource) error {
	var errs []error
	cluster := ""
	for _, r := range rs {
		if r.Kind == KindCluster {
			cluster = r.ID
		}
	}
	for _, r := range deployers.InKindOrder(rs, kindOrder...) {
		if r.ID == "" {
			continue // recorded before a create that never returned an id
		}
		var err error
		switch r.Kind {
		case KindTask:
			err = d.stopTask(ctx, clusterOf(r.ID, cluster), r.ID)
		case KindTaskDefinition:
			err = d.deleteTaskDefinition(ctx, r.ID)
		case KindCluster:
			_, err = d.ecs.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String(r.ID)})
		case KindSecurityGroup:
			err = d.deleteSecurityGroup(ctx, r.ID)
		case KindLogGroup:
			_, err = d.logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(r.ID)})
		case KindRepository:
			_, err = d.ecr.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String(r.ID), Force: true})
		case KindRole:
			err = d.deleteRole(ctx, r.ID)
		default:
			err = errors.New("unknown resource kind")
		}
		if err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("teardown %s: %w", r, err))
		}
	}
	return errors.Join(errs...)
}

// deleteTaskDefinition deregisters the task definition and deletes it: a
// deregistered one is only INACTIVE, and stays listed in the account until
// DeleteTaskDefinitions
// (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteTaskDefinitions.html,
// read 2026-11-30).
func (d *Deployer) deleteTaskDefinition(ctx context.Context, arn string) error {
	_, err := d.ecs.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil && !isNotFound(err) && !isCode(err, "ClientException") {
		// ClientException: already INACTIVE (a teardown that stopped
		// half way); the deletion below still applies.
		return fmt.Errorf("deregister: %w", err)
	}
	out, err := d.ecs.DeleteTaskDefinitions(ctx, &ecs.DeleteTaskDefinitionsInput{TaskDefinitions: []string{arn}})
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	for _, f := range out.Failures {
		if reason := aws.ToString(f.Reason); !strings.Contains(reason, "does not exist") {
			return fmt.Errorf("delete: %s", reason)
		}
	}
	return nil
}

// stopTask stops the task and waits, with the SDK's TasksStopped waiter
// bounded by the stop wait, until ECS reports it stopped or no longer
// knows it: a cluster with a running task cannot be deleted. The waiter's
// checks start pollInterval apart and back off to
// deployers.WaiterMaxDelay.
func (d *Deployer) stopTask(ctx context.Context, cluster, task string) error {
	if cluster == "" {
		return errors.New("cluster unknown: run sweep")
	}
	// Describe first: stopping a task the API no longer knows fails
	// differently on AWS and emulators, a MISSING failure does not.
	st, err := d.taskStatus(ctx, cluster, task)
	if err != nil || st == "STOPPED" || st == "" {
		return err
	}
	if _, err := d.ecs.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: aws.String(task), Reason: aws.String("computeladder teardown")}); err != nil {
		return fmt.Errorf("stop task: %w", err)
	}
	st = ""
	w := ecs.NewTasksStoppedWaiter(d.ecs, func(o *ecs.TasksStoppedWaiterOptions) {
		o.MinDelay, o.MaxDelay = d.pollInterval, max(d.pollInterval, deployers.WaiterMaxDelay)
		modelled := o.Retryable
		o.Retryable = func(ctx context.Context, in *ecs.DescribeTasksInput, out *ecs.DescribeTasksOutput, err error) (bool, error) {
			if err != nil {
				return false, fmt.Errorf("describe task: %w", err)
			}
			if len(out.Tasks) == 0 {
				return false, nil // no longer known: a MISSING failure
			}
			st = aws.ToString(out.Tasks[0].LastStatus)
			return modelled(ctx, in, out, nil)
		}
	})
	err = w.Wait(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{task}}, d.stopWait)
	if err != nil && st != "" && st != "STOPPED" && ctx.Err() == nil {
		return fmt.Errorf("task still %s after %s: run sweep later", st, d.stopWait)
	}
	return err
}

// taskStatus returns the task's last status, "" when the API does not know it.
func (d *Deployer) taskStatus(ctx context.Context, cluster, task string) (string, error) {
	out, err := d.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{task}})
	if err != nil {
		return "", fmt.Errorf("describe task: %w", err)
	}
	if len(out.Tasks) == 0 {
		return "", nil
	}
	return aws.ToString(out.Tasks[0].LastStatus), nil
}

func (d *Deployer) deleteSecurityGroup(ctx context.Context, id string) error {
	var inUse error
	err := deployers.Poll(ctx, 2*time.Second, sgRetry, func(ctx context.Context) (bool, error) {
		_, err := d.ec2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
		if isCode(err, "DependencyViolation") {
			inUse = err
			return false, nil
		}
		return err == nil, err
	})
	if inUse != nil && err != nil && !errors.Is(err, inUse) {
		return fmt.Errorf("%w (after: %w)", err, inUse)
	}
	return err
}

func (d *Deployer) deleteRole(ctx context.Context, name string) error {
	// The inline policy carries the role's name; a role without it (a
	// deploy that failed in between) deletes just the same.
	if _, err := d.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(name)}); err != nil && !isNotFound(err) {
		return fmt.Errorf("delete role policy: %w", err)
	}
	_, err := d.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)})
	return err
}

// clusterOf returns the cluster named in a long-format task ARN
// (".../task/<cluster>/<id>"), or fallback.
func clusterOf(taskARN, fallback string) string {
	_, rest, ok := strings.Cut(taskARN, ":task/")
	if !ok {
		return fallback
	}
	if c, _, ok := strings.Cut(rest, "/"); ok {
		return c
	}
	return fallback
}

// notFoundCodes are the error codes of the services used here for a
// resource that does not exist (any more).
var notFoundCodes = []string{
	"ClusterNotFoundException",
	"RepositoryNotFoundException",
	"ResourceNotFoundException",
	"InvalidGroup.NotFound",
	"InvalidGroupId.NotFound",
	"NoSuchEntity",
}

func isNotFound(err error) bool {
	if errors.Is(err, deployers.ErrNotFound) {
		return true
	}
	for _, c := range notFoundCodes {
		if isCode(err, c) {
			return true
		}
	}
	return false
}

func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}
