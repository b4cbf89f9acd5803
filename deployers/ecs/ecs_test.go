package ecs

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/deployers/awsenv/awstest"
	"github.com/computeladder/computeladder/deployers/deployertest"
)

// fakePusher records what it would push: moto's ECR has no registry.
type fakePusher struct {
	mu     sync.Mutex
	images []Image
	err    error
}

func (f *fakePusher) Push(_ context.Context, img Image) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.images = append(f.images, img)
	if f.err != nil {
		return "", f.err
	}
	return "sha256:fake", nil
}

var callerPrefix = netip.MustParsePrefix("203.0.113.7/32")

func newMotoDeployer(t *testing.T, p Pusher) (*Deployer, aws.Config) {
	t.Helper()
	cfg := awstest.Moto(t)
	keepTasksRunning(t, cfg)
	d, err := New(cfg, WithPusher(p), WithIngress(callerPrefix), WithPollInterval(10*time.Millisecond), WithStopWait(10*time.Second), withECS(motoECS(cfg)))
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	return d, cfg
}

func testSpec(t *testing.T, runID string) deployers.Spec {
	return deployers.Spec{RunID: runID, Artifacts: &artifact.Set{Arch: "amd64", ContainerContext: t.TempDir()}, ReadyTimeout: 30 * time.Second}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func requireNothingLeft(t *testing.T, d *Deployer, runID string) {
	t.Helper()
	rs, err := d.List(ctxT(t), runID)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(rs) > 0 {
		t.Errorf("left behind: %v", rs)
	}
}

func kinds(rs []deployers.Resource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Kind)
	}
	slices.Sort(out)
	return out
}

var allKinds = func() []string { k := slices.Clone(kindOrder); slices.Sort(k); return k }()

