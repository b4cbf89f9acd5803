package ecs

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

func TestSizeForRoundsUpToAFargateSize(t *testing.T) {
	tests := []struct {
		cpus    float64
		mem     int
		want    Size
		wantErr bool
	}{
		{0.25, 256, Size{256, 512}, false},
		{0.25, 512, Size{256, 512}, false},
		{0.25, 3000, Size{512, 3072}, false},
		{1, 512, Size{1024, 2048}, false},
		{1.5, 4096, Size{2048, 4096}, false},
		{4, 30720, Size{4096, 30720}, false},
		{4, 30721, Size{8192, 32768}, false},
		{8, 1024, Size{8192, 16384}, false},
		{8, 61441, Size{16384, 65536}, false},
		{16, 122881, Size{}, true},
		{17, 1024, Size{}, true},
	}
	for _, tc := range tests {
		got, err := SizeFor(tc.cpus, tc.mem)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("SizeFor(%g, %d) = %v, %v; want %v, error %v", tc.cpus, tc.mem, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestValidSize(t *testing.T) {
	for _, tc := range []struct {
		vcpu, gb float64
		want     string // empty: valid
	}{
		{0.25, 0.5, ""}, {0.25, 2, ""}, {0.5, 3, ""}, {4, 30, ""}, {8, 60, ""}, {16, 32, ""}, {16, 120, ""},
		{0.25, 3, "with 0.25 vCPU Fargate offers 0.5, 1, 2 GB"},
		{0.25, 0.75, "with 0.25 vCPU Fargate offers"},
		{8, 18, "with 8 vCPU Fargate offers 16, 20, 24"},
		{0.3, 1, "Fargate offers 0.25, 0.5, 1, 2, 4, 8, 16 vCPU"},
		{32, 64, "Fargate offers 0.25"},
		{0, 0.5, "Fargate offers"},
	} {
		err := ValidSize(tc.vcpu, tc.gb)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("ValidSize(%g, %g) = %v, want valid", tc.vcpu, tc.gb, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "docs.aws.amazon.com")):
			t.Errorf("ValidSize(%g, %g) = %v, want an error with %q and its source", tc.vcpu, tc.gb, err, tc.want)
		}
	}
}

func TestDecodeToken(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name, token, endpoint string
		wantUser, wantServer  string
		wantErr               bool
	}{
		{"ecr login", enc("AWS:secret:with:colons"), "https://1.dkr.ecr.us-east-1.amazonaws.com", "AWS", "1.dkr.ecr.us-east-1.amazonaws.com", false},
		{"not base64", "%%%", "https://x", "", "", true},
		{"no colon", enc("AWS"), "https://x", "", "", true},
		{"empty password", enc("AWS:"), "https://x", "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := decodeToken(tc.token, tc.endpoint)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err == nil && (a.Username != tc.wantUser || a.ServerAddress != tc.wantServer || a.Password != "secret:with:colons") {
				t.Errorf("auth = %+v", a)
			}
		})
	}
}

func TestClusterOf(t *testing.T) {
	tests := map[string]string{
		"arn:aws:ecs:us-east-1:1:task/computeladder-x/abc": "computeladder-x",
		"arn:aws:ecs:us-east-1:1:task/abc":                 "fallback",
		"not-an-arn":                                       "fallback",
	}
	for arn, want := range tests {
		if got := clusterOf(arn, "fallback"); got != want {
			t.Errorf("clusterOf(%q) = %q, want %q", arn, got, want)
		}
	}
}

func TestOptionsRejectBadValues(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1"}
	tests := []struct {
		name string
		opt  Option
		want string
	}{
		{"open to the world", WithIngress(netip.MustParsePrefix("0.0.0.0/0")), "everyone"},
		{"invalid ingress", WithIngress(netip.Prefix{}), "/32"},
		{"nil pusher", WithPusher(nil), "nil pusher"},
		{"zero poll", WithPollInterval(0), "positive"},
		{"zero stop wait", WithStopWait(0), "positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(cfg, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := New(aws.Config{}); err == nil || !strings.Contains(err.Error(), "region") {
		t.Errorf("New without region: err = %v", err)
	}
}

// TestTaskPhasesStayOnAWSClock checks that the task's own timestamps are
// reported against each other only (AWS's clock), whatever this machine's
// clock says, and that missing ones are named.
func TestTaskPhasesStayOnAWSClock(t *testing.T) {
	created := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC) // AWS's clock, say an hour off ours
	task := ecstypes.Task{
		CreatedAt:     aws.Time(created),
		PullStartedAt: aws.Time(created.Add(1200 * time.Millisecond)),
		StartedAt:     aws.Time(created.Add(3900 * time.Millisecond)),
	}
	phases, missing := taskPhases(task)
	if want := "created 0s → pull-started 1.2s → started 3.9s (ECS task timestamps, AWS's clock)"; phases != want {
		t.Errorf("phases %q, want %q", phases, want)
	}
	if !strings.Contains(missing, TaskPullStopped) || strings.Contains(missing, TaskCreated) {
		t.Errorf("missing %q, want pull-stopped only", missing)
	}
	if p, m := taskPhases(ecstypes.Task{}); p != "" || !strings.Contains(m, TaskCreated) {
		t.Errorf("no timestamps: %q, %q", p, m)
	}
}

