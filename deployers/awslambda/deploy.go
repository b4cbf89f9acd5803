package awslambda

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
)

// fnConfig is what Deploy sends to Lambda, checked before anything exists.
type fnConfig struct {
	name     string
	zip      []byte
	arch     types.Architecture
	memoryMB int32
	timeout  int32 // seconds
	env      map[string]string
}

// validate turns spec into a fnConfig or a one-line error; it reads the zip
// so that a missing artifact fails before anything is created.
func validate(spec deployers.Spec) (fnConfig, error) {
	if err := spec.Validate(); err != nil {
		return fnConfig{}, err
	}
	c := fnConfig{name: FunctionName(spec.RunID), env: map[string]string{}}
	if spec.Artifacts.FunctionZip == "" {
		return c, errors.New("spec: no function zip: build it first (make build)")
	}
	fi, err := os.Stat(spec.Artifacts.FunctionZip)
	if err != nil {
		return c, fmt.Errorf("function zip: %w: build it first (make build)", err)
	}
	if fi.Size() > MaxZipBytes {
		return c, fmt.Errorf("function zip %s: %d bytes, more than the %d Lambda accepts inline", spec.Artifacts.FunctionZip, fi.Size(), MaxZipBytes)
	}
	if c.zip, err = os.ReadFile(spec.Artifacts.FunctionZip); err != nil {
		return c, fmt.Errorf("function zip: %w", err)
	}
	switch spec.Artifacts.Arch {
	case "", "amd64":
		c.arch = types.ArchitectureX8664
	case "arm64":
		c.arch = types.ArchitectureArm64
	default:
		return c, fmt.Errorf("function zip built for %q: Lambda runs amd64 or arm64 (rebuild with GOARCH=amd64 or arm64)", spec.Artifacts.Arch)
	}
	mem := spec.MemoryMB
	if mem == 0 {
		mem = DefaultMemoryMB
	}
	if mem < MinMemoryMB || mem > MaxMemoryMB {
		return c, fmt.Errorf("memory %d MB: Lambda allows %d-%d MB", mem, MinMemoryMB, MaxMemoryMB)
	}
	c.memoryMB = int32(mem)
	timeout := spec.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if timeout < time.Second || timeout > MaxTimeout || timeout%time.Second != 0 {
		return c, fmt.Errorf("timeout %s: Lambda allows whole seconds from 1s to %s", timeout, MaxTimeout)
	}
	c.timeout = int32(timeout / time.Second)
	for k, v := range spec.Env {
		if strings.HasPrefix(k, "AWS_") || k == ColdStartEnv {
			return c, fmt.Errorf("env %s: reserved by Lambda or by this deployer: rename it", k)
		}
		c.env[k] = v
	}
	return c, nil
}

// Deploy creates the log group, the execution role, the function and its
// URL, and waits until the function is active and (where it can be
// reached) its URL answers GET /healthz with 200. On error it removes what
// it created and returns the partial deployment with the error.
func (dp *Deployer) Deploy(ctx context.Context, spec deployers.Spec) (*deployers.Deployment, error) {
	start := time.Now()
	c, err := validate(spec)
	if err != nil {
		return nil, fmt.Errorf("awslambda: %w", err)
	}
	d := &deployers.Deployment{
		RunID:    spec.RunID,
		Variant:  deployers.Lambda,
		Backend:  BackendName,
		ID:       c.name,
		MemoryMB: int(c.memoryMB),
		Details: map[string]string{
			DetailRegion:       dp.cfg.Region,
			DetailRuntime:      Runtime,
			DetailArchitecture: string(c.arch),
			DetailTimeout:      (time.Duration(c.timeout) * time.Second).String(),
			DetailAuth:         string(dp.authType()),
		},
		State: &state{},
	}
	d.Phases.Mark(PhaseDeploy, start)
	if err := dp.deploy(ctx, spec, c, d); err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if terr := dp.Teardown(cctx, d); terr != nil {
			err = errors.Join(err, fmt.Errorf("clean up: %w (run sweep for run %s)", terr, spec.RunID))
		}
		return d, fmt.Errorf("awslambda: %w", err)
	}
	return d, nil
}

func (dp *Deployer) authType() types.FunctionUrlAuthType {
	if dp.opts.publicURL {
		return types.FunctionUrlAuthTypeNone
	}
	return types.FunctionUrlAuthTypeAwsIam
}

