package awslambda_test

import (
	"archive/zip"
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/deployers/awsenv/awstest"
	"github.com/computeladder/computeladder/deployers/awslambda"
	"github.com/computeladder/computeladder/deployers/deployertest"
)

// fakeZip writes a function.zip with a bootstrap at its root. Moto records
// functions without running them, so the bytes need not be the real app.
func fakeZip(t *testing.T) *artifact.Set {
	t.Helper()
	p := filepath.Join(t.TempDir(), "function.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, err := zw.Create("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("#!/bin/sh\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return &artifact.Set{Arch: "amd64", FunctionZip: p}
}

type fixture struct {
	cfg aws.Config
	dp  *awslambda.Deployer
	lc  *lambda.Client
	ic  *iam.Client
	cw  *cloudwatchlogs.Client
}

func newFixture(t *testing.T, opts ...awslambda.Option) fixture {
	t.Helper()
	cfg := awstest.Moto(t)
	dp, err := awslambda.New(cfg, append([]awslambda.Option{awslambda.WithPollInterval(10 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return fixture{cfg: cfg, dp: dp, lc: lambda.NewFromConfig(cfg), ic: iam.NewFromConfig(cfg), cw: cloudwatchlogs.NewFromConfig(cfg)}
}

func (f fixture) deploy(t *testing.T, spec deployers.Spec) *deployers.Deployment {
	t.Helper()
	d, err := f.dp.Deploy(context.Background(), spec)
	t.Cleanup(func() {
		if err := f.dp.Teardown(context.Background(), d); err != nil {
			t.Errorf("cleanup teardown: %v", err)
		}
	})
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	return d
}

func kinds(rs []deployers.Resource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Kind)
	}
	slices.Sort(out)
	return out
}

// requireGone checks the APIs themselves (not only List) for the run's
// function, role and log group.
func (f fixture) requireGone(t *testing.T, runID string) {
	t.Helper()
	ctx := context.Background()
	name := awslambda.FunctionName(runID)
	_, err := f.lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: &name})
	var lnf *types.ResourceNotFoundException
	if !errors.As(err, &lnf) {
		t.Errorf("GetFunction after teardown: %v, want not found", err)
	}
	_, err = f.ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(awslambda.RoleName(runID))})
	var inf *iamtypes.NoSuchEntityException
	if !errors.As(err, &inf) {
		t.Errorf("GetRole after teardown: %v, want NoSuchEntity", err)
	}
	groups, err := f.cw.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(awslambda.LogGroupName(name))})
	if err != nil {
		t.Errorf("DescribeLogGroups: %v", err)
	} else {
		for _, g := range groups.LogGroups {
			// The prefix also matches runs whose id extends this one.
			if aws.ToString(g.LogGroupName) == awslambda.LogGroupName(name) {
				t.Errorf("log group %s left after teardown", aws.ToString(g.LogGroupName))
			}
		}
	}
	left, err := f.dp.List(ctx, runID)
	if err != nil || len(left) != 0 {
		t.Errorf("List after teardown = %v, %v; want nothing", left, err)
	}
}