func TestDeployOnMotoRecordsLockedDownTaskThenTeardownLeavesNothing(t *testing.T) {
	p := &fakePusher{}
	d, cfg := newMotoDeployer(t, p)
	ctx := ctxT(t)
	runID := deployertest.RunID(t, "ecs")
	dep, err := d.Deploy(ctx, testSpec(t, runID))
	t.Cleanup(func() { _ = d.Teardown(context.Background(), dep) })
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}

	if got := kinds(dep.Resources); !slices.Equal(got, allKinds) {
		t.Errorf("resources = %v, want one of each of %v", got, allKinds)
	}
	listed, err := d.List(ctx, runID)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if got := kinds(listed); !slices.Equal(got, allKinds) {
		t.Errorf("list by tag = %v, want %v", got, allKinds)
	}

	// The push got the repository's URI and the ECR login from moto.
	if len(p.images) != 1 {
		t.Fatalf("pushes = %d, want 1", len(p.images))
	}
	img := p.images[0]
	if !strings.Contains(img.Ref, ".dkr.ecr.") || !strings.HasSuffix(img.Ref, ":"+runID) || img.Auth.Username == "" || img.Auth.Password == "" {
		t.Errorf("push = %+v, want an ECR ref tagged with the run id and a login", img)
	}
	// The push, security group, cluster and task definition are
	// preparation: startup counts from the RunTask call.
	if dep.Details[DetailImage] != img.Ref || dep.StartupFrom != StartupOrigin || dep.Preparation != Preparation {
		t.Errorf("image detail %q, startup from %q after %q, want from %q", dep.Details[DetailImage], dep.StartupFrom, dep.Preparation, StartupOrigin)
	}
	if from := dep.Phases.From(dep.StartupFrom); len(from) == 0 || from[0].Name != PhaseRunTask {
		t.Errorf("phases %s: want %s in them", dep.Phases, PhaseRunTask)
	}
	if dep.MemoryMB != DefaultMemoryMB {
		t.Errorf("MemoryMB = %d, want Fargate's default %d", dep.MemoryMB, DefaultMemoryMB)
	}
	if img.Platform != "linux/amd64" || dep.Details[DetailPlatform] != "linux/amd64" {
		t.Errorf("image platform %q (detail %q), want the artifacts' linux/amd64", img.Platform, dep.Details[DetailPlatform])
	}

	// The timeline is this machine's clock only; the task's own
	// timestamps (AWS's clock) are reported apart.
	var names []string
	for _, ph := range dep.Phases {
		names = append(names, ph.Name)
	}
	if want := []string{PhaseDeploy, PhasePushed, PhaseRunTask, PhaseRunning}; !slices.Equal(names, want) {
		t.Errorf("phases %v, want %v", names, want)
	}
	// moto gives a task no timestamps: they are named as not measured
	// (TestTaskPhasesStayOnAWSClock checks what AWS's give).
	if tp, nm := dep.Details[DetailTaskPhases], dep.Details[DetailNotMeasured]; tp != "" || !strings.Contains(nm, "task "+TaskCreated) {
		t.Errorf("task phases %q, not measured %q: want the missing timestamps named", tp, nm)
	}

	// Nothing runs on moto: the phases that need a live task are not
	// measured, with a reason, and no URL is made up.
	if dep.URL != "" {
		t.Errorf("URL = %q on an emulator", dep.URL)
	}
	if nm := dep.NotMeasured; !strings.Contains(nm, PhaseFirst200+": the emulator") {
		t.Errorf("NotMeasured = %q, want first-200 with a reason", nm)
	}
	if _, ok := dep.Phases.Since(PhaseFirst200); ok {
		t.Errorf("first-200 phase present on an emulator: %s", dep.Phases)
	}

	cluster := dep.Details[DetailCluster]
	td, err := motoECS(cfg).DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(resourceID(dep, KindTaskDefinition))})
	if err != nil {
		t.Fatalf("describe task definition: %v", err)
	}
	c := td.TaskDefinition.ContainerDefinitions[0]
	if td.TaskDefinition.NetworkMode != ecstypes.NetworkModeAwsvpc || aws.ToString(td.TaskDefinition.Cpu) != "256" || aws.ToString(td.TaskDefinition.Memory) != "512" ||
		aws.ToString(c.User) != User || !aws.ToBool(c.ReadonlyRootFilesystem) || aws.ToString(c.Image) != img.Ref ||
		c.LogConfiguration == nil || c.LogConfiguration.Options["awslogs-group"] != dep.Details[DetailLogGroup] ||
		len(c.PortMappings) != 1 || aws.ToInt32(c.PortMappings[0].ContainerPort) != AppPort ||
		!strings.Contains(aws.ToString(td.TaskDefinition.ExecutionRoleArn), ":role/computeladder-"+runID) {
		t.Errorf("task definition not locked down as asked: %+v / %+v", td.TaskDefinition, c)
	}

	env := map[string]string{}
	for _, kv := range c.Environment {
		env[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
	}
	if env["COMPUTELADDER_TTL"] != DefaultTTL.String() || dep.Details[DetailTTL] != DefaultTTL.String() {
		t.Errorf("task environment %v, ttl detail %q: want COMPUTELADDER_TTL=%s, so that the container exits on its own", env, dep.Details[DetailTTL], DefaultTTL)
	}
	role, err := iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(resourceID(dep, KindRole))})
	if err != nil || role.Role.PermissionsBoundary == nil || aws.ToString(role.Role.PermissionsBoundary.PermissionsBoundaryArn) != "arn:aws:iam::123456789012:policy/computeladder-boundary" {
		t.Errorf("execution role %+v (%v): want the lab's permissions boundary", role, err)
	}
	// ECS's service-linked role exists (moto names it AWSServiceRoleForecs,
	// AWS AWSServiceRoleForECS: look it up by its path).
	slr, err := iam.NewFromConfig(cfg).ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/aws-service-role/ecs.amazonaws.com/")})
	if err != nil || len(slr.Roles) != 1 {
		t.Errorf("ECS's service-linked role after deploy: %v (%v), want it created", slr, err)
	}

	repo, err := ecr.NewFromConfig(cfg).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{cluster}})
	if err != nil || len(repo.Repositories) != 1 || !repo.Repositories[0].ImageScanningConfiguration.ScanOnPush {
		t.Errorf("repository %s: scan on push not set (%v)", cluster, err)
	}

	sg, err := ec2.NewFromConfig(cfg).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{resourceID(dep, KindSecurityGroup)}})
	if err != nil || len(sg.SecurityGroups) != 1 {
		t.Fatalf("describe security group: %v", err)
	}
	want := []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(AppPort), ToPort: aws.Int32(AppPort)}}
	got := sg.SecurityGroups[0].IpPermissions
	if len(got) != 1 || aws.ToString(got[0].IpProtocol) != "tcp" || aws.ToInt32(got[0].FromPort) != *want[0].FromPort ||
		len(got[0].IpRanges) != 1 || aws.ToString(got[0].IpRanges[0].CidrIp) != callerPrefix.String() || len(got[0].Ipv6Ranges) != 0 {
		t.Errorf("ingress = %+v, want only tcp/%d from %s", got, AppPort, callerPrefix)
	}

	tasks, err := motoECS(cfg).DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{dep.ID}})
	if err != nil || len(tasks.Tasks) != 1 || tasks.Tasks[0].LaunchType != ecstypes.LaunchTypeFargate {
		t.Fatalf("describe task: %v %+v", err, tasks)
	}

	if err := d.Teardown(ctx, dep); err != nil {
		t.Fatalf("teardown: %v", err)
	}
	requireNothingLeft(t, d, runID)
	if err := d.Teardown(ctx, dep); err != nil {
		t.Errorf("second teardown: %v", err)
	}
	if err := d.Teardown(ctx, nil); err != nil {
		t.Errorf("teardown nil: %v", err)
	}
	tasks, err = motoECS(cfg).DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{dep.ID}})
	if err == nil && len(tasks.Tasks) == 1 && aws.ToString(tasks.Tasks[0].LastStatus) != "STOPPED" {
		t.Errorf("task %s is %s after teardown", dep.ID, aws.ToString(tasks.Tasks[0].LastStatus))
	}
	// Deregistered is not enough: the task definition is deleted.
	for _, status := range []ecstypes.TaskDefinitionStatus{ecstypes.TaskDefinitionStatusActive, ecstypes.TaskDefinitionStatusInactive} {
		l, err := motoECS(cfg).ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{Status: status, FamilyPrefix: aws.String(cluster)})
		if err != nil || len(l.TaskDefinitionArns) != 0 {
			t.Errorf("%s task definitions of %s after teardown: %v (%v)", status, cluster, l, err)
		}
	}
}

