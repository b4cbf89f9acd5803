// Package doctor checks, before a run creates anything, that a run on AWS
// (or LocalStack) can succeed: who the credentials are and where they
// point; the EC2 requests the deployers would send, sent with DryRun (AWS
// checks permissions and conditions, tags and instance type included, and
// creates nothing); every other call of a run, simulated against the
// caller's policies with iam:SimulatePrincipalPolicy and the condition
// keys the lab policy uses; the permissions boundary the lab's roles need;
// ECS's service-linked role; and the account's Lambda concurrency.
//
// It creates nothing. Each check is a Row with a fix; Report.OK says
// whether a run can succeed.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/computeladder/computeladder/deployers/awsenv"
	"github.com/computeladder/computeladder/deployers/ecs"
)

// Status is a check's outcome.
type Status int

// The outcomes. Only Fail stops a run; Skip says why a check could not be
// made here.
const (
	OK Status = iota
	Fail
	Warn
	Skip
)

func (s Status) String() string {
	return [...]string{"✓", "✗", "!", "–"}[s]
}

// Row is one check.
type Row struct {
	Check  string
	Status Status
	Detail string
	Fix    string // what to do, when Status is Fail or Warn
}

// Report is the checks in the order they ran.
type Report []Row

// OK reports whether no check failed: a run can succeed.
func (r Report) OK() bool {
	for _, row := range r {
		if row.Status == Fail {
			return false
		}
	}
	return true
}

// Write prints the table: mark, check, what was found, and the fix.
func (r Report) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tcheck\tfound\tfix")
	for _, row := range r {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", row.Status, row.Check, oneLine(row.Detail), oneLine(row.Fix))
	}
	return tw.Flush()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// IAMAPI is the part of the IAM client the checks use.