func TestDeployDescribeTeardown(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	runID := deployertest.RunID(t, "lambda")
	spec := deployers.Spec{RunID: runID, Artifacts: fakeZip(t), MemoryMB: 256, Timeout: 5 * time.Second, Env: map[string]string{"GREETING": "hi"}}
	d := f.deploy(t, spec)

	var names []string
	for _, p := range d.Phases {
		names = append(names, p.Name)
	}
	wantPhases := []string{"deploy", "role-created", "function-created", "active", "url-created"}
	if !slices.Equal(names, wantPhases) {
		t.Errorf("phases = %v, want %v (no first-200 on moto)", names, wantPhases)
	}
	if got := d.NotMeasured; !strings.HasPrefix(got, awslambda.PhaseFirst200+": ") {
		t.Errorf("NotMeasured = %q, want first-200 with a reason", got)
	}
	// Role, IAM propagation and the function are preparation: startup
	// counts from the first invoke, once the URL exists.
	if d.StartupFrom != awslambda.StartupOrigin || d.Preparation != awslambda.PreparationRole {
		t.Errorf("startup from %q after %q, want from %q after %q", d.StartupFrom, d.Preparation, awslambda.StartupOrigin, awslambda.PreparationRole)
	}
	if d.MemoryMB != 256 {
		t.Errorf("MemoryMB = %d, want the spec's 256", d.MemoryMB)
	}
	if d.Details[awslambda.DetailAuth] != "AWS_IAM" {
		t.Errorf("Details[auth] = %q, want AWS_IAM", d.Details[awslambda.DetailAuth])
	}
	if d.URL == "" || strings.HasSuffix(d.URL, "/") {
		t.Errorf("URL = %q, want the Function URL without a trailing slash", d.URL)
	}

	name := awslambda.FunctionName(runID)
	fc, err := f.lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: &name})
	if err != nil {
		t.Fatalf("GetFunctionConfiguration: %v", err)
	}
	if fc.Runtime != types.RuntimeProvidedal2023 || aws.ToString(fc.Handler) != "bootstrap" ||
		aws.ToInt32(fc.MemorySize) != 256 || aws.ToInt32(fc.Timeout) != 5 ||
		!slices.Equal(fc.Architectures, []types.Architecture{types.ArchitectureX8664}) {
		t.Errorf("function = runtime %s handler %s memory %d timeout %d arch %v; want provided.al2023 bootstrap 256 5 [x86_64]",
			fc.Runtime, aws.ToString(fc.Handler), aws.ToInt32(fc.MemorySize), aws.ToInt32(fc.Timeout), fc.Architectures)
	}
	if !strings.HasSuffix(aws.ToString(fc.Role), "/"+awslambda.RoleName(runID)) {
		t.Errorf("role = %s, want the run's role", aws.ToString(fc.Role))
	}
	uc, err := f.lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: &name})
	if err != nil {
		t.Fatalf("GetFunctionUrlConfig: %v", err)
	}
	if uc.AuthType != types.FunctionUrlAuthTypeAwsIam {
		t.Errorf("url auth = %s, want AWS_IAM", uc.AuthType)
	}
	pol, err := f.ic.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(awslambda.RoleName(runID)), PolicyName: aws.String("write-own-logs")})
	if err != nil {
		t.Fatalf("GetRolePolicy: %v", err)
	}
	// IAM returns policy documents URL-encoded.
	doc, err := url.QueryUnescape(aws.ToString(pol.PolicyDocument))
	if err != nil {
		t.Fatalf("policy document: %v", err)
	}
	if !strings.Contains(doc, "log-group:/aws/lambda/"+name+":*") || strings.Contains(doc, `"*"`) || strings.Contains(doc, "CreateLogGroup") {
		t.Errorf("role policy %s: want only stream/event writes to the function's own log group", doc)
	}
	role, err := f.ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(awslambda.RoleName(runID))})
	if err != nil || role.Role.PermissionsBoundary == nil ||
		aws.ToString(role.Role.PermissionsBoundary.PermissionsBoundaryArn) != "arn:aws:iam::123456789012:policy/computeladder-boundary" ||
		d.Details[awslambda.DetailBoundary] != aws.ToString(role.Role.PermissionsBoundary.PermissionsBoundaryArn) {
		t.Errorf("role %+v (%v), detail %q: want the lab's permissions boundary on it", role, err, d.Details[awslambda.DetailBoundary])
	}
	attached, err := f.ic.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(awslambda.RoleName(runID))})
	if err != nil || len(attached.AttachedPolicies) != 0 {
		t.Errorf("attached policies = %v, %v; want none", attached, err)
	}
	groups, err := f.cw.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/" + name)})
	if err != nil || len(groups.LogGroups) != 1 || aws.ToInt32(groups.LogGroups[0].RetentionInDays) != awslambda.LogRetentionDays {
		t.Errorf("log group = %+v, %v; want one with %d-day retention", groups, err, awslambda.LogRetentionDays)
	}

	listed, err := f.dp.List(ctx, runID)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if got, want := kinds(listed), []string{awslambda.KindRole, awslambda.KindFunction, awslambda.KindLogGroup}; !slices.Equal(got, sorted(want)) {
		t.Errorf("List kinds = %v, want %v", got, sorted(want))
	}

	if err := f.dp.ForceColdStart(ctx, d); err != nil {
		t.Fatalf("ForceColdStart: %v", err)
	}
	after, err := f.lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: &name})
	if err != nil {
		t.Fatalf("GetFunctionConfiguration: %v", err)
	}
	vars := after.Environment.Variables
	if vars[awslambda.ColdStartEnv] == "" || vars["GREETING"] != "hi" || after.LastUpdateStatus != types.LastUpdateStatusSuccessful {
		t.Errorf("after cold start: env %v, last update %s; want %s set, GREETING kept, Successful", vars, after.LastUpdateStatus, awslambda.ColdStartEnv)
	}

	if err := f.dp.Teardown(ctx, d); err != nil {
		t.Fatalf("Teardown: %v", err)
	}
	f.requireGone(t, runID)
	if err := f.dp.Teardown(ctx, d); err != nil {
		t.Errorf("second Teardown: %v, want nil (idempotent)", err)
	}
	if err := f.dp.Teardown(ctx, nil); err != nil {
		t.Errorf("Teardown(nil) = %v", err)
	}
}

