package iam

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// deployerDirs are the packages whose AWS calls the lab user makes, relative
// to this directory: the deployers and `computeladder doctor`. A directory
// that does not exist yet is skipped.
var deployerDirs = []string{"../../deployers/ec2", "../../deployers/awslambda", "../../deployers/ecs", "../../deployers/awsenv", "../../harness/doctor"}

// policyFiles are the lab user's policies. They are two because a managed
// policy holds at most maxPolicyChars characters.
var policyFiles = []string{"lab-user-policy.json", "lab-user-policy-ecs-lambda.json"}

// maxPolicyChars is IAM's limit on a managed policy's size, whitespace not
// counted (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html,
// "Managed policy size", read 2026-11-30).
const maxPolicyChars = 6144

const sdkService = "github.com/aws/aws-sdk-go-v2/service/"

// services maps an SDK service package to its IAM prefix and its client,
// whose method set says which operations exist.
var services = map[string]struct {
	prefix string
	client any
}{
	"cloudwatchlogs": {"logs", &cloudwatchlogs.Client{}},
	"ec2":            {"ec2", &ec2.Client{}},
	"ecr":            {"ecr", &ecr.Client{}},
	"ecs":            {"ecs", &ecs.Client{}},
	"iam":            {"iam", &iam.Client{}},
	"lambda":         {"lambda", &lambda.Client{}},
	"s3":             {"s3", &s3.Client{}},
	"ssm":            {"ssm", &ssm.Client{}},
	"sts":            {"sts", &sts.Client{}},
}

// actionFor maps the operations whose IAM action is not "<prefix>:<Op>".
var actionFor = map[string]string{
	"s3:ListObjectsV2":                   "s3:ListBucket",
	"s3:ListObjects":                     "s3:ListBucket",
	"s3:HeadBucket":                      "s3:ListBucket",
	"s3:ListBuckets":                     "s3:ListAllMyBuckets",
	"s3:HeadObject":                      "s3:GetObject",
	"s3:DeleteObjects":                   "s3:DeleteObject",
	"s3:PutPublicAccessBlock":            "s3:PutBucketPublicAccessBlock",
	"s3:GetPublicAccessBlock":            "s3:GetBucketPublicAccessBlock",
	"s3:PutBucketEncryption":             "s3:PutEncryptionConfiguration",
	"s3:PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
	"s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
	"s3:ListObjectVersions":              "s3:ListBucketVersions",
	"lambda:Invoke":                      "lambda:InvokeFunction",
	"lambda:InvokeWithResponseStream":    "lambda:InvokeFunction",
	"lambda:GetFunctionConfiguration":    "lambda:GetFunctionConfiguration",
}

// waiterOps maps waiter constructors to the operation they poll.
var waiterOps = map[string]string{
	"ec2.NewInstanceRunningWaiter":      "DescribeInstances",
	"ec2.NewInstanceTerminatedWaiter":   "DescribeInstances",
	"ec2.NewInstanceExistsWaiter":       "DescribeInstances",
	"ec2.NewInstanceStoppedWaiter":      "DescribeInstances",
	"ec2.NewInstanceStatusOkWaiter":     "DescribeInstanceStatus",
	"ec2.NewSecurityGroupExistsWaiter":  "DescribeSecurityGroups",
	"lambda.NewFunctionActiveV2Waiter":  "GetFunction",
	"lambda.NewFunctionUpdatedV2Waiter": "GetFunction",
	"lambda.NewFunctionExistsWaiter":    "GetFunction",
	"lambda.NewFunctionActiveWaiter":    "GetFunctionConfiguration",
	"lambda.NewFunctionUpdatedWaiter":   "GetFunctionConfiguration",
	"ecs.NewTasksRunningWaiter":         "DescribeTasks",
	"ecs.NewTasksStoppedWaiter":         "DescribeTasks",
	"iam.NewRoleExistsWaiter":           "GetRole",
	"s3.NewBucketExistsWaiter":          "HeadBucket",
	"s3.NewBucketNotExistsWaiter":       "HeadBucket",
	"s3.NewObjectExistsWaiter":          "HeadObject",
}