type IAMAPI interface {
	SimulatePrincipalPolicy(ctx context.Context, in *iam.SimulatePrincipalPolicyInput, opts ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
	GetRole(ctx context.Context, in *iam.GetRoleInput, opts ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	GetPolicy(ctx context.Context, in *iam.GetPolicyInput, opts ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
}

// LambdaAPI is the part of the Lambda client the checks use.
type LambdaAPI interface {
	GetAccountSettings(ctx context.Context, in *lambda.GetAccountSettingsInput, opts ...func(*lambda.Options)) (*lambda.GetAccountSettingsOutput, error)
}

// VMPreflight dry-runs the VM deployer's EC2 requests (ec2.Deployer).
type VMPreflight interface {
	Preflight(ctx context.Context, memoryMB int, goarch string) ([]awsenv.DryRun, error)
}

// ContainerPreflight dry-runs the container deployer's EC2 request
// (ecs.Deployer).
type ContainerPreflight interface {
	Preflight(ctx context.Context) ([]awsenv.DryRun, error)
}

// Deps are what the checks talk to (NewDeps makes them from a config).
// Container is nil where the container variant does not run on the cloud
// (LocalStack: the local Docker engine).
type Deps struct {
	STS       awsenv.STSAPI
	IAM       IAMAPI
	Lambda    LambdaAPI
	VM        VMPreflight
	Container ContainerPreflight
}

// Config is what a run would be.
type Config struct {
	// Region the credentials resolve to.
	Region string
	// Emulator is true on LocalStack or any custom endpoint: it evaluates
	// no IAM policy, so simulation is skipped.
	Emulator bool
	// MemoryMB and Arch are the run's --memory and artifact architecture
	// (amd64 or arm64): they pick the instance type the dry run launches.
	MemoryMB int
	Arch     string
	// Rate is the run's warm load in requests per second: it sets the
	// Lambda concurrency a run needs.
	Rate int
}

// setupDoc is where an administrator finds the one-time setup.
const setupDoc = "infra/iam/README.md"

// Run makes every check and returns them all: a failed check does not hide
// the others, except that nothing can be asked without credentials.
func Run(ctx context.Context, d Deps, c Config) Report {
	var r Report
	caller, err := awsenv.Whoami(ctx, d.STS)
	if err != nil {
		return append(r, Row{Check: "credentials", Status: Fail, Detail: err.Error(),
			Fix: "run `aws configure`, or set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"})
	}
	r = append(r, Row{Check: "credentials", Status: OK, Detail: fmt.Sprintf("%s (account %s, region %s)", caller.ARN, caller.Account, c.Region)})
	if !c.Emulator {
		if err := awsenv.CheckLabRegion(c.Region); err != nil {
			r = append(r, Row{Check: "region", Status: Fail, Detail: err.Error(), Fix: "pass --region " + awsenv.LabRegions[0]})
		} else {
			r = append(r, Row{Check: "region", Status: OK, Detail: c.Region + " is one of the lab's regions"})
		}
	}
	r = append(r, dryRuns(ctx, d, c)...)
	r = append(r, simulate(ctx, d.IAM, caller, c)...)
	r = append(r, boundary(ctx, d.IAM, caller, c))
	if d.Container != nil && !c.Emulator {
		r = append(r, serviceLinkedRole(ctx, d.IAM))
	}
	if c.Emulator {
		r = append(r, Row{Check: "lambda: concurrency quota", Status: Skip, Detail: "skipped: an emulator's quota says nothing of your AWS account's"})
	} else {
		r = append(r, concurrency(ctx, d.Lambda, c.Rate))
	}
	return r
}

// policyFix is the fix of a denied request.
const policyFix = "attach both policies of infra/iam to your user (lab-user-policy.json, lab-user-policy-ecs-lambda.json): see " + setupDoc

func dryRuns(ctx context.Context, d Deps, c Config) []Row {
	var rows []Row
	add := func(which string, runs []awsenv.DryRun, err error) {
		if err != nil {
			rows = append(rows, Row{Check: which + ": dry run", Status: Fail, Detail: err.Error(), Fix: "fix what the error names; nothing was sent"})
			return
		}
		for _, dr := range runs {
			row := Row{Check: which + ": dry run " + dr.Call, Status: OK, Detail: "allowed (DryRunOperation)"}
			if dr.Note != "" {
				row.Detail += "; " + dr.Note
			}
			if dr.Err != nil {
				row.Status, row.Detail, row.Fix = Fail, dr.Err.Error(), "check the endpoint and region"
				if errors.Is(dr.Err, awsenv.ErrDryRunDenied) {
					row.Fix = policyFix
				}
			}
			rows = append(rows, row)
		}
	}
	if d.VM != nil {
		runs, err := d.VM.Preflight(ctx, c.MemoryMB, c.Arch)
		add("vm", runs, err)
	}
	if d.Container != nil {
		runs, err := d.Container.Preflight(ctx)
		add("container", runs, err)
	}
	return rows
}

// simulate asks IAM whether the caller's policies allow every call of a
// run that EC2's dry run cannot check, with the context keys the lab
// policy conditions on.
func simulate(ctx context.Context, api IAMAPI, caller awsenv.Caller, c Config) []Row {
	const check = "iam: every other call of a run, simulated"
	switch {
	case c.Emulator:
		return []Row{{Check: check, Status: Skip, Detail: "skipped: an emulator evaluates no IAM policy (the dry runs above are what it can check)"}}
	case caller.User == "":
		return []Row{{Check: check, Status: Skip,
			Detail: "skipped: the credentials are " + caller.ARN + ", not an IAM user, and the lab policy lets a user simulate only itself",
			Fix:    "run doctor as the lab's IAM user to check its policy"}}
	}
	sims := Simulations(caller.Partition, caller.Account, c.Region)
	var denied []string
	n := 0
	for _, s := range sims {
		in := &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String(caller.ARN),
			ActionNames:     s.Actions,
			ResourceArns:    []string{s.Resource},
			ContextEntries:  contextEntries(s.Context),
		}
		p := iam.NewSimulatePrincipalPolicyPaginator(api, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return []Row{{Check: check, Status: Fail, Detail: "iam:SimulatePrincipalPolicy: " + err.Error(), Fix: policyFix}}
			}
			for _, e := range page.EvaluationResults {
				n++
				if e.EvalDecision != "allowed" {
					denied = append(denied, fmt.Sprintf("%s on %s (%s)", aws.ToString(e.EvalActionName), s.Resource, e.EvalDecision))
				}
			}
		}
	}
	if len(denied) > 0 {
		return []Row{{Check: check, Status: Fail, Detail: fmt.Sprintf("%d of %d denied: %s", len(denied), n, strings.Join(denied, "; ")), Fix: policyFix}}
	}
	return []Row{{Check: check, Status: OK, Detail: fmt.Sprintf("%d actions allowed, with the tags, boundary and services a run sends", n)}}
}

// boundary checks that the permissions boundary every lab role needs
// exists: the lab policy allows creating roles with it only.
func boundary(ctx context.Context, api IAMAPI, caller awsenv.Caller, c Config) Row {
	arn := awsenv.BoundaryARN(caller.Partition, caller.Account)
	row := Row{Check: "iam: permissions boundary " + awsenv.BoundaryPolicyName}
	if c.Emulator {
		row.Status, row.Detail = Skip, "skipped: an emulator does not check that a boundary exists"
		return row
	}
	_, err := api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	var missing interface{ ErrorCode() string }
	switch {
	case err == nil:
		row.Status, row.Detail = OK, arn+" exists"
	case errors.As(err, &missing) && missing.ErrorCode() == "NoSuchEntity":
		row.Status, row.Detail = Fail, arn+" does not exist: the lab's roles cannot be created"
		row.Fix = "an administrator creates it once from infra/iam/lab-role-boundary.json: see " + setupDoc
	default:
		row.Status, row.Detail, row.Fix = Fail, err.Error(), policyFix
	}
	return row
}

func serviceLinkedRole(ctx context.Context, api IAMAPI) Row {
	row := Row{Check: "ecs: service-linked role " + ecs.ServiceLinkedRoleName}
	exists, err := ecs.ServiceLinkedRoleExists(ctx, api)
	switch {
	case err != nil:
		row.Status, row.Detail, row.Fix = Fail, err.Error(), policyFix
	case exists:
		row.Status, row.Detail = OK, "exists"
	default:
		row.Status = OK
		row.Detail = "absent: the container variant creates it on its first run (iam:CreateServiceLinkedRole for ecs.amazonaws.com, simulated above)"
	}
	return row
}

// perRequest bounds the time one request keeps a Lambda execution
// environment busy during a run's warm load: the app's /checkout takes a
// few milliseconds warm, and a new environment adds its Go init, 41–62 ms
// (maxday/lambda-perf data/last.json, 2026-08-22).
const perRequest = 100 * time.Millisecond

// Concurrency is the Lambda concurrency a run at rate requests per second
// needs: rate × perRequest environments busy at once, plus one for the
// forced cold starts.
func Concurrency(rate int) int {
	return int(math.Ceil(float64(rate)*perRequest.Seconds())) + 1
}

// concurrency compares the account's unreserved Lambda concurrency with
// what a run needs. New accounts get far less than the default quota of
// 1,000 (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html;
// the figures: GetAccountSettings, AccountLimit.ConcurrentExecutions and
// UnreservedConcurrentExecutions,
// https://docs.aws.amazon.com/lambda/latest/api/API_GetAccountSettings.html;
// both read 2026-11-30).
func concurrency(ctx context.Context, api LambdaAPI, rate int) Row {
	row := Row{Check: "lambda: concurrency quota"}
	out, err := api.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil {
		row.Status, row.Detail, row.Fix = Fail, "lambda:GetAccountSettings: "+err.Error(), policyFix
		return row
	}
	if out.AccountLimit == nil {
		row.Status, row.Detail = Warn, "the API reported no account limit"
		row.Fix = "check Lambda's concurrent executions quota in the Service Quotas console"
		return row
	}
	limit, free := out.AccountLimit.ConcurrentExecutions, aws.ToInt32(out.AccountLimit.UnreservedConcurrentExecutions)
	need := Concurrency(rate)
	row.Detail = fmt.Sprintf("%d concurrent executions (%d unreserved); a run at %d req/s needs about %d", limit, free, rate, need)
	switch {
	case int(free) < need:
		row.Status = Fail
		maxRate := int(float64(free-1) / perRequest.Seconds())
		row.Fix = fmt.Sprintf("run with --rate %d or less, or ask for more in Service Quotas (AWS Lambda, Concurrent executions)", max(maxRate, 0))
	case limit < 1000:
		row.Status = Warn
		row.Detail += "; below the default 1,000, as on a new account"
		row.Fix = "enough for the labs; ask for more in Service Quotas if you raise --rate"
	default:
		row.Status = OK
	}
	return row
}

// NewDeps returns the clients of cfg and the deployers' preflights;
// container may be nil (an untyped nil: no container check).
func NewDeps(cfg aws.Config, vm VMPreflight, container ContainerPreflight) Deps {
	return Deps{STS: sts.NewFromConfig(cfg), IAM: iam.NewFromConfig(cfg), Lambda: lambda.NewFromConfig(cfg), VM: vm, Container: container}
}