func sorted(s []string) []string { slices.Sort(s); return s }

func TestPublicURL(t *testing.T) {
	f := newFixture(t, awslambda.WithPublicURL())
	ctx := context.Background()
	runID := deployertest.RunID(t, "lambda-pub")
	d := f.deploy(t, deployers.Spec{RunID: runID, Artifacts: fakeZip(t)})
	if d.Details[awslambda.DetailAuth] != "NONE" {
		t.Errorf("Details[auth] = %q, want NONE", d.Details[awslambda.DetailAuth])
	}
	name := awslambda.FunctionName(runID)
	uc, err := f.lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: &name})
	if err != nil || uc.AuthType != types.FunctionUrlAuthTypeNone {
		t.Fatalf("url config = %+v, %v; want auth NONE", uc, err)
	}
	pol, err := f.lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: &name})
	if err != nil {
		t.Fatalf("GetPolicy: %v", err)
	}
	if p := aws.ToString(pol.Policy); !strings.Contains(p, "lambda:InvokeFunctionUrl") || !strings.Contains(p, "lambda:InvokeFunction\"") {
		t.Errorf("policy %s: want InvokeFunctionUrl and InvokeFunction statements", p)
	}
	if err := f.dp.Teardown(ctx, d); err != nil {
		t.Fatalf("Teardown: %v", err)
	}
	f.requireGone(t, runID)
}

// TestSweepAfterCrash deploys two runs, forgets one deployment as a killed
// process would, and checks that Sweep removes exactly that run's resources.
func TestSweepAfterCrash(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	crashed := deployertest.RunID(t, "lambda-crash")
	kept := crashed + "-kept"
	f.deploy(t, deployers.Spec{RunID: crashed, Artifacts: fakeZip(t)})
	f.deploy(t, deployers.Spec{RunID: kept, Artifacts: fakeZip(t)})

	removed, err := f.dp.Sweep(ctx, crashed)
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if got, want := kinds(removed), sorted([]string{awslambda.KindFunction, awslambda.KindRole, awslambda.KindLogGroup}); !slices.Equal(got, want) {
		t.Errorf("Sweep removed %v, want %v", removed, want)
	}
	for _, r := range removed {
		if r.RunID != crashed || r.Variant != deployers.Lambda {
			t.Errorf("Sweep removed %s of run %s variant %s, want only run %s", r, r.RunID, r.Variant, crashed)
		}
		if r.Owner != deployers.Self() {
			t.Errorf("Sweep removed %s with owner %q, want %q from its %s tag", r, r.Owner, deployers.Self(), deployers.TagOwner)
		}
	}
	f.requireGone(t, crashed)
	left, err := f.dp.List(ctx, kept)
	if err != nil || len(left) != 3 {
		t.Errorf("the other run after Sweep: %v, %v; want its 3 resources untouched", left, err)
	}
	again, err := f.dp.Sweep(ctx, crashed)
	if err != nil || len(again) != 0 {
		t.Errorf("second Sweep = %v, %v; want nothing", again, err)
	}
}