// implied are actions the policy needs although no SDK operation of that
// name is called, each with the call that needs it.
var implied = map[string]string{
	"iam:PassRole":       "lambda:CreateFunction and ecs:RegisterTaskDefinition pass a computeladder-* role",
	"ec2:CreateTags":     "ec2:RunInstances and ec2:CreateSecurityGroup tag on create (TagSpecifications)",
	"ecs:TagResource":    "ecs:CreateCluster, RegisterTaskDefinition and RunTask tag on create",
	"ecr:TagResource":    "ecr:CreateRepository tags on create",
	"logs:TagResource":   "logs:CreateLogGroup tags on create",
	"iam:TagRole":        "iam:CreateRole tags on create",
	"lambda:TagResource": "lambda:CreateFunction tags on create",
	// What a push needs:
	// https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html
	// (read 2026-11-30).
	"ecr:BatchCheckLayerAvailability": "docker push of the app image to ECR (deployers/ecs DockerPusher)",
	"ecr:InitiateLayerUpload":         "docker push of the app image to ECR",
	"ecr:UploadLayerPart":             "docker push of the app image to ECR",
	"ecr:CompleteLayerUpload":         "docker push of the app image to ECR",
	"ecr:PutImage":                    "docker push of the app image to ECR",
	"ecr:BatchGetImage":               "docker push of the app image to ECR (the manifest is read back)",
}

// impliedWhen lists, for each implied action, the SDK actions of which at
// least one must be called for it to stay in the policy.
var impliedWhen = map[string][]string{
	"iam:PassRole":                    {"lambda:CreateFunction", "ecs:RegisterTaskDefinition"},
	"ec2:CreateTags":                  {"ec2:RunInstances", "ec2:CreateSecurityGroup"},
	"ecs:TagResource":                 {"ecs:CreateCluster", "ecs:RegisterTaskDefinition", "ecs:RunTask"},
	"ecr:TagResource":                 {"ecr:CreateRepository"},
	"logs:TagResource":                {"logs:CreateLogGroup"},
	"iam:TagRole":                     {"iam:CreateRole"},
	"lambda:TagResource":              {"lambda:CreateFunction"},
	"ecr:BatchCheckLayerAvailability": {"ecr:GetAuthorizationToken"},
	"ecr:InitiateLayerUpload":         {"ecr:GetAuthorizationToken"},
	"ecr:UploadLayerPart":             {"ecr:GetAuthorizationToken"},
	"ecr:CompleteLayerUpload":         {"ecr:GetAuthorizationToken"},
	"ecr:PutImage":                    {"ecr:GetAuthorizationToken"},
	"ecr:BatchGetImage":               {"ecr:GetAuthorizationToken"},
	"lambda:InvokeFunctionUrl":        {"lambda:CreateFunctionUrlConfig"},
}

// unnarrowable are write actions AWS offers no resource type or condition
// key for, so "*" is the narrowest grant.
var unnarrowable = map[string]bool{
	"ecs:DeregisterTaskDefinition": true,
	"ecs:DeleteTaskDefinitions":    true,
}

// sdkImports maps a file's import names to the SDK service packages they
// import (their types sub-packages declare no operations), and lists the
// service packages missing from services.
func sdkImports(f *ast.File) (map[string]string, []string) {
	imports := map[string]string{}
	var unknown []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		svc, ok := strings.CutPrefix(p, sdkService)
		if !ok || strings.Contains(svc, "/") {
			continue
		}
		if _, known := services[svc]; !known {
			unknown = append(unknown, p)
			continue
		}
		name := svc
		if imp.Name != nil {
			name = imp.Name.Name
		}
		imports[name] = svc
	}
	return imports, unknown
}