// slrIAM is an account that never used ECS: no service-linked role until
// CreateServiceLinkedRole.
type slrIAM struct {
	IAMAPI
	created []string
}

func (s *slrIAM) GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	if len(s.created) > 0 {
		return &iam.GetRoleOutput{}, nil
	}
	return nil, &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "The role with name AWSServiceRoleForECS cannot be found."}
}

func (s *slrIAM) CreateServiceLinkedRole(_ context.Context, in *iam.CreateServiceLinkedRoleInput, _ ...func(*iam.Options)) (*iam.CreateServiceLinkedRoleOutput, error) {
	s.created = append(s.created, aws.ToString(in.AWSServiceName))
	return &iam.CreateServiceLinkedRoleOutput{}, nil
}

// TestServiceLinkedRoleCreatedThenWaitedFor checks the first use of ECS on
// an account: the role is created for ecs.amazonaws.com, then a call that
// ECS refuses while the role propagates is retried, and one refused for
// longer than the wait fails with a line that says so.
func TestServiceLinkedRoleCreatedThenWaitedFor(t *testing.T) {
	fake := &slrIAM{}
	d := &Deployer{iam: fake, slrWait: 5 * time.Second, log: slog.New(slog.DiscardHandler)}
	ctx := context.Background()
	if err := d.ensureServiceLinkedRole(ctx); err != nil || !slices.Equal(fake.created, []string{"ecs.amazonaws.com"}) {
		t.Fatalf("ensure: %v, created %v; want the role created for ecs.amazonaws.com", err, fake.created)
	}
	if err := d.ensureServiceLinkedRole(ctx); err != nil || len(fake.created) != 1 {
		t.Errorf("second ensure: %v, created %v; want nothing more", err, fake.created)
	}
	notYet := &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "Unable to assume the service linked role. Please verify that the ECS service linked role exists."}
	calls := 0
	err := d.retrySLR(ctx, "create cluster", func() error {
		calls++
		if calls < 2 {
			return notYet
		}
		return nil
	})
	if err != nil || calls != 2 {
		t.Errorf("retry: %v after %d calls, want success on the second", err, calls)
	}
	other := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not allowed"}
	calls = 0
	if err := d.retrySLR(ctx, "create cluster", func() error { calls++; return other }); err != other || calls != 1 {
		t.Errorf("another error: %v after %d calls, want it at once", err, calls)
	}
	d.slrWait = 1500 * time.Millisecond
	calls = 0
	err = d.retrySLR(ctx, "run task", func() error { calls++; return notYet })
	if err == nil || !strings.Contains(err.Error(), "still not usable after 1.5s") || calls < 2 {
		t.Errorf("lasting refusal: %v after %d calls, want a bounded wait that says so", err, calls)
	}
}

// stoppedECS answers DescribeTasks with a stopped task; other calls panic
// through the nil embedded interface, which the test must not reach.
type stoppedECS struct {
	ECSAPI
	calls int
}

func (s *stoppedECS) DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	s.calls++
	return &ecs.DescribeTasksOutput{Tasks: []ecstypes.Task{{
		LastStatus:    aws.String("STOPPED"),
		StoppedReason: aws.String("Essential container in task exited"),
		Containers:    []ecstypes.Container{{Name: aws.String("app"), Reason: aws.String("CannotPullContainerError")}},
	}}}, nil
}

func TestTaskAliveFailsFastWithECSReasonAndIsThrottled(t *testing.T) {
	fake := &stoppedECS{}
	d := &Deployer{ecs: fake}
	alive := d.taskAlive(context.Background(), "c", "arn:aws:ecs:us-east-1:1:task/c/x")
	err := alive()
	if err == nil || !strings.Contains(err.Error(), "Essential container in task exited") || !strings.Contains(err.Error(), "app: CannotPullContainerError") {
		t.Fatalf("alive() = %v, want the stop reasons", err)
	}
	if err := alive(); err != nil || fake.calls != 1 {
		t.Errorf("second check within %s: err %v, %d calls; want no new call", aliveEvery, err, fake.calls)
	}
}