// TestContainerOnAWSOpensToTheLookedUpAddress checks the container variant
// on AWS without --ingress: it opens the port to the caller's address from
// the lookup the harness shares with the VM variant (injected here: no
// test leaves the loopback interface).
func TestContainerOnAWSOpensToTheLookedUpAddress(t *testing.T) {
	cfg := awstest.Moto(t)
	keepTasksRunning(t, cfg)
	asked := 0
	d, err := New(cfg, WithPusher(&fakePusher{}), WithEmulator(false), WithPollInterval(10*time.Millisecond), WithStopWait(10*time.Second), withECS(motoECS(cfg)),
		WithAddressLookup(func(context.Context) (netip.Addr, error) { asked++; return netip.MustParseAddr("198.51.100.23"), nil }))
	if err != nil {
		t.Fatal(err)
	}
	runID := deployertest.RunID(t, "ecs-lookup")
	spec := testSpec(t, runID)
	spec.ReadyTimeout = 2 * time.Second
	dep, err := d.Deploy(ctxT(t), spec)
	t.Cleanup(func() { _ = d.Teardown(context.Background(), dep) })
	// Not an emulator, so Deploy waits for a public address moto never
	// gives: the error is expected; the security group is what counts.
	if dep == nil {
		t.Fatalf("deploy: %v, want a partial deployment", err)
	}
	if asked != 1 || dep.Details[DetailIngress] != "198.51.100.23/32" || dep.Details[DetailIngressFrom] != "https://checkip.amazonaws.com" {
		t.Errorf("lookup asked %d times, ingress %q from %q: want the looked-up /32", asked, dep.Details[DetailIngress], dep.Details[DetailIngressFrom])
	}
	requireNothingLeft(t, d, runID)
}

func resourceID(dep *deployers.Deployment, kind string) string {
	for _, r := range dep.Resources {
		if r.Kind == kind {
			return r.ID
		}
	}
	return ""
}

func TestSweepRemovesWhatACrashedRunLeftAndOnlyThat(t *testing.T) {
	d, _ := newMotoDeployer(t, &fakePusher{})
	ctx := ctxT(t)
	crashed := deployertest.RunID(t, "ecs-crash")
	other := crashed + "-other"
	for _, id := range []string{crashed, other} {
		dep, err := d.Deploy(ctx, testSpec(t, id))
		t.Cleanup(func() { _ = d.Teardown(context.Background(), dep) })
		if err != nil {
			t.Fatalf("deploy %s: %v", id, err)
		}
	}
	// The crashed run's deployment is gone from memory: only tags remain.
	removed, err := d.Sweep(ctx, crashed)
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	if got := kinds(removed); !slices.Equal(got, allKinds) {
		t.Errorf("swept %v, want %v", got, allKinds)
	}
	for _, r := range removed {
		if r.RunID != crashed {
			t.Errorf("swept %s of another run", r)
		}
		if r.Owner != deployers.Self() {
			t.Errorf("swept %s with owner %q, want %q from its %s tag", r, r.Owner, deployers.Self(), deployers.TagOwner)
		}
	}
	requireNothingLeft(t, d, crashed)
	left, err := d.List(ctx, other)
	if err != nil || !slices.Equal(kinds(left), allKinds) {
		t.Errorf("the other run lost resources: %v (%v)", left, err)
	}
	if _, err := d.Sweep(ctx, other); err != nil {
		t.Fatalf("sweep other: %v", err)
	}
	requireNothingLeft(t, d, other)
}

