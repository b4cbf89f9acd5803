package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
	"github.com/computeladder/computeladder/deployers/awsenv/awstest"
	"github.com/computeladder/computeladder/deployers/ec2"
	"github.com/computeladder/computeladder/deployers/ecs"
)

// fake records every call and answers as an account set up by
// infra/iam/README.md would, unless told otherwise.
type fake struct {
	mu       sync.Mutex
	calls    []string
	sims     []*iam.SimulatePrincipalPolicyInput
	arn      string
	stsErr   error
	deny     map[string]bool // actions the simulation denies
	noPolicy bool            // the boundary policy is missing
	slr      bool            // ECS's service-linked role exists
	limit    int32
	free     int32
	vmRuns   []awsenv.DryRun
	vmErr    error
}

func newFake() *fake {
	return &fake{arn: "arn:aws:iam::123456789012:user/student", deny: map[string]bool{}, limit: 1000, free: 1000,
		vmRuns: []awsenv.DryRun{{Call: "ec2:CreateSecurityGroup (tagged)"}, {Call: "ec2:RunInstances (t3.micro)", Note: "with the default security group"}}}
}

func (f *fake) record(c string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

func (f *fake) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	f.record("sts:GetCallerIdentity")
	if f.stsErr != nil {
		return nil, f.stsErr
	}
	return &sts.GetCallerIdentityOutput{Arn: aws.String(f.arn), Account: aws.String("123456789012")}, nil
}

func (f *fake) SimulatePrincipalPolicy(_ context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	f.record("iam:SimulatePrincipalPolicy")
	f.mu.Lock()
	f.sims = append(f.sims, in)
	f.mu.Unlock()
	out := &iam.SimulatePrincipalPolicyOutput{}
	for _, a := range in.ActionNames {
		d := iamtypes.PolicyEvaluationDecisionTypeAllowed
		if f.deny[a] {
			d = iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
		}
		out.EvaluationResults = append(out.EvaluationResults, iamtypes.EvaluationResult{EvalActionName: aws.String(a), EvalDecision: d})
	}
	return out, nil
}

func (f *fake) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	f.record("iam:GetRole " + aws.ToString(in.RoleName))
	if !f.slr {
		return nil, &smithy.GenericAPIError{Code: "NoSuchEntity"}
	}
	return &iam.GetRoleOutput{}, nil
}

func (f *fake) GetPolicy(_ context.Context, in *iam.GetPolicyInput, _ ...func(*iam.Options)) (*iam.GetPolicyOutput, error) {
	f.record("iam:GetPolicy " + aws.ToString(in.PolicyArn))
	if f.noPolicy {
		return nil, &smithy.GenericAPIError{Code: "NoSuchEntity"}
	}
	return &iam.GetPolicyOutput{}, nil
}

func (f *fake) GetAccountSettings(context.Context, *lambda.GetAccountSettingsInput, ...func(*lambda.Options)) (*lambda.GetAccountSettingsOutput, error) {
	f.record("lambda:GetAccountSettings")
	return &lambda.GetAccountSettingsOutput{AccountLimit: &lambdatypes.AccountLimit{ConcurrentExecutions: f.limit, UnreservedConcurrentExecutions: aws.Int32(f.free)}}, nil
}

type vmFake struct{ f *fake }

func (v vmFake) Preflight(_ context.Context, memoryMB int, goarch string) ([]awsenv.DryRun, error) {
	v.f.record(fmt.Sprintf("vm preflight %d %s", memoryMB, goarch))
	return v.f.vmRuns, v.f.vmErr
}

type containerFake struct{ f *fake }

func (c containerFake) Preflight(context.Context) ([]awsenv.DryRun, error) {
	c.f.record("container preflight")
	return []awsenv.DryRun{{Call: "ec2:CreateSecurityGroup for the container's task (tagged)"}}, nil
}

func (f *fake) deps() Deps {
	return Deps{STS: f, IAM: f, Lambda: f, VM: vmFake{f}, Container: containerFake{f}}
}

var aws1 = Config{Region: "us-east-1", MemoryMB: 0, Arch: "amd64", Rate: 50}