func TestBadInputCreatesNothing(t *testing.T) {
	f := newFixture(t)
	good := fakeZip(t)
	tests := []struct {
		name    string
		dp      *awslambda.Deployer
		spec    func(runID string) deployers.Spec
		wantErr string
	}{
		{"missing zip", f.dp, func(id string) deployers.Spec {
			return deployers.Spec{RunID: id, Artifacts: &artifact.Set{Arch: "amd64", FunctionZip: "/nonexistent/function.zip"}}
		}, "build it first"},
		{"no artifacts", f.dp, func(id string) deployers.Spec { return deployers.Spec{RunID: id} }, "build them first"},
		{"memory too small", f.dp, func(id string) deployers.Spec { return deployers.Spec{RunID: id, Artifacts: good, MemoryMB: 64} }, "Lambda allows 128-10240 MB"},
		{"memory too large", f.dp, func(id string) deployers.Spec { return deployers.Spec{RunID: id, Artifacts: good, MemoryMB: 20000} }, "Lambda allows 128-10240 MB"},
		{"timeout too long", f.dp, func(id string) deployers.Spec {
			return deployers.Spec{RunID: id, Artifacts: good, Timeout: 16 * time.Minute}
		}, "whole seconds from 1s"},
		{"fractional timeout", f.dp, func(id string) deployers.Spec {
			return deployers.Spec{RunID: id, Artifacts: good, Timeout: 1500 * time.Millisecond}
		}, "whole seconds"},
		{"unsupported arch", f.dp, func(id string) deployers.Spec {
			return deployers.Spec{RunID: id, Artifacts: &artifact.Set{Arch: "riscv64", FunctionZip: good.FunctionZip}}
		}, "amd64 or arm64"},
		{"reserved env", f.dp, func(id string) deployers.Spec {
			return deployers.Spec{RunID: id, Artifacts: good, Env: map[string]string{"AWS_REGION": "x"}}
		}, "reserved"},
		{"missing role", mustNew(t, f.cfg, awslambda.WithRole("arn:aws:iam::123456789012:role/computeladder-no-such-role"), awslambda.WithRoleWait(0)),
			func(id string) deployers.Spec { return deployers.Spec{RunID: id, Artifacts: good} }, "cannot be assumed by Lambda"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runID := deployertest.RunID(t, "lambda-bad")
			d, err := tt.dp.Deploy(context.Background(), tt.spec(runID))
			t.Cleanup(func() { _ = tt.dp.Teardown(context.Background(), d) })
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Deploy = %v, want an error containing %q", err, tt.wantErr)
			}
			t.Logf("error: %v", err)
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			left, lerr := f.dp.List(context.Background(), runID)
			if lerr != nil || len(left) != 0 {
				t.Errorf("after the failed Deploy: %v, %v; want nothing left", left, lerr)
			}
		})
	}
}

func mustNew(t *testing.T, cfg aws.Config, opts ...awslambda.Option) *awslambda.Deployer {
	t.Helper()
	dp, err := awslambda.New(cfg, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return dp
}

// TestRunIDInUse deploys a run id that is already deployed: the second
// Deploy must fail with a hint and leave the first deployment whole.
func TestRunIDInUse(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	runID := deployertest.RunID(t, "lambda-dup")
	first := f.deploy(t, deployers.Spec{RunID: runID, Artifacts: fakeZip(t)})

	second, err := f.dp.Deploy(ctx, deployers.Spec{RunID: runID, Artifacts: fakeZip(t)})
	t.Cleanup(func() { _ = f.dp.Teardown(context.Background(), second) })
	if err == nil || !strings.Contains(err.Error(), "already has resources") {
		t.Fatalf("second Deploy = %v, want an already-has-resources error", err)
	}
	left, err := f.dp.List(ctx, runID)
	if err != nil || len(left) != 3 {
		t.Errorf("first deployment after the failed second: %v, %v; want its 3 resources", left, err)
	}
	if err := f.dp.Teardown(ctx, first); err != nil {
		t.Fatalf("Teardown: %v", err)
	}
	f.requireGone(t, runID)
}