func (dp *Deployer) deploy(ctx context.Context, spec deployers.Spec, c fnConfig, d *deployers.Deployment) error {
	pairs := awsenv.TagPairs(spec.RunID, deployers.Lambda)
	// Looked up before anything is created: the role needs it.
	boundary := ""
	if dp.opts.roleARN == "" {
		var err error
		if boundary, err = awsenv.Boundary(ctx, dp.sts); err != nil {
			return err
		}
		d.Details[DetailBoundary] = boundary
	}
	logGroup := LogGroupName(c.name)
	// The log group comes first: left to Lambda it would be created
	// untagged, never expire, and survive the sweep.
	// Each resource joins d.Resources once created, never before: the
	// clean-up of a failed Deploy must not remove what another deployment
	// of the same name made.
	if _, err := dp.logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: &logGroup, Tags: pairs}); err != nil {
		return fmt.Errorf("create log group %s: %w%s", logGroup, err, exists(err, spec.RunID))
	}
	d.Resources = append(d.Resources, dp.resource(KindLogGroup, logGroup, spec.RunID))
	if _, err := dp.logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
		LogGroupName: &logGroup, RetentionInDays: aws.Int32(LogRetentionDays),
	}); err != nil {
		return fmt.Errorf("set log retention of %s: %w", logGroup, err)
	}

	roleARN := dp.opts.roleARN
	if roleARN == "" {
		var err error
		if roleARN, err = dp.createRole(ctx, spec.RunID, logGroup, boundary, pairs, d); err != nil {
			return err
		}
	}
	d.Phases.Mark(PhaseRoleCreated, time.Now())

	fnARN, err := dp.createFunction(ctx, c, roleARN, pairs, d)
	if err != nil {
		return err
	}
	d.Details[DetailFunctionARN] = fnARN
	d.Phases.Mark(PhaseFunctionCreated, time.Now())

	if err := dp.waitActive(ctx, c.name); err != nil {
		return err
	}
	d.Phases.Mark(PhaseActive, time.Now())

	u, err := dp.lambda.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{
		FunctionName: &c.name, AuthType: dp.authType(),
	})
	if err != nil {
		return fmt.Errorf("create function url: %w", err)
	}
	d.Resources = append(d.Resources, dp.resource(KindFunctionURL, c.name, spec.RunID))
	d.URL = strings.TrimSuffix(aws.ToString(u.FunctionUrl), "/")
	if dp.opts.publicURL {
		if err := dp.allowPublic(ctx, c.name); err != nil {
			return err
		}
	}
	d.Phases.Mark(PhaseURLCreated, time.Now())
	d.StartupFrom, d.Preparation = StartupOrigin, PreparationRole
	if dp.opts.roleARN != "" {
		d.Preparation = PreparationGivenRole
	}

	if reason := dp.unreachable(d.URL); reason != "" {
		d.NotMeasured = PhaseFirst200 + ": " + reason
		return nil
	}
	ready := spec.ReadyTimeout
	if ready == 0 {
		ready = DefaultReadyTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, ready)
	defer cancel()
	at, err := dp.waitReady(rctx, d.URL+"/healthz")
	if err != nil {
		return fmt.Errorf("function url %s: %w", d.URL, err)
	}
	d.Phases.Mark(PhaseFirst200, at)
	return nil
}

func (dp *Deployer) resource(kind, id, runID string) deployers.Resource {
	return deployers.Resource{Kind: kind, ID: id, RunID: runID, Variant: deployers.Lambda}
}

// createFunction retries while the role is not yet assumable: a new role
// takes seconds to propagate through IAM, and Lambda says so with an
// InvalidParameterValueException about the role.
func (dp *Deployer) createFunction(ctx context.Context, c fnConfig, roleARN string, pairs map[string]string, d *deployers.Deployment) (string, error) {
	in := &lambda.CreateFunctionInput{
		FunctionName:  &c.name,
		Role:          &roleARN,
		Runtime:       types.RuntimeProvidedal2023,
		Handler:       aws.String(Handler),
		Code:          &types.FunctionCode{ZipFile: c.zip},
		Architectures: []types.Architecture{c.arch},
		MemorySize:    &c.memoryMB,
		Timeout:       &c.timeout,
		Environment:   &types.Environment{Variables: c.env},
		Description:   aws.String("computeladder lab function, run " + d.RunID),
		Tags:          pairs,
		PackageType:   types.PackageTypeZip,
	}
	// A new role takes some seconds to become assumable by Lambda: until
	// then CreateFunction refuses it, and is tried again for roleWait (0:
	// once). The wait's own bound leaves the calls time on top.
	var arn string
	var refused error
	deadline := time.Now().Add(dp.opts.roleWait)
	err := deployers.Poll(ctx, time.Second, dp.opts.roleWait+time.Minute, func(ctx context.Context) (bool, error) {
		out, err := dp.lambda.CreateFunction(ctx, in)
		if err == nil {
			d.Resources = append(d.Resources, dp.resource(KindFunction, c.name, d.RunID))
			arn = aws.ToString(out.FunctionArn)
			return true, nil
		}
		var bad *types.InvalidParameterValueException
		if !errors.As(err, &bad) || !strings.Contains(bad.ErrorMessage(), "role") {
			return false, fmt.Errorf("create function %s: %w%s", c.name, err, exists(err, d.RunID))
		}
		if time.Now().After(deadline) {
			return false, fmt.Errorf("create function %s: role %s cannot be assumed by Lambda after %s: check that it exists and trusts lambda.amazonaws.com: %w", c.name, roleARN, dp.opts.roleWait, err)
		}
		refused = err
		return false, nil
	})
	if err != nil && refused != nil && ctx.Err() != nil {
		return "", fmt.Errorf("create function %s: waiting for role %s: %w", c.name, roleARN, err)
	}
	return arn, err
}

