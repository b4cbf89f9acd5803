package ecs

import (
	"context"
	"encoding/base64"
	"net/netip"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestSizeForRoundsUpToAFargateSize(t *testing.T) {
	tests := []struct {
		cpus    float64
		mem     int
		want    fargateSize
		wantErr bool
	}{
		{0.25, 256, fargateSize{256, 512}, false},
		{0.25, 512, fargateSize{256, 512}, false},
		{0.25, 3000, fargateSize{512, 3072}, false},
		{1, 512, fargateSize{1024, 2048}, false},
		{1.5, 4096, fargateSize{2048, 4096}, false},
		{4, 30720, fargateSize{4096, 30720}, false},
		{4, 30721, fargateSize{}, true},
		{8, 1024, fargateSize{}, true},
	}
	for _, tc := range tests {
		got, err := sizeFor(tc.cpus, tc.mem)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("sizeFor(%g, %d) = %v, %v; want %v, error %v", tc.cpus, tc.mem, got, err, tc.want, tc.wantErr)
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

func TestIngressDefaultsToLoopbackOnlyOnAnEmulator(t *testing.T) {
	emu, err := New(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:5000")})
	if err != nil {
		t.Fatal(err)
	}
	if emu.ingress != netip.MustParsePrefix("127.0.0.1/32") {
		t.Errorf("emulator ingress = %v, want 127.0.0.1/32", emu.ingress)
	}
	real, err := New(aws.Config{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if real.ingress.IsValid() {
		t.Errorf("AWS ingress = %v, want none until WithIngress", real.ingress)
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
