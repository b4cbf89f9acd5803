// Package awslambda deploys the function variant of the app on AWS Lambda
// (or on any Lambda-compatible API: LocalStack, moto): the bootstrap of
// artifact.Set.FunctionZip on the provided.al2023 runtime, behind a
// Function URL.
//
// Safe by default: the execution role may only write the function's own log
// group (which Deploy creates, tagged and with a short retention, so nothing
// is left to grow) and carries the lab's permissions boundary
// (awsenv.BoundaryPolicyName, which the lab policy requires on every role
// the lab creates), and the Function URL uses AWS_IAM auth, so only signed
// requests get through (awsenv.SigV4Transport signs them; Details["auth"]
// tells the harness to). WithPublicURL opts into a public URL (auth NONE).
//
// Everything carries the run id and the variant as tags and a name that
// starts with awsenv.NamePrefix; Teardown works from Deployment.Resources
// alone, and List and Sweep find resources by name prefix and tag.
//
// Startup phases: "deploy" → "role-created" → "function-created" →
// "active" → "url-created" → "first-200". Startup counts from
// "url-created" (StartupOrigin): the first invoke of a new environment
// goes out next; role, IAM propagation and function are preparation. The
// last phase is measured only where the Function URL answers (AWS,
// LocalStack); on an emulator that only records functions (moto)
// Deployment.NotMeasured says why not.
//
// Cold starts are forced by a configuration change (an environment
// variable), then waiting until LastUpdateStatus is Successful, as the
// public lambda-perf benchmark does; Invoke (LogType=Tail) returns the
// REPORT line's figures. LastInitDuration finds the Init Duration of the
// cold request (the first after ForceColdStart) by its request id: from
// Invoke's log tail, or, for a request through the Function URL (whose
// response carries the id in x-amzn-RequestId), from the REPORT line in
// the function's log group — paged through, and never by this machine's
// clock, which need not agree with AWS's.
package awslambda

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
)

// Phase names of the startup timeline, in order.
const (
	PhaseDeploy          = "deploy"
	PhaseRoleCreated     = "role-created"
	PhaseFunctionCreated = "function-created"
	PhaseActive          = "active"
	PhaseURLCreated      = "url-created"
	PhaseFirst200        = "first-200"
)

// StartupOrigin is the phase this backend's startup is measured from
// (deployers.Deployment.StartupFrom): the Function URL exists and the
// first invoke of a new execution environment goes out next.
const StartupOrigin = PhaseURLCreated

// What the phases before StartupOrigin did (deployers.Deployment.Preparation):
// with a role of its own, its creation and the retries while IAM propagates it.
const (
	PreparationRole      = "log group, role + IAM propagation, function + URL"
	PreparationGivenRole = "log group, function + URL"
)

// Keys of Deployment.Details.
const (
	DetailAuth         = "auth"          // Function URL auth type: AWS_IAM (sign with awsenv.SigV4Transport) or NONE
	DetailFunctionARN  = "function_arn"  // the function's ARN
	DetailRegion       = "region"        // the function's region, for signing
	DetailRuntime      = "runtime"       // provided.al2023
	DetailArchitecture = "architecture"  // x86_64 or arm64
	DetailTimeout      = "timeout"       // function timeout
	DetailBoundary     = "role_boundary" // the execution role's permissions boundary
)

// Resource kinds, in teardown order.
const (
	KindFunctionURL = "lambda-function-url"
	KindFunction    = "lambda-function"
	KindRole        = "iam-role"
	KindLogGroup    = "log-group"
)

// Limits and defaults (Lambda's).
const (
	DefaultMemoryMB = 128
	MinMemoryMB     = 128
	MaxMemoryMB     = 10240
	DefaultTimeout  = 3 * time.Second
	MaxTimeout      = 15 * time.Minute
	// MaxZipBytes is the largest zip CreateFunction accepts inline.
	MaxZipBytes = 50 << 20
	// DefaultReadyTimeout bounds the wait for the first 200.
	DefaultReadyTimeout = 60 * time.Second
	// DefaultRoleWait bounds the retries of CreateFunction while a new
	// role propagates through IAM (typically under 10 s).
	DefaultRoleWait = 60 * time.Second
	// DefaultActiveTimeout bounds the wait for State Active and for a
	// configuration update to finish.
	DefaultActiveTimeout = 5 * time.Minute
	// DefaultPollInterval is how often state and readiness are polled:
	// sub-second, so that a phase is seen within a poll of when it happened.
	DefaultPollInterval = 200 * time.Millisecond
	// LogRetentionDays keeps the function's logs only as long as a lab needs.
	LogRetentionDays = 1
	// Runtime and Handler of a Go function built with lambda.norpc.
	Runtime = "provided.al2023"
	Handler = "bootstrap"
	// ColdStartEnv is the environment variable ForceColdStart changes.
	ColdStartEnv = "COMPUTELADDER_COLD_START"
	// RolePath groups the roles this package creates, for ListRoles.
	RolePath = "/computeladder/"
	// BackendName is Info.Name.
	BackendName = "awslambda"
)

// cleanupTimeout bounds the removal of a failed deployment, which runs even
// when the caller's context is already done, and is Info().TeardownBudget:
// every step of a function's teardown is one API call.
const cleanupTimeout = 2 * time.Minute

// Deployer deploys the function variant on Lambda. Create it with New.
type Deployer struct {
	lambda lambdaAPI
	iam    iamAPI
	logs   logsAPI
	sts    awsenv.STSAPI
	cfg    aws.Config
	opts   options
}

var (
	_ deployers.Deployer    = (*Deployer)(nil)
	_ deployers.ColdStarter = (*Deployer)(nil)
)

// New returns a deployer using cfg (see awsenv.Load).
func New(cfg aws.Config, opts ...Option) (*Deployer, error) {
	o := options{
		log:          slog.New(slog.DiscardHandler),
		roleWait:     DefaultRoleWait,
		activeWait:   DefaultActiveTimeout,
		pollInterval: DefaultPollInterval,
		httpClient:   &http.Client{Timeout: 10 * time.Second},
	}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("awslambda: %w", err)
		}
	}
	if cfg.Region == "" {
		return nil, errors.New("awslambda: no region: load the config with awsenv.Load")
	}
	return &Deployer{
		lambda: lambda.NewFromConfig(cfg),
		iam:    iam.NewFromConfig(cfg),
		logs:   cloudwatchlogs.NewFromConfig(cfg),
		sts:    sts.NewFromConfig(cfg),
		cfg:    cfg,
		opts:   o,
	}, nil
}

// Info describes the backend.
func (dp *Deployer) Info() deployers.Info {
	auth := "AWS_IAM-signed"
	if dp.opts.publicURL {
		auth = "public (auth NONE)"
	}
	return deployers.Info{
		Name:            BackendName,
		Variant:         deployers.Lambda,
		Target:          awsenv.TargetOf(dp.cfg),
		ColdStartMethod: "a configuration change (an environment variable), then waiting until the update finished — lambda-perf's method",
		Description:     fmt.Sprintf("AWS Lambda (%s, %s) behind an %s Function URL", Runtime, dp.cfg.Region, auth),
		TeardownBudget:  cleanupTimeout,
	}
}

// FunctionName is the name of the function (and of its role, with a
// suffix) of a run.
func FunctionName(runID string) string { return awsenv.NamePrefix + runID }

// RoleName is the name of the execution role of a run.
func RoleName(runID string) string { return awsenv.NamePrefix + runID + "-lambda" }

// LogGroupName is the log group Lambda writes the function's logs to.
func LogGroupName(function string) string { return "/aws/lambda/" + function }