// waitActive polls the function's configuration every pollInterval until
// it is Active, or fails fast when Lambda says Failed. It is a startup
// wait (the caller marks the moment it returns), so it uses no SDK waiter,
// whose backoff would make that moment late by seconds.
func (dp *Deployer) waitActive(ctx context.Context, name string) error {
	var last *lambda.GetFunctionConfigurationOutput
	err := deployers.Poll(ctx, dp.opts.pollInterval, dp.opts.activeWait, func(ctx context.Context) (bool, error) {
		out, err := dp.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: &name})
		if err != nil {
			return false, fmt.Errorf("get function %s: %w", name, err)
		}
		last = out
		if err := failed(name, out); err != nil {
			return false, err
		}
		return out.State == types.StateActive, nil
	})
	if last != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		return fmt.Errorf("function %s: state %s: %w", name, last.State, err)
	}
	return err
}

// waitUpdated waits, with the SDK's FunctionUpdated waiter bounded by
// activeWait, until the function's last update is Successful, and returns
// its configuration then. Its checks start pollInterval apart and back off
// to deployers.WaiterMaxDelay. A function that was never updated (an
// emulator reports no LastUpdateStatus after CreateFunction) counts as
// updated once Active; a Failed state or update fails at once, with
// Lambda's reason.
func (dp *Deployer) waitUpdated(ctx context.Context, name string) (*lambda.GetFunctionConfigurationOutput, error) {
	var last *lambda.GetFunctionConfigurationOutput
	var stopped error // Lambda said Failed, or the API refused
	w := lambda.NewFunctionUpdatedWaiter(dp.lambda, func(o *lambda.FunctionUpdatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = dp.opts.pollInterval, max(dp.opts.pollInterval, deployers.WaiterMaxDelay)
		modelled := o.Retryable
		o.Retryable = func(ctx context.Context, in *lambda.GetFunctionConfigurationInput, out *lambda.GetFunctionConfigurationOutput, err error) (bool, error) {
			if err != nil {
				stopped = fmt.Errorf("get function %s: %w", name, err)
				return false, stopped
			}
			last = out
			if stopped = failed(name, out); stopped != nil {
				return false, stopped
			}
			if out.LastUpdateStatus == "" && out.State == types.StateActive {
				return false, nil
			}
			return modelled(ctx, in, out, nil)
		}
	})
	out, err := w.WaitForOutput(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: &name}, dp.opts.activeWait)
	switch {
	case err == nil:
		return out, nil
	case stopped != nil:
		return nil, stopped
	case last != nil:
		return nil, fmt.Errorf("function %s: state %s, last update %s after %s: %w", name, last.State, last.LastUpdateStatus, dp.opts.activeWait, err)
	}
	return nil, err
}

// failed is the error of a function whose creation or last update failed.
func failed(name string, out *lambda.GetFunctionConfigurationOutput) error {
	switch {
	case out.State == types.StateFailed:
		return fmt.Errorf("function %s failed to become active: %s: %s", name, out.StateReasonCode, aws.ToString(out.StateReason))
	case out.LastUpdateStatus == types.LastUpdateStatusFailed:
		return fmt.Errorf("function %s update failed: %s: %s", name, out.LastUpdateStatusReasonCode, aws.ToString(out.LastUpdateStatusReason))
	}
	return nil
}

// allowPublic adds the resource policy a public Function URL needs: the
// URL permission and, since October 2025, InvokeFunction through the URL.
func (dp *Deployer) allowPublic(ctx context.Context, name string) error {
	if _, err := dp.lambda.AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName:        &name,
		StatementId:         aws.String("computeladder-public-url"),
		Action:              aws.String("lambda:InvokeFunctionUrl"),
		Principal:           aws.String("*"),
		FunctionUrlAuthType: types.FunctionUrlAuthTypeNone,
	}); err != nil {
		return fmt.Errorf("allow public url: %w", err)
	}
	if _, err := dp.lambda.AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName:          &name,
		StatementId:           aws.String("computeladder-public-invoke"),
		Action:                aws.String("lambda:InvokeFunction"),
		Principal:             aws.String("*"),
		InvokedViaFunctionUrl: aws.Bool(true),
	}); err != nil {
		return fmt.Errorf("allow public invoke through the url: %w", err)
	}
	return nil
}

// exists returns a hint when err says the resource exists already: the run
// id is in use by another deployment, or a crashed run left it behind.
func exists(err error, runID string) string {
	var logs *logtypes.ResourceAlreadyExistsException
	var role *iamtypes.EntityAlreadyExistsException
	var fn *types.ResourceConflictException
	if errors.As(err, &logs) || errors.As(err, &role) || errors.As(err, &fn) {
		return fmt.Sprintf(": run %s already has resources: use a new run id, or remove them with sweep", runID)
	}
	return ""
}
