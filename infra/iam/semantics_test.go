package iam

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
	"github.com/computeladder/computeladder/deployers/awslambda"
	"github.com/computeladder/computeladder/deployers/ec2"
	"github.com/computeladder/computeladder/deployers/ecs"
	"github.com/computeladder/computeladder/harness/doctor"
)

const (
	account = "123456789012"
	region  = "us-east-1"
)

func ec2ARN(resource string) string { return "arn:aws:ec2:" + region + ":" + account + ":" + resource }

// ec2Creates says which resource types each EC2 create call creates and
// which existing ones it uses, as the Service Authorization Reference
// lists them (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html,
// RunInstances and CreateSecurityGroup, read 2026-11-30): AWS authorizes
// the call once per resource type, each with its own condition keys.
var ec2Creates = map[string]struct {
	creates []ec2types.ResourceType
	uses    []string // ARNs of the existing resources the sample request names
}{
	"ec2:RunInstances": {
		creates: []ec2types.ResourceType{ec2types.ResourceTypeInstance, ec2types.ResourceTypeVolume, ec2types.ResourceTypeNetworkInterface},
		uses:    []string{"arn:aws:ec2:" + region + "::image/ami-0sample", ec2ARN("subnet/subnet-0sample"), ec2ARN("security-group/sg-0sample")},
	},
	"ec2:CreateSecurityGroup": {
		creates: []ec2types.ResourceType{ec2types.ResourceTypeSecurityGroup},
		uses:    []string{ec2ARN("vpc/vpc-0sample")},
	},
}

// createdContext is the condition keys AWS evaluates for one created
// resource type: aws:RequestTag/<key> for the tags the request puts on that
// type (and only that type), ec2:InstanceType for the instance.
func createdContext(specs []ec2types.TagSpecification, rt ec2types.ResourceType, instanceType, reg string) map[string][]string {
	ctx := map[string][]string{"aws:RequestedRegion": {reg}}
	var keys []string
	for _, s := range specs {
		if s.ResourceType != rt {
			continue
		}
		for _, tag := range s.Tags {
			ctx["aws:RequestTag/"+aws.ToString(tag.Key)] = []string{aws.ToString(tag.Value)}
			keys = append(keys, aws.ToString(tag.Key))
		}
	}
	if len(keys) > 0 {
		ctx["aws:TagKeys"] = keys
	}
	if rt == ec2types.ResourceTypeInstance {
		ctx["ec2:InstanceType"] = []string{instanceType}
	}
	return ctx
}

// checkEC2Create checks one request the code builds: every resource type it
// creates is allowed with the tags the code puts on it — or untagged, if
// the policy allows that on purpose — and so is every resource it uses;
// and tagging on create is allowed for each type it tags.
func checkEC2Create(t *testing.T, stmts []statement, who, action string, specs []ec2types.TagSpecification, instanceType, reg string) {
	t.Helper()
	c := ec2Creates[action]
	for _, rt := range c.creates {
		ctx := createdContext(specs, rt, instanceType, reg)
		arn := ec2ARN(string(rt) + "/*")
		if ok, _ := decision(t, stmts, request{action, arn, ctx}); !ok {
			tagged := "untagged"
			if _, ok := ctx["aws:TagKeys"]; ok {
				tagged = "tagged " + strings.Join(ctx["aws:TagKeys"], ", ")
			}
			t.Errorf("%s: %s creates a %s (%s, %s, %s): the policy denies it — tag it in the request or allow it untagged on purpose",
				who, action, rt, tagged, instanceType, reg)
			continue
		}
		if _, tagged := ctx["aws:TagKeys"]; tagged {
			_, op, _ := strings.Cut(action, ":")
			if ok, _ := decision(t, stmts, request{"ec2:CreateTags", arn, map[string][]string{"ec2:CreateAction": {op}}}); !ok {
				t.Errorf("%s: %s tags its %s on create, but ec2:CreateTags with ec2:CreateAction=%s is denied", who, action, rt, op)
			}
		}
	}
	for _, arn := range c.uses {
		if ok, _ := decision(t, stmts, request{action, arn, map[string][]string{"aws:RequestedRegion": {reg}}}); !ok {
			t.Errorf("%s: %s uses %s: the policy denies it", who, action, arn)
		}
	}
}

