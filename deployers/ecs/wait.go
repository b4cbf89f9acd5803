package ecs

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/computeladder/computeladder/deployers"
)

// waitReady polls the task until it runs, then waits for the first 200
// from its public address. The timeline's phases are this machine's clock
// only; the task's own timestamps (AWS's clock) go to
// Details[DetailTaskPhases], measured against each other only.
func (d *Deployer) waitReady(ctx context.Context, spec deployers.Spec, dep *deployers.Deployment, cluster, taskARN string, ingress netip.Prefix) error {
	readyTimeout := cmp.Or(spec.ReadyTimeout, DefaultReadyTimeout)
	rctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	task, err := d.waitRunning(rctx, cluster, taskARN)
	if err != nil {
		return fmt.Errorf("wait for task %s: %w", taskARN, err)
	}
	dep.Phases.Mark(PhaseRunning, time.Now())
	var notMeasured []string
	phases, missing := taskPhases(task)
	if phases != "" {
		dep.Details[DetailTaskPhases] = phases
	}
	if missing != "" {
		notMeasured = append(notMeasured, missing)
	}
	ip, err := d.publicIP(rctx, task)
	if err != nil {
		return err
	}
	switch {
	case ip == "" && d.emulator:
		notMeasured = append(notMeasured, PhaseFirst200+": the emulator records the task but runs no container and gives it no public address")
	case ip == "":
		return fmt.Errorf("task %s has no public IP: does the default subnet assign public addresses?", taskARN)
	case d.emulator:
		notMeasured = append(notMeasured, PhaseFirst200+": the emulator records the task but runs no container")
		dep.Details[DetailPublicIP] = ip
	default:
		dep.Details[DetailPublicIP] = ip
		dep.URL = "http://" + ip + ":" + strconv.Itoa(AppPort)
		at, err := deployers.WaitReady(rctx, dep.URL+"/healthz", 250*time.Millisecond, d.taskAlive(rctx, cluster, taskARN))
		if err != nil {
			return fmt.Errorf("wait for %s/healthz: %w: is %s your public address?", dep.URL, err, ingress)
		}
		dep.Phases.Mark(PhaseFirst200, at)
	}
	if len(notMeasured) > 0 {
		dep.Details[DetailNotMeasured] = strings.Join(notMeasured, "; ")
		if dep.URL == "" {
			// Nothing answered: the task's recorded timestamps are no
			// startup, and no request may go out.
			dep.NotMeasured = dep.Details[DetailNotMeasured]
		}
	}
	d.log.InfoContext(ctx, "ecs task ready", "task", taskARN, "timeline", dep.Phases.String(), "not_measured", dep.Details[DetailNotMeasured])
	return nil
}

// taskPhases renders the task's own timestamps, all on AWS's clock, as
// offsets from its createdAt (so that no duration mixes AWS's clock with
// this machine's), and names those the API did not report.
func taskPhases(task ecstypes.Task) (phases, missing string) {
	var names []string
	var tl deployers.Timeline
	for _, p := range []struct {
		name string
		at   *time.Time
	}{
		{TaskCreated, task.CreatedAt},
		{TaskPullStarted, task.PullStartedAt},
		{TaskPullStopped, task.PullStoppedAt},
		{TaskStarted, task.StartedAt},
	} {
		if p.at == nil {
			names = append(names, p.name)
			continue
		}
		tl.Mark(p.name, *p.at)
	}
	if len(tl) > 0 {
		phases = tl.String() + " (ECS task timestamps, AWS's clock)"
	}
	if len(names) > 0 {
		missing = "task " + strings.Join(names, ", ") + ": the API reported no timestamp"
	}
	return phases, missing
}

// waitRunning polls DescribeTasks until the task is RUNNING; a task that
// stops on the way fails the wait at once with ECS's reason.
func (d *Deployer) waitRunning(ctx context.Context, cluster, taskARN string) (ecstypes.Task, error) {
	var task ecstypes.Task
	err := deployers.Poll(ctx, d.pollInterval, 0, func(ctx context.Context) (bool, error) {
		out, err := d.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{taskARN}})
		if err != nil {
			return false, fmt.Errorf("describe task: %w", err)
		}
		if len(out.Tasks) != 1 {
			return false, nil
		}
		task = out.Tasks[0]
		switch aws.ToString(task.LastStatus) {
		case "RUNNING":
			return true, nil
		case "STOPPED", "DEPROVISIONING", "STOPPING", "DEACTIVATING":
			return false, fmt.Errorf("task stopped: %s", stopReason(task))
		}
		return false, nil
	})
	if err != nil && ctx.Err() != nil {
		return ecstypes.Task{}, fmt.Errorf("task not running: %w", err)
	}
	return task, err
}

func stopReason(t ecstypes.Task) string {
	parts := []string{cmp.Or(aws.ToString(t.StoppedReason), string(t.StopCode), "no reason given")}
	for _, c := range t.Containers {
		if r := aws.ToString(c.Reason); r != "" {
			parts = append(parts, aws.ToString(c.Name)+": "+r)
		}
	}
	return strings.Join(parts, "; ")
}

// publicIP returns the public address of the task's network interface, or
// "" when it has none.
func (d *Deployer) publicIP(ctx context.Context, task ecstypes.Task) (string, error) {
	var eni string
	for _, a := range task.Attachments {
		for _, kv := range a.Details {
			if aws.ToString(kv.Name) == "networkInterfaceId" {
				eni = aws.ToString(kv.Value)
			}
		}
	}
	if eni == "" {
		return "", nil
	}
	out, err := d.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{eni}})
	if err != nil {
		return "", fmt.Errorf("describe network interface %s: %w", eni, err)
	}
	for _, n := range out.NetworkInterfaces {
		if n.Association != nil && aws.ToString(n.Association.PublicIp) != "" {
			return aws.ToString(n.Association.PublicIp), nil
		}
	}
	return "", nil
}

// aliveEvery spaces the task-state checks made while waiting for the first
// 200: often enough to fail fast, well under the DescribeTasks rate limit.
const aliveEvery = 2 * time.Second

// taskAlive returns a readiness check that fails as soon as ECS reports the
// task stopped (an app that crashes), instead of at the ready timeout.
func (d *Deployer) taskAlive(ctx context.Context, cluster, taskARN string) func() error {
	var last time.Time
	return func() error {
		if time.Since(last) < aliveEvery {
			return nil
		}
		last = time.Now()
		out, err := d.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{taskARN}})
		if err != nil || len(out.Tasks) != 1 {
			return nil // a failed look is no proof of death; the timeout still bounds the wait
		}
		if t := out.Tasks[0]; aws.ToString(t.LastStatus) == "STOPPED" {
			return fmt.Errorf("task stopped: %s", stopReason(t))
		}
		return nil
	}
}