func TestBadInputGivesClearErrorAndCreatesNothing(t *testing.T) {
	cfg := awstest.Moto(t)
	keepTasksRunning(t, cfg)
	runID := deployertest.RunID(t, "ecs-bad")
	good := testSpec(t, runID)
	tests := []struct {
		name    string
		spec    func(deployers.Spec) deployers.Spec
		opts    []Option
		pushErr error
		want    string
	}{
		{"bad run id", func(s deployers.Spec) deployers.Spec { s.RunID = "Bad_ID"; return s }, nil, nil, "run id"},
		{"no artifacts", func(s deployers.Spec) deployers.Spec { s.Artifacts = nil; return s }, nil, nil, "make build"},
		{"missing build context", func(s deployers.Spec) deployers.Spec {
			s.Artifacts = &artifact.Set{ContainerContext: "/nonexistent/ctx"}
			return s
		}, nil, nil, "make build"},
		{"too large for fargate", func(s deployers.Spec) deployers.Spec { s.CPUs, s.MemoryMB = 32, 1024; return s }, nil, nil, "larger than Fargate offers"},
		{"no ingress", func(s deployers.Spec) deployers.Spec { return s }, []Option{WithIngress(netip.Prefix{})}, nil, ""},
		{"ttl in the environment", func(s deployers.Spec) deployers.Spec { s.Env = map[string]string{"COMPUTELADDER_TTL": "9h"}; return s }, nil, nil, "time-to-live, set by the deployer"},
		{"artifacts for another platform", func(s deployers.Spec) deployers.Spec {
			s.Artifacts = &artifact.Set{Arch: "riscv64", ContainerContext: t.TempDir()}
			return s
		}, nil, nil, "amd64 or arm64"},
		{"push fails after the repository exists", func(s deployers.Spec) deployers.Spec { return s }, nil, errors.New("registry unreachable"), "registry unreachable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]Option{WithPusher(&fakePusher{err: tc.pushErr}), WithPollInterval(10 * time.Millisecond), withECS(motoECS(cfg))}, tc.opts...)
			if tc.name != "no ingress" {
				opts = append(opts, WithIngress(callerPrefix))
			}
			d, err := New(cfg, opts...)
			if tc.name == "no ingress" {
				if err == nil || !strings.Contains(err.Error(), "/32") {
					t.Fatalf("New with an invalid ingress: err = %v, want one asking for a /32", err)
				}
				// Not an emulator: AWS needs the caller's address, and the
				// lookup (never the internet in a test) fails.
				d, _ = New(cfg, WithPusher(&fakePusher{}), WithEmulator(false), WithAddressLookup(func(context.Context) (netip.Addr, error) {
					return netip.Addr{}, errors.New("lookup blocked")
				}))
				tc.want = "pass it with --ingress"
			} else if err != nil {
				t.Fatalf("new: %v", err)
			}
			dep, err := d.Deploy(ctxT(t), tc.spec(good))
			t.Cleanup(func() { _ = d.Teardown(context.Background(), dep) })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("deploy: err = %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") && tc.pushErr == nil {
				t.Errorf("error is not one line: %q", err)
			}
			requireNothingLeft(t, d, runID)
		})
	}
}

func TestNoDefaultVPCCreatesNothing(t *testing.T) {
	cfg := awstest.Moto(t)
	keepTasksRunning(t, cfg)
	// A region of its own: deleting its default VPC touches no other test.
	cfg.Region = "ap-southeast-2"
	c := ec2.NewFromConfig(cfg)
	ctx := ctxT(t)
	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
	if err != nil {
		t.Fatalf("describe vpcs: %v", err)
	}
	for _, v := range vpcs.Vpcs {
		subs, _ := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{*v.VpcId}}}})
		for _, s := range subs.Subnets {
			_, _ = c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: s.SubnetId})
		}
		if _, err := c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: v.VpcId}); err != nil {
			t.Fatalf("delete default vpc: %v", err)
		}
	}
	p := &fakePusher{}
	d, err := New(cfg, WithPusher(p), WithIngress(callerPrefix), withECS(motoECS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	runID := deployertest.RunID(t, "ecs-novpc")
	dep, err := d.Deploy(ctx, testSpec(t, runID))
	t.Cleanup(func() { _ = d.Teardown(context.Background(), dep) })
	if err == nil || !strings.Contains(err.Error(), "create-default-vpc") {
		t.Fatalf("deploy: err = %v, want a hint to create a default VPC", err)
	}
	if len(p.images) != 0 {
		t.Errorf("pushed %d images before failing", len(p.images))
	}
	requireNothingLeft(t, d, runID)
}