func row(t *testing.T, r Report, prefix string) Row {
	t.Helper()
	for _, x := range r {
		if strings.HasPrefix(x.Check, prefix) {
			return x
		}
	}
	t.Fatalf("no row %q in:\n%s", prefix, table(r))
	return Row{}
}

func table(r Report) string {
	var b bytes.Buffer
	_ = r.Write(&b)
	return b.String()
}

func TestAllSetUpOnAWS(t *testing.T) {
	f := newFake()
	r := Run(context.Background(), f.deps(), aws1)
	if !r.OK() {
		t.Fatalf("a set-up account: want every check passed:\n%s", table(r))
	}
	if got := row(t, r, "credentials"); !strings.Contains(got.Detail, "arn:aws:iam::123456789012:user/student") || !strings.Contains(got.Detail, "us-east-1") {
		t.Errorf("credentials row %+v: want the ARN and the region", got)
	}
	if got := row(t, r, "vm: dry run ec2:RunInstances"); got.Status != OK || !strings.Contains(got.Detail, "default security group") {
		t.Errorf("launch row %+v: want allowed, with what differs from a run", got)
	}
	if got := row(t, r, "ecs: service-linked role"); got.Status != OK || !strings.Contains(got.Detail, "creates it on its first run") {
		t.Errorf("service-linked role row %+v", got)
	}
	// Every simulation carries the context keys the policy conditions on,
	// with the values a run sends, on the caller itself.
	ctxOf := map[string]map[string][]string{}
	for _, in := range f.sims {
		if aws.ToString(in.PolicySourceArn) != f.arn {
			t.Errorf("simulated %s, want the caller", aws.ToString(in.PolicySourceArn))
		}
		m := map[string][]string{}
		for _, e := range in.ContextEntries {
			m[aws.ToString(e.ContextKeyName)] = e.ContextKeyValues
		}
		for _, a := range in.ActionNames {
			ctxOf[a] = m
		}
	}
	if c := ctxOf["iam:CreateRole"]; c["iam:PermissionsBoundary"][0] != "arn:aws:iam::123456789012:policy/computeladder-boundary" || c["aws:RequestTag/computeladder:run-id"] == nil {
		t.Errorf("iam:CreateRole simulated with %v: want the boundary and the run-id tag", c)
	}
	if c := ctxOf["iam:CreateServiceLinkedRole"]; c["iam:AWSServiceName"][0] != "ecs.amazonaws.com" {
		t.Errorf("iam:CreateServiceLinkedRole simulated with %v", c)
	}
	if c := ctxOf["ecs:RunTask"]; !strings.HasSuffix(c["ecs:cluster"][0], ":cluster/computeladder-doctor") {
		t.Errorf("ecs:RunTask simulated with %v: want the lab cluster", c)
	}
	for _, want := range []string{"vm preflight 0 amd64", "container preflight", "iam:GetPolicy arn:aws:iam::123456789012:policy/computeladder-boundary", "iam:GetRole AWSServiceRoleForECS", "lambda:GetAccountSettings"} {
		if !strings.Contains(strings.Join(f.calls, "\n"), want) {
			t.Errorf("no call %q in %v", want, f.calls)
		}
	}
	out := table(r)
	if !strings.Contains(out, "✓") || strings.Contains(out, "✗") {
		t.Errorf("table:\n%s", out)
	}
}

