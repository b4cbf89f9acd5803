package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/computeladder/computeladder/deployers/awsenv/awstest"
	"github.com/computeladder/computeladder/harness/kit"
)

// TestDoctorOnEmulator runs `doctor` against moto: the dry runs go through
// the deployers' own request builders and moto answers them as AWS does
// when a request would succeed; what an emulator cannot check is skipped
// with its reason; the exit code says a run can go ahead.
func TestDoctorOnEmulator(t *testing.T) {
	endpoint := awstest.Endpoint(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	out, err := run(t, "doctor", "--target", "localstack", "--endpoint", endpoint, "--region", "us-east-1", "--memory", "2048")
	if err != nil || kit.ExitCode(err) != 0 {
		t.Fatalf("doctor on moto: %v (exit %d)\n%s", err, kit.ExitCode(err), out)
	}
	for _, want := range []string{
		"✓  credentials", "vm: dry run ec2:CreateSecurityGroup", "vm: dry run ec2:RunInstances (t3.small",
		"skipped: an emulator evaluates no IAM policy", "A run can go ahead: nothing was created.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "✗") {
		t.Errorf("a failed check on moto:\n%s", out)
	}
}

// TestDoctorBadInputAndNoCredentials: bad flags and missing credentials
// exit 2, as the other commands do; nothing is sent anywhere.
func TestDoctorBadInputAndNoCredentials(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, tc := range []struct {
		args []string
		want string
		out  string
	}{
		{[]string{"doctor", "--target", "local"}, "use aws or localstack", ""},
		{[]string{"doctor", "--arch", "riscv64"}, "use amd64 or arm64", ""},
		{[]string{"doctor", "--rate", "0"}, "--rate must be at least 1", ""},
		{[]string{"doctor", "--target", "aws", "--region", "us-east-1"}, "no credentials", "✗  credentials"},
	} {
		out, err := run(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || kit.ExitCode(err) != 2 {
			t.Errorf("computeladder %s: %v (exit %d), want exit 2 with %q", strings.Join(tc.args, " "), err, kit.ExitCode(err), tc.want)
		}
		if !strings.Contains(out, tc.out) {
			t.Errorf("computeladder %s: output lacks %q:\n%s", strings.Join(tc.args, " "), tc.out, out)
		}
	}
}
