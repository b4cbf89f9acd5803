package ecs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

// ECS's service-linked role: ECS manages the task's network interface
// through it. An account that never used ECS has none; ECS creates it on
// the first CreateCluster when the caller may call
// iam:CreateServiceLinkedRole for ecs.amazonaws.com, but the new role takes
// seconds to propagate and the first CreateCluster or RunTask then fails
// with "Unable to assume the service linked role. Please verify that the
// ECS service linked role exists."
// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html,
// read 2026-11-30). Deploy creates the role itself, then retries that error
// with a bounded backoff. The role belongs to the account, not to the run:
// ECS uses it for every cluster, and teardown leaves it.
const (
	ServiceLinkedRoleName = "AWSServiceRoleForECS"
	ServiceLinkedRoleARN  = "arn:aws:iam::*:role/aws-service-role/ecs.amazonaws.com/" + ServiceLinkedRoleName
	ecsServiceName        = "ecs.amazonaws.com"
)

// slrRetry bounds the retries while a new service-linked role propagates
// (seconds, as IAM's eventual consistency goes).
const slrRetry = 90 * time.Second

// ServiceLinkedRoleExists reports whether the account has ECS's
// service-linked role (iam:GetRole on it).
func ServiceLinkedRoleExists(ctx context.Context, api interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, opts ...func(*iam.Options)) (*iam.GetRoleOutput, error)
}) (bool, error) {
	_, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(ServiceLinkedRoleName)})
	switch {
	case err == nil:
		return true, nil
	case isCode(err, "NoSuchEntity"):
		return false, nil
	}
	return false, fmt.Errorf("look up ECS's service-linked role %s: %w", ServiceLinkedRoleName, err)
}

// ensureServiceLinkedRole creates ECS's service-linked role unless the
// account has it.
func (d *Deployer) ensureServiceLinkedRole(ctx context.Context) error {
	exists, err := ServiceLinkedRoleExists(ctx, d.iam)
	if err != nil || exists {
		return err
	}
	d.log.InfoContext(ctx, "creating ECS's service-linked role: this account never used ECS", "role", ServiceLinkedRoleName)
	_, err = d.iam.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(ecsServiceName)})
	// Another run may have created it meanwhile: AWS says "has been
	// taken" (InvalidInput), emulators EntityAlreadyExists.
	if err != nil && !(isCode(err, "InvalidInput") && strings.Contains(err.Error(), "taken")) && !isCode(err, "EntityAlreadyExists") {
		return fmt.Errorf("create ECS's service-linked role: %w: the lab policy allows it (iam:CreateServiceLinkedRole for %s); or an administrator runs `aws iam create-service-linked-role --aws-service-name %s` once",
			err, ecsServiceName, ecsServiceName)
	}
	return nil
}

// slrNotReady reports whether err is ECS saying its service-linked role
// cannot be assumed yet.
func slrNotReady(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && strings.Contains(strings.ToLower(ae.ErrorMessage()), "service linked role")
}

// retrySLR runs call until it succeeds, fails otherwise than with
// slrNotReady, or d.slrWait has passed, waiting 1, 2, 4, … (at most 10)
// seconds between tries.
func (d *Deployer) retrySLR(ctx context.Context, what string, call func() error) error {
	deadline := time.Now().Add(d.slrWait)
	wait := time.Second
	for {
		err := call()
		if err == nil || !slrNotReady(err) {
			return err
		}
		if time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("%s: ECS's service-linked role is still not usable after %s: %w: try again in a minute", what, d.slrWait, err)
		}
		d.log.InfoContext(ctx, "waiting for ECS's service-linked role", "call", what, "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (while waiting for ECS's service-linked role: %w)", what, ctx.Err(), err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
}