// TestCreateCallsAreAllowedForWhatTheyCreate reads the requests the
// deployers build (their own builders, not a copy) and checks them
// against the policy resource type by resource type.
func TestCreateCallsAreAllowedForWhatTheyCreate(t *testing.T) {
	stmts := readPolicy(t)
	for _, it := range ec2.InstanceTypes() {
		for _, reg := range awsenv.LabRegions {
			in := ec2.LaunchInput(ec2.Launch{RunID: "r1", Name: "computeladder-r1-vm-x", Image: "ami-0sample", RootDevice: "/dev/xvda",
				InstanceType: it, Subnet: "subnet-0sample", SecurityGroup: "sg-0sample", UserData: "#!/bin/sh", ClientToken: "t"})
			checkEC2Create(t, stmts, "ec2.LaunchInput", "ec2:RunInstances", in.TagSpecifications, string(in.InstanceType), reg)
		}
	}
	for who, in := range map[string]*ec2sdk.CreateSecurityGroupInput{
		"ec2.SecurityGroupInput": ec2.SecurityGroupInput("r1", "computeladder-r1-vm-x", "vpc-0sample"),
		"ecs.SecurityGroupInput": ecs.SecurityGroupInput("r1", "computeladder-r1-x", "vpc-0sample"),
	} {
		checkEC2Create(t, stmts, who, "ec2:CreateSecurityGroup", in.TagSpecifications, "", region)
	}
}

// TestEC2CreatesGoThroughTheCheckedBuilders makes sure the requests checked
// above are the only ones: no other code builds a RunInstances or
// CreateSecurityGroup request.
func TestEC2CreatesGoThroughTheCheckedBuilders(t *testing.T) {
	allowed := map[string]string{"RunInstancesInput": "LaunchInput", "CreateSecurityGroupInput": "CreateInput"}
	for _, lit := range createLiterals(t) {
		if lit.svc != "ec2" {
			continue
		}
		if want, ok := allowed[lit.typ]; ok && lit.fn != want {
			t.Errorf("%s: ec2.%s built in %s: build it with %s, whose request the policy test checks", lit.pos, lit.typ, lit.fn, want)
		}
	}
}

// otherCreates are the create calls of the other services: each creates
// one resource of one type, named here as the deployers name it.
var otherCreates = map[string]struct {
	action   string
	resource string
	ctx      map[string][]string
}{
	"iam.CreateRoleInput":                 {"iam:CreateRole", "arn:aws:iam::" + account + ":role/computeladder-r1-x", nil},
	"iam.CreateServiceLinkedRoleInput":    {"iam:CreateServiceLinkedRole", strings.ReplaceAll(ecs.ServiceLinkedRoleARN, "*", account), map[string][]string{"iam:AWSServiceName": {"ecs.amazonaws.com"}}},
	"lambda.CreateFunctionInput":          {"lambda:CreateFunction", "arn:aws:lambda:" + region + ":" + account + ":function:" + awslambda.FunctionName("r1"), nil},
	"lambda.CreateFunctionUrlConfigInput": {"lambda:CreateFunctionUrlConfig", "arn:aws:lambda:" + region + ":" + account + ":function:" + awslambda.FunctionName("r1"), nil},
	"cloudwatchlogs.CreateLogGroupInput":  {"logs:CreateLogGroup", "", nil}, // per package: see logGroupOf
	"ecr.CreateRepositoryInput":           {"ecr:CreateRepository", "arn:aws:ecr:" + region + ":" + account + ":repository/computeladder-r1-x", nil},
	"ecs.CreateClusterInput":              {"ecs:CreateCluster", "arn:aws:ecs:" + region + ":" + account + ":cluster/computeladder-r1-x", nil},
	"ecs.RegisterTaskDefinitionInput":     {"ecs:RegisterTaskDefinition", "arn:aws:ecs:" + region + ":" + account + ":task-definition/computeladder-r1-x:1", nil},
	"ecs.RunTaskInput": {"ecs:RunTask", "arn:aws:ecs:" + region + ":" + account + ":task-definition/computeladder-r1-x:1",
		map[string][]string{"ecs:cluster": {"arn:aws:ecs:" + region + ":" + account + ":cluster/computeladder-r1-x"}}},
	"s3.CreateBucketInput": {"s3:CreateBucket", "arn:aws:s3:::computeladder-r1-0a1b2c3d", nil},
}