// sdkSelector reports whether n is <service package>.<name> and which
// service it names.
func sdkSelector(n ast.Node, imports map[string]string) (*ast.SelectorExpr, string, bool) {
	sel, ok := n.(*ast.SelectorExpr)
	if !ok {
		return nil, "", false
	}
	x, ok := sel.X.(*ast.Ident)
	if !ok {
		return nil, "", false
	}
	svc, ok := imports[x.Name]
	return sel, svc, ok
}

// called is an action and where the source first asks for it.
type called map[string]string

// extract returns the IAM actions the Go files of dir (tests excluded) call
// through the SDK, and the problems that make the extraction unsafe.
func extract(t *testing.T, dir string) (called, []string) {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := called{}
	var problems []string
	add := func(pos token.Pos, svc, op string) {
		s := services[svc]
		if m, ok := reflect.TypeOf(s.client).MethodByName(op); !ok || m.Type.NumIn() < 2 {
			problems = append(problems, fmt.Sprintf("%s: %s.%s is not an operation of the %s client", fset.Position(pos), svc, op, svc))
			return
		}
		action := s.prefix + ":" + op
		if a, ok := actionFor[action]; ok {
			action = a
		}
		if _, seen := out[action]; !seen {
			out[action] = fset.Position(pos).String()
		}
	}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		imports, unknown := sdkImports(f)
		for _, p := range unknown {
			problems = append(problems, fmt.Sprintf("%s imports %s: map it to its IAM prefix in services and add its actions to the policy", path, p))
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, svc, ok := sdkSelector(n, imports)
			if !ok {
				return true
			}
			name := sel.Sel.Name
			switch {
			// Any use of <svc>.<Op>Input (the argument of a call, a
			// variable, a parameter of a consumer-side interface) means
			// the operation is called.
			case strings.HasSuffix(name, "Input") && name != "Input":
				add(sel.Pos(), svc, strings.TrimSuffix(name, "Input"))
			case strings.HasPrefix(name, "New") && strings.HasSuffix(name, "Paginator"):
				add(sel.Pos(), svc, strings.TrimSuffix(strings.TrimPrefix(name, "New"), "Paginator"))
			case strings.HasPrefix(name, "New") && strings.HasSuffix(name, "Waiter"):
				op, ok := waiterOps[svc+"."+name]
				if !ok {
					problems = append(problems, fmt.Sprintf("%s: waiter %s.%s: add the operation it polls to waiterOps and the policy", fset.Position(sel.Pos()), svc, name))
					return true
				}
				add(sel.Pos(), svc, op)
			}
			return true
		})
	}
	return out, problems
}

type statement struct {
	Sid       string
	Effect    string
	Action    stringList
	NotAction stringList
	Resource  stringList
	Condition map[string]map[string]stringList
}

type stringList []string

