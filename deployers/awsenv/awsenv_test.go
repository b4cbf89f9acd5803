package awsenv_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
)

// isolate hides the developer's AWS setup from the test: no shared files,
// no credentials or region from the environment, no instance metadata
// lookups (which would leave the loopback interface).
func isolate(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_ROLE_ARN",
	} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		cfg     awsenv.Config
		wantErr string
	}{
		{"unknown target", nil, awsenv.Config{Target: "gcp"}, `unknown target "gcp"`},
		{"endpoint target without endpoint", nil, awsenv.Config{Target: awsenv.TargetEndpoint}, "needs --endpoint"},
		{"endpoint not a URL", nil, awsenv.Config{Target: awsenv.TargetEndpoint, Endpoint: "localhost:4566"}, "use a URL such as"},
		{"aws target with endpoint", nil, awsenv.Config{Target: awsenv.TargetAWS, Endpoint: "http://127.0.0.1:1"}, "needs --target endpoint"},
		{
			"no region",
			map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET"},
			awsenv.Config{},
			"no region: set AWS_REGION",
		},
		{"no credentials", nil, awsenv.Config{Region: "eu-west-1"}, "no credentials"},
		{
			"no credentials on an endpoint",
			nil,
			awsenv.Config{Target: awsenv.TargetEndpoint, Endpoint: "http://127.0.0.1:1", Region: "us-east-1"},
			"no credentials",
		},
		{"unknown profile", nil, awsenv.Config{Profile: "nope", Region: "us-east-1"}, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := awsenv.Load(context.Background(), tt.cfg)
			if err == nil {
				t.Fatalf("Load(%+v): no error, want one containing %q", tt.cfg, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Load(%+v) = %q, want it to contain %q", tt.cfg, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestLoadLocalStackDefaults(t *testing.T) {
	tests := []struct {
		name         string
		cfg          awsenv.Config
		wantEndpoint string
		wantRegion   string
	}{
		{"defaults", awsenv.Config{Target: awsenv.TargetLocalStack}, awsenv.DefaultLocalStackEndpoint, "us-east-1"},
		{
			"overrides",
			awsenv.Config{Target: awsenv.TargetLocalStack, Endpoint: "http://127.0.0.1:4567", Region: "eu-central-1"},
			"http://127.0.0.1:4567", "eu-central-1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			cfg, err := awsenv.Load(context.Background(), tt.cfg)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != tt.wantEndpoint {
				t.Errorf("endpoint = %v, want %s", cfg.BaseEndpoint, tt.wantEndpoint)
			}
			if cfg.Region != tt.wantRegion {
				t.Errorf("region = %q, want %q", cfg.Region, tt.wantRegion)
			}
			creds, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatalf("credentials: %v", err)
			}
			if creds.AccessKeyID != "test" || creds.SecretAccessKey != "test" {
				t.Errorf("credentials = %q/%q, want test/test", creds.AccessKeyID, creds.SecretAccessKey)
			}
		})
	}
}

// fakeSTS answers GetCallerIdentity and records the requests it got.
type fakeSTS struct {
	mu    sync.Mutex
	auths []string
}

func (f *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	f.mu.Lock()
	f.auths = append(f.auths, r.Header.Get("Authorization"))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	_, _ = io.WriteString(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/fake</Arn><UserId>AIDFAKE</UserId><Account>123456789012</Account></GetCallerIdentityResult>
<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
}

func (f *fakeSTS) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.auths...)
}

// TestEndpointOverride checks that both ways of naming an endpoint (the
// endpoint target and AWS_ENDPOINT_URL with the aws target) send the SDK's
// calls there, signed with the chain's credentials and region.
func TestEndpointOverride(t *testing.T) {
	tests := []struct {
		name    string
		viaEnv  bool
		wantKey string
	}{
		{"endpoint target", false, "AKIDENDPOINT"},
		{"AWS_ENDPOINT_URL", true, "AKIDENDPOINT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			fake := &fakeSTS{}
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			t.Setenv("AWS_ACCESS_KEY_ID", tt.wantKey)
			t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
			c := awsenv.Config{Target: awsenv.TargetEndpoint, Endpoint: srv.URL, Region: "eu-west-3"}
			if tt.viaEnv {
				t.Setenv("AWS_ENDPOINT_URL", srv.URL)
				c = awsenv.Config{Target: awsenv.TargetAWS, Region: "eu-west-3"}
			}
			cfg, err := awsenv.Load(context.Background(), c)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("GetCallerIdentity: %v", err)
			}
			if got := *out.Account; got != "123456789012" {
				t.Errorf("account = %s, want the fake's", got)
			}
			auths := fake.seen()
			if len(auths) != 1 {
				t.Fatalf("fake got %d requests, want 1", len(auths))
			}
			if want := "Credential=" + tt.wantKey + "/"; !strings.Contains(auths[0], want) || !strings.Contains(auths[0], "/eu-west-3/sts/aws4_request") {
				t.Errorf("Authorization = %q, want %s... for eu-west-3/sts", auths[0], want)
			}
		})
	}
}

func TestTagPairs(t *testing.T) {
	got := awsenv.TagPairs("run-1", deployers.Lambda)
	want := map[string]string{"computeladder:run-id": "run-1", "computeladder:variant": "lambda", "computeladder:owner": deployers.Self()}
	if len(got) != len(want) {
		t.Fatalf("TagPairs = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("TagPairs[%q] = %q, want %q", k, got[k], v)
		}
	}
}

func TestS3Options(t *testing.T) {
	tests := []struct {
		name     string
		target   awsenv.Config
		env      map[string]string
		wantPath bool
	}{
		{"localstack uses path style", awsenv.Config{Target: awsenv.TargetLocalStack}, nil, true},
		{
			"aws uses virtual hosts",
			awsenv.Config{Region: "us-east-1"},
			map[string]string{"AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S"},
			false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := awsenv.Load(context.Background(), tt.target)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var o s3.Options
			awsenv.S3Options(cfg)(&o)
			if o.UsePathStyle != tt.wantPath {
				t.Errorf("UsePathStyle = %v, want %v", o.UsePathStyle, tt.wantPath)
			}
		})
	}
}