// logGroupOf is the log group each package creates.
var logGroupOf = map[string]string{
	"ecs":       "arn:aws:logs:" + region + ":" + account + ":log-group:computeladder-r1-x",
	"awslambda": "arn:aws:logs:" + region + ":" + account + ":log-group:" + awslambda.LogGroupName(awslambda.FunctionName("r1")),
}

// TestOtherCreatesAreTaggedOrAllowedUntagged reads every create call of the
// other services in the code: when the request carries Tags, the created
// resource is allowed with the run's tags; when it carries none, the policy
// must allow it untagged. A role must name its permissions boundary.
func TestOtherCreatesAreTaggedOrAllowedUntagged(t *testing.T) {
	stmts := readPolicy(t)
	runTags := map[string][]string{"aws:RequestTag/" + deployers.TagRunID: {"r1"}, "aws:RequestTag/" + awsenv.TagVariant: {"vm"},
		"aws:TagKeys": {deployers.TagRunID, awsenv.TagVariant}}
	seen := map[string]bool{}
	for _, lit := range createLiterals(t) {
		if lit.svc == "ec2" {
			continue
		}
		key := lit.svc + "." + lit.typ
		c, ok := otherCreates[key]
		if !ok {
			t.Errorf("%s: %s creates something: add it to otherCreates with what it creates", lit.pos, key)
			continue
		}
		seen[key] = true
		ctx := map[string][]string{}
		tagged := lit.fields["Tags"]
		if tagged {
			for k, v := range runTags {
				ctx[k] = v
			}
		}
		for k, v := range c.ctx {
			ctx[k] = v
		}
		if key == "iam.CreateRoleInput" {
			if !lit.fields["PermissionsBoundary"] {
				t.Errorf("%s: a role created without PermissionsBoundary: every lab role carries %s", lit.pos, awsenv.BoundaryPolicyName)
				continue
			}
			ctx["iam:PermissionsBoundary"] = []string{awsenv.BoundaryARN("aws", account)}
		}
		resource := c.resource
		if key == "cloudwatchlogs.CreateLogGroupInput" {
			resource = logGroupOf[lit.pkg]
		}
		if ok, _ := decision(t, stmts, request{c.action, resource, ctx}); !ok {
			state := "untagged"
			if tagged {
				state = "tagged with the run's tags"
			}
			t.Errorf("%s: %s of %s, %s: the policy denies it", lit.pos, c.action, resource, state)
		}
	}
	for _, must := range []string{"iam.CreateRoleInput", "lambda.CreateFunctionInput", "ecs.RunTaskInput", "s3.CreateBucketInput"} {
		if !seen[must] {
			t.Errorf("no %s found in the code: the extraction is broken", must)
		}
	}
}

// createLiteral is one composite literal of an SDK request type that
// creates something.
type createLiteral struct {
	pos, pkg, fn string
	svc, typ     string
	fields       map[string]bool
}