func (s *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// readPolicy returns the statements of the lab user's policies.
func readPolicy(t *testing.T) []statement {
	t.Helper()
	var all []statement
	for _, f := range policyFiles {
		all = append(all, readDoc(t, f)...)
	}
	return all
}

// readDoc returns the statements of one policy document, checked for its
// version, unknown fields, duplicate Sids and IAM's size limit.
func readDoc(t *testing.T, file string) []statement {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version   string
		Statement []statement
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if doc.Version != "2012-10-17" {
		t.Errorf("%s: policy version %q, want 2012-10-17", file, doc.Version)
	}
	if n := len(strings.Join(strings.Fields(string(b)), "")); n > maxPolicyChars {
		t.Errorf("%s: %d characters without whitespace, more than a managed policy holds (%d): move statements to another file", file, n, maxPolicyChars)
	}
	sids := map[string]bool{}
	for _, s := range doc.Statement {
		if s.Sid == "" || sids[s.Sid] {
			t.Errorf("%s: statement Sid %q: want each named, once", file, s.Sid)
		}
		sids[s.Sid] = true
	}
	return doc.Statement
}

func TestPolicyGrantsExactlyWhatTheDeployersCall(t *testing.T) {
	want := called{}
	var problems []string
	for _, dir := range deployerDirs {
		if _, err := os.Stat(dir); err != nil {
			t.Logf("skipping %s: %v", dir, err)
			continue
		}
		got, p := extract(t, dir)
		problems = append(problems, p...)
		for a, at := range got {
			if _, ok := want[a]; !ok {
				want[a] = at
			}
		}
	}
	for _, p := range problems {
		t.Error(p)
	}
	for a, whens := range impliedWhen {
		if slices.ContainsFunc(whens, func(w string) bool { _, ok := want[w]; return ok }) {
			want[a] = "implied: " + implied[a]
		}
	}

	granted := map[string]string{}
	for _, s := range readPolicy(t) {
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range s.Action {
			if strings.ContainsAny(a, "*?") {
				t.Errorf("statement %s grants %q: list each action, no wildcards", s.Sid, a)
			}
			granted[a] = s.Sid
		}
	}
	var missing, extra []string
	for a, at := range want {
		if _, ok := granted[a]; !ok {
			missing = append(missing, a+" (called at "+at+")")
		}
	}
	for a, sid := range granted {
		if _, ok := want[a]; !ok {
			extra = append(extra, a+" (statement "+sid+")")
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, m := range missing {
		t.Errorf("policy misses %s: add it to infra/iam/lab-user-policy.json, narrowed by name prefix or tag where AWS allows", m)
	}
	for _, e := range extra {
		t.Errorf("policy grants %s, which no deployer calls: remove it", e)
	}
}

func TestPolicyIsNarrowed(t *testing.T) {
	for _, s := range readPolicy(t) {
		if s.Effect != "Allow" || len(s.NotAction) > 0 {
			t.Errorf("statement %s: only Allow with Action", s.Sid)
		}
		for _, a := range s.Action {
			if a == "iam:PassRole" {
				if len(s.Action) != 1 || !slices.Equal(s.Resource, []string{labRoles}) {
					t.Errorf("statement %s: iam:PassRole must stand alone on computeladder-* roles, got %v on %v", s.Sid, s.Action, s.Resource)
				}
				svcs := s.Condition["StringEquals"]["iam:PassedToService"]
				if !slices.Equal(svcs, []string{"lambda.amazonaws.com", "ecs-tasks.amazonaws.com"}) {
					t.Errorf("statement %s: iam:PassRole must be limited to lambda and ecs-tasks, got %v", s.Sid, svcs)
				}
			}
		}
		// A write on every resource must carry a tag condition; only
		// actions AWS cannot narrow (listing, describing, tokens) may use
		// "*" bare.
		if slices.Contains(s.Resource, "*") && len(s.Condition) == 0 {
			for _, a := range s.Action {
				_, op, _ := strings.Cut(a, ":")
				if !readOnly(op) && !unnarrowable[a] {
					t.Errorf("statement %s grants %s on every resource without a condition", s.Sid, a)
				}
			}
		}
	}
}

// labRoles are the roles the lab creates: computeladder-* at the root
// (ECS) and in the /computeladder/ path (Lambda).
const labRoles = "arn:aws:iam::*:role/computeladder*"

func readOnly(op string) bool {
	for _, p := range []string{"Describe", "List", "Get"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

func TestExtractSeesEveryKindOfCallAndReportsTheUnknown(t *testing.T) {
	got, problems := extract(t, "testdata/sample")
	want := []string{"ec2:DescribeInstances", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs", "s3:ListBucket"}
	var actions []string
	for a := range got {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	if !slices.Equal(actions, want) {
		t.Errorf("actions = %v, want %v", actions, want)
	}
	wantProblems := []string{"sqs: map it to its IAM prefix", "waiter ec2.NewImageAvailableWaiter: add", "ec2.NoSuchOp is not an operation"}
	if len(problems) != len(wantProblems) {
		t.Errorf("problems = %q, want %d", problems, len(wantProblems))
	}
	for _, w := range wantProblems {
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, w) }) {
			t.Errorf("no problem mentions %q: %q", w, problems)
		}
	}
}