func TestEachProblemFailsWithItsFix(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*fake, *Config)
		row   string
		fix   string
	}{
		{"no credentials", func(f *fake, _ *Config) { f.stsErr = errors.New("no valid credential sources") }, "credentials", "aws configure"},
		{"region outside the lab", func(_ *fake, c *Config) { c.Region = "ap-south-1" }, "region", "--region us-east-1"},
		{"launch denied", func(f *fake, _ *Config) {
			f.vmRuns[1].Err = fmt.Errorf("%w: You are not authorized to perform this operation", awsenv.ErrDryRunDenied)
		}, "vm: dry run ec2:RunInstances", "infra/iam/README.md"},
		{"no default vpc", func(f *fake, _ *Config) { f.vmErr = errors.New("no default vpc in us-east-1") }, "vm: dry run", "nothing was sent"},
		{"a call denied", func(f *fake, _ *Config) { f.deny["ecr:BatchGetImage"] = true }, "iam: every other call", "lab-user-policy-ecs-lambda.json"},
		{"boundary missing", func(f *fake, _ *Config) { f.noPolicy = true }, "iam: permissions boundary", "lab-role-boundary.json"},
		{"concurrency too low", func(f *fake, _ *Config) { f.limit, f.free = 10, 5 }, "lambda: concurrency", "--rate 40 or less"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, c := newFake(), aws1
			tc.setup(f, &c)
			r := Run(context.Background(), f.deps(), c)
			if r.OK() {
				t.Fatalf("want a failed check:\n%s", table(r))
			}
			got := row(t, r, tc.row)
			if got.Status != Fail || !strings.Contains(got.Fix, tc.fix) {
				t.Errorf("row %+v: want ✗ with a fix mentioning %q", got, tc.fix)
			}
			if tc.name == "a call denied" && !strings.Contains(got.Detail, "ecr:BatchGetImage") {
				t.Errorf("denied row %q does not name the action", got.Detail)
			}
		})
	}
}

func TestSkipsWhatCannotBeCheckedHere(t *testing.T) {
	// An emulator: no policy is evaluated, its quota is not AWS's.
	f := newFake()
	emu := aws1
	emu.Emulator = true
	r := Run(context.Background(), Deps{STS: f, IAM: f, Lambda: f, VM: vmFake{f}}, emu)
	if !r.OK() {
		t.Fatalf("emulator: want a run possible:\n%s", table(r))
	}
	if got := row(t, r, "iam: every other call"); got.Status != Skip || !strings.Contains(got.Detail, "emulator evaluates no IAM policy") {
		t.Errorf("simulation on an emulator: %+v", got)
	}
	if len(f.sims) != 0 || strings.Contains(strings.Join(f.calls, " "), "GetAccountSettings") {
		t.Errorf("calls on an emulator: %v", f.calls)
	}
	// A role's session: the lab policy lets a user simulate only itself.
	f = newFake()
	f.arn = "arn:aws:sts::123456789012:assumed-role/Admin/alice"
	r = Run(context.Background(), f.deps(), aws1)
	if got := row(t, r, "iam: every other call"); got.Status != Skip || !strings.Contains(got.Detail, "not an IAM user") {
		t.Errorf("simulation as a role: %+v", got)
	}
}

func TestConcurrencyNeeds(t *testing.T) {
	for rate, want := range map[int]int{0: 1, 1: 2, 50: 6, 200: 21} {
		if got := Concurrency(rate); got != want {
			t.Errorf("Concurrency(%d) = %d, want %d", rate, got, want)
		}
	}
	f := newFake()
	f.limit, f.free = 10, 10
	got := row(t, Run(context.Background(), f.deps(), aws1), "lambda: concurrency")
	if got.Status != Warn || !strings.Contains(got.Detail, "new account") {
		t.Errorf("a new account's quota that fits: %+v, want a warning that does not fail", got)
	}
}

// TestDryRunsOnMoto runs the checks against moto through the real
// deployers: moto answers the dry runs as AWS does when a request would
// succeed, and creates nothing.
func TestDryRunsOnMoto(t *testing.T) {
	cfg := awstest.Moto(t)
	vm, err := ec2.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	container, err := ecs.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := Run(context.Background(), NewDeps(cfg, vm, container), Config{Region: cfg.Region, Emulator: true, Arch: "arm64", Rate: 50})
	if !r.OK() {
		t.Fatalf("doctor on moto:\n%s", table(r))
	}
	for _, prefix := range []string{"vm: dry run ec2:CreateSecurityGroup", "vm: dry run ec2:RunInstances (t4g.micro", "container: dry run ec2:CreateSecurityGroup"} {
		if got := row(t, r, prefix); got.Status != OK {
			t.Errorf("%s: %+v", prefix, got)
		}
	}
	if rs, err := vm.List(context.Background(), ""); err != nil || slices.ContainsFunc(rs, func(x deployers.Resource) bool { return strings.HasPrefix(x.RunID, "doctor-") }) {
		t.Errorf("after doctor: %v (%v), want nothing of doctor's", rs, err)
	}
}