// createLiterals finds, in the deployers' source (tests excluded), every
// request literal of a create call: <svc>.<Op>Input{...} where Op starts
// with Create or is RegisterTaskDefinition, RunTask or RunInstances.
func createLiterals(t *testing.T) []createLiteral {
	t.Helper()
	var out []createLiteral
	fset := token.NewFileSet()
	for _, dir := range deployerDirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			imports, _ := sdkImports(f)
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok {
					continue
				}
				ast.Inspect(fn, func(n ast.Node) bool {
					cl, ok := n.(*ast.CompositeLit)
					if !ok {
						return true
					}
					sel, svc, ok := sdkSelector(cl.Type, imports)
					if !ok {
						return true
					}
					op, isInput := strings.CutSuffix(sel.Sel.Name, "Input")
					if !isInput || !(strings.HasPrefix(op, "Create") || op == "RegisterTaskDefinition" || op == "RunTask" || op == "RunInstances") ||
						op == "CreateTags" {
						return true
					}
					lit := createLiteral{pos: fset.Position(cl.Pos()).String(), pkg: filepath.Base(dir), fn: fn.Name.Name, svc: svc, typ: sel.Sel.Name, fields: map[string]bool{}}
					for _, e := range cl.Elts {
						if kv, ok := e.(*ast.KeyValueExpr); ok {
							if k, ok := kv.Key.(*ast.Ident); ok {
								lit.fields[k.Name] = true
							}
						}
					}
					out = append(out, lit)
					return true
				})
			}
		}
	}
	return out
}

// TestPolicyBoundsCostAndPrivilege holds the policy to what it must refuse:
// instances of other types or in other regions, untagged security groups,
// roles without the lab's boundary or changes to roles that lack it,
// boundaries removed or changed, policies written, service-linked roles of
// other services, simulating other users.
func TestPolicyBoundsCostAndPrivilege(t *testing.T) {
	stmts := readPolicy(t)
	tag := map[string][]string{"aws:RequestTag/" + deployers.TagRunID: {"r1"}}
	boundary := awsenv.BoundaryARN("aws", account)
	role := "arn:aws:iam::" + account + ":role/computeladder-r1-x"
	with := func(m map[string][]string, kv ...string) map[string][]string {
		out := map[string][]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = []string{kv[i+1]}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		req  request
	}{
		{"an instance type the deployer never picks", request{"ec2:RunInstances", ec2ARN("instance/*"), with(tag, "ec2:InstanceType", "p5.48xlarge", "aws:RequestedRegion", region)}},
		{"a region the lab does not use", request{"ec2:RunInstances", ec2ARN("instance/*"), with(tag, "ec2:InstanceType", "t3.micro", "aws:RequestedRegion", "ap-south-1")}},
		{"an untagged instance", request{"ec2:RunInstances", ec2ARN("instance/*"), with(nil, "ec2:InstanceType", "t3.micro", "aws:RequestedRegion", region)}},
		{"an untagged security group", request{"ec2:CreateSecurityGroup", ec2ARN("security-group/*"), with(nil, "aws:RequestedRegion", region)}},
		{"tags put on an existing resource", request{"ec2:CreateTags", ec2ARN("instance/i-0other"), nil}},
		{"a role without a boundary", request{"iam:CreateRole", role, tag}},
		{"a role with another boundary", request{"iam:CreateRole", role, with(tag, "iam:PermissionsBoundary", "arn:aws:iam::aws:policy/AdministratorAccess")}},
		{"a role outside the lab's names", request{"iam:CreateRole", "arn:aws:iam::" + account + ":role/admin", with(tag, "iam:PermissionsBoundary", boundary)}},
		{"a policy put on a role without the boundary", request{"iam:PutRolePolicy", role, nil}},
		{"a policy removed from a role without the boundary", request{"iam:DeleteRolePolicy", role, with(nil, "iam:PermissionsBoundary", "arn:aws:iam::"+account+":policy/other")}},
		{"a managed policy detached from a role without the boundary", request{"iam:DetachRolePolicy", role, nil}},
		{"a lab role passed to EC2", request{"iam:PassRole", role, with(nil, "iam:PassedToService", "ec2.amazonaws.com")}},
		{"another service's service-linked role", request{"iam:CreateServiceLinkedRole", "arn:aws:iam::" + account + ":role/aws-service-role/lambda.amazonaws.com/AWSServiceRoleForLambda", with(nil, "iam:AWSServiceName", "lambda.amazonaws.com")}},
		{"ECS's service-linked role for another service name", request{"iam:CreateServiceLinkedRole", strings.ReplaceAll(ecs.ServiceLinkedRoleARN, "*", account), with(nil, "iam:AWSServiceName", "ec2.amazonaws.com")}},
		{"simulating another user", request{"iam:SimulatePrincipalPolicy", "arn:aws:iam::" + account + ":user/admin", with(nil, "aws:username", "student")}},
	} {
		if ok, sid := decision(t, stmts, tc.req); ok {
			t.Errorf("%s: allowed by %s, want denied", tc.name, sid)
		}
	}
	// What the lab does do stays allowed, so that the refusals above are
	// the conditions' doing and not a broken match.
	for _, tc := range []struct {
		name string
		req  request
	}{
		{"a lab role with the boundary", request{"iam:CreateRole", role, with(tag, "iam:PermissionsBoundary", boundary)}},
		{"a policy put on a lab role with the boundary", request{"iam:PutRolePolicy", role, with(nil, "iam:PermissionsBoundary", boundary)}},
		{"ECS's service-linked role", request{"iam:CreateServiceLinkedRole", strings.ReplaceAll(ecs.ServiceLinkedRoleARN, "*", account), with(nil, "iam:AWSServiceName", "ecs.amazonaws.com")}},
		{"simulating oneself", request{"iam:SimulatePrincipalPolicy", "arn:aws:iam::" + account + ":user/student", with(nil, "aws:username", "student")}},
	} {
		if ok, _ := decision(t, stmts, tc.req); !ok {
			t.Errorf("%s: denied, want allowed", tc.name)
		}
	}
	// Actions that would let the lab user escalate are granted nowhere.
	escalate := []string{
		"iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary", "iam:PutUserPermissionsBoundary", "iam:DeleteUserPermissionsBoundary",
		"iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
		"iam:AttachRolePolicy", "iam:AttachUserPolicy", "iam:AttachGroupPolicy", "iam:PutUserPolicy", "iam:PutGroupPolicy",
		"iam:UpdateAssumeRolePolicy", "iam:CreateUser", "iam:CreateAccessKey", "iam:AddUserToGroup", "iam:CreateLoginProfile",
		"iam:UpdateLoginProfile", "iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile", "sts:AssumeRole",
	}
	for _, s := range stmts {
		for _, a := range s.Action {
			if slices.Contains(escalate, a) {
				t.Errorf("statement %s grants %s: the lab user could raise its own privileges", s.Sid, a)
			}
		}
	}
}

// TestPolicyMatchesTheCodesConstants checks the values the policy's
// conditions name against the code that sends them.
func TestPolicyMatchesTheCodesConstants(t *testing.T) {
	var types, regions, boundaries, slrs []string
	for _, s := range readPolicy(t) {
		for op, keys := range s.Condition {
			for k, v := range keys {
				switch k {
				case "ec2:InstanceType":
					types = append(types, v...)
				case "aws:RequestedRegion":
					regions = append(regions, v...)
				case "iam:PermissionsBoundary":
					if op != "StringLike" && op != "StringEquals" {
						t.Errorf("statement %s: iam:PermissionsBoundary with %s", s.Sid, op)
					}
					boundaries = append(boundaries, v...)
				}
			}
		}
		if slices.Contains(s.Action, "iam:CreateServiceLinkedRole") {
			slrs = append(slrs, s.Resource...)
		}
	}
	sorted := func(s []string) []string { s = slices.Clone(s); sort.Strings(s); return slices.Compact(s) }
	if got, want := sorted(types), sorted(ec2.InstanceTypes()); !slices.Equal(got, want) {
		t.Errorf("policy instance types %v, want ec2.InstanceTypes() %v", got, want)
	}
	if got, want := sorted(regions), sorted(awsenv.LabRegions); !slices.Equal(got, want) {
		t.Errorf("policy regions %v, want awsenv.LabRegions %v", got, want)
	}
	if want := "arn:aws:iam::*:policy/" + awsenv.BoundaryPolicyName; len(boundaries) == 0 || slices.ContainsFunc(boundaries, func(b string) bool { return b != want }) {
		t.Errorf("policy boundaries %v, want only %s", boundaries, want)
	}
	if !slices.Equal(slrs, []string{ecs.ServiceLinkedRoleARN}) {
		t.Errorf("iam:CreateServiceLinkedRole on %v, want %s only", slrs, ecs.ServiceLinkedRoleARN)
	}
}

// TestBoundaryAllowsTheRolesPoliciesAndNoMore reads the roles' inline
// policies from the deployers and checks the permissions boundary against
// them: it allows every statement of both and grants nothing neither uses.
func TestBoundaryAllowsTheRolesPoliciesAndNoMore(t *testing.T) {
	bound := readDoc(t, "lab-role-boundary.json")
	fnDoc, err := awslambda.LogRolePolicy("aws", region, account, awslambda.LogGroupName(awslambda.FunctionName("r1")))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{
		"ecs execution role": ecs.ExecutionRolePolicy("arn:aws:ecr:"+region+":"+account+":repository/computeladder-r1-x",
			"arn:aws:logs:"+region+":"+account+":log-group:computeladder-r1-x"),
		"lambda function role": fnDoc,
	}
	used := map[string]bool{}
	for who, doc := range docs {
		var p struct{ Statement []statement }
		if err := json.Unmarshal([]byte(doc), &p); err != nil {
			t.Fatalf("%s policy: %v", who, err)
		}
		for _, s := range p.Statement {
			for _, a := range s.Action {
				used[a] = true
				for _, r := range s.Resource {
					// The role's resource may itself end in a wildcard
					// (log streams): the boundary must cover it as written.
					if ok, _ := decision(t, bound, request{a, r, nil}); !ok {
						t.Errorf("%s: %s on %s is outside the boundary: the role would fail", who, a, r)
					}
				}
			}
		}
	}
	for _, s := range bound {
		for _, a := range s.Action {
			if !used[a] {
				t.Errorf("boundary statement %s allows %s, which no lab role uses: remove it", s.Sid, a)
			}
		}
	}
}

// TestDoctorChecksEveryGrant holds `computeladder doctor` to the policy:
// every action the policy grants is either called by doctor (the dry runs
// among them) or simulated, and every simulated request, with the context
// a run sends, is one the policy allows.
func TestDoctorChecksEveryGrant(t *testing.T) {
	stmts := readPolicy(t)
	checked := map[string]bool{}
	for _, a := range doctor.Exercised {
		checked[a] = true
	}
	for _, s := range doctor.Simulations("aws", account, region) {
		for _, a := range s.Actions {
			checked[a] = true
			if ok, _ := decision(t, stmts, request{a, s.Resource, s.Context}); !ok {
				t.Errorf("doctor simulates %s on %s with %v: the policy denies it, so doctor would fail on a correct setup", a, s.Resource, s.Context)
			}
		}
	}
	granted := map[string]bool{}
	for _, s := range stmts {
		for _, a := range s.Action {
			granted[a] = true
			if !checked[a] {
				t.Errorf("the policy grants %s (statement %s) but doctor neither calls nor simulates it", a, s.Sid)
			}
		}
	}
	for a := range checked {
		if !granted[a] {
			t.Errorf("doctor checks %s, which the policy does not grant", a)
		}
	}
}
