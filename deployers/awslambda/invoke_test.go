package awslambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
)

// fakeLambda serves the three Lambda calls of a cold-start measurement:
// configuration reads and updates, and invokes whose log tail reports an
// Init Duration only on the first invoke after an update, as Lambda does.
type fakeLambda struct {
	mu       sync.Mutex
	env      map[string]string
	fresh    bool
	payloads []string
}

func (f *fakeLambda) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	config := func() {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"FunctionName": "fn", "State": "Active", "LastUpdateStatus": "Successful",
			"Environment": map[string]any{"Variables": f.env},
		})
	}
	switch {
	case r.URL.Path == "/2015-03-31/functions/fn/configuration" && r.Method == http.MethodGet:
		config()
	case r.URL.Path == "/2015-03-31/functions/fn/configuration" && r.Method == http.MethodPut:
		var in struct {
			Environment struct{ Variables map[string]string }
		}
		_ = json.Unmarshal(body, &in)
		f.env, f.fresh = in.Environment.Variables, true
		config()
	case r.URL.Path == "/2015-03-31/functions/fn/invocations":
		if r.Header.Get("X-Amz-Log-Type") != "Tail" {
			http.Error(w, `{"message":"want LogType Tail"}`, http.StatusBadRequest)
			return
		}
		f.payloads = append(f.payloads, string(body))
		report := "REPORT RequestId: r1\tDuration: 2.00 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\t"
		if f.fresh {
			report += "Init Duration: 45.50 ms\t"
			f.fresh = false
		}
		w.Header().Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString([]byte("START RequestId: r1\n"+report+"\n")))
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		_, _ = io.WriteString(w, `{"statusCode":200,"body":"ok"}`)
	default:
		http.Error(w, `{"message":"unexpected `+r.Method+` `+r.URL.Path+`"}`, http.StatusNotFound)
	}
}

func fakeConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRET", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
	}
}

func TestColdStartInitDuration(t *testing.T) {
	fake := &fakeLambda{env: map[string]string{"KEEP": "1"}}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	dp, err := New(fakeConfig(srv.URL), WithPollInterval(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := &deployers.Deployment{ID: "fn", State: &state{}}

	if _, ok := dp.LastInitDuration(ctx, d); ok {
		t.Error("LastInitDuration before any cold start: want none")
	}
	if err := dp.ForceColdStart(ctx, d); err != nil {
		t.Fatalf("ForceColdStart: %v", err)
	}
	if fake.env["KEEP"] != "1" || fake.env[ColdStartEnv] == "" {
		t.Errorf("env after ForceColdStart = %v, want KEEP kept and %s set", fake.env, ColdStartEnv)
	}
	inv, err := dp.Invoke(ctx, d, URLEvent(http.MethodGet, "/healthz"))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	want := Report{RequestID: "r1", Duration: 2 * time.Millisecond, BilledDuration: 3 * time.Millisecond, MemorySizeMB: 128, MaxMemoryMB: 18, InitDuration: 45500 * time.Microsecond}
	if !inv.HasReport || inv.Report != want {
		t.Errorf("Invoke report = %+v (%v), want %+v", inv.Report, inv.HasReport, want)
	}
	if string(inv.Payload) != `{"statusCode":200,"body":"ok"}` {
		t.Errorf("payload = %s", inv.Payload)
	}
	if got, ok := dp.LastInitDuration(ctx, d); !ok || got != want.InitDuration {
		t.Errorf("LastInitDuration = %s, %v; want %s", got, ok, want.InitDuration)
	}
	var ev struct {
		RawPath        string
		RequestContext struct{ HTTP struct{ Method string } }
	}
	if err := json.Unmarshal([]byte(fake.payloads[0]), &ev); err != nil || ev.RawPath != "/healthz" || ev.RequestContext.HTTP.Method != "GET" {
		t.Errorf("invoke payload %s: want a Function URL event for GET /healthz (%v)", fake.payloads[0], err)
	}
	// A warm invoke has no Init Duration: the figure stays the cold one.
	warm, err := dp.Invoke(ctx, d, URLEvent(http.MethodGet, "/healthz"))
	if err != nil || warm.Report.Cold() {
		t.Errorf("second Invoke = %+v, %v; want a warm report", warm.Report, err)
	}
}

func TestWaitReadySigns(t *testing.T) {
	tests := []struct {
		name       string
		public     bool
		wantSigned bool
	}{
		{"AWS_IAM signs", false, true},
		{"public does not", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			calls := 0
			var auth string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				calls++
				auth = r.Header.Get("Authorization")
				if calls < 3 {
					// A new Function URL answers 403 while it propagates.
					w.WriteHeader(http.StatusForbidden)
				}
			}))
			t.Cleanup(srv.Close)
			opts := []Option{WithPollInterval(time.Millisecond)}
			if tt.public {
				opts = append(opts, WithPublicURL())
			}
			dp, err := New(fakeConfig("http://127.0.0.1:1"), opts...)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := dp.waitReady(ctx, srv.URL+"/healthz"); err != nil {
				t.Fatalf("waitReady: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if calls != 3 {
				t.Errorf("probes = %d, want 3 (two 403s, then 200)", calls)
			}
			if signed := strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/"); signed != tt.wantSigned {
				t.Errorf("Authorization = %q, want signed %v", auth, tt.wantSigned)
			}
		})
	}
}

// A 403 that lasts past the deadline says which permission signed probes need.
func TestWaitReadyExplainsLasting403(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	dp, err := New(fakeConfig("http://127.0.0.1:1"), WithPollInterval(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = dp.waitReady(ctx, srv.URL+"/healthz")
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "lambda:InvokeFunctionUrl") {
		t.Fatalf("error = %v, want the 403 and the permission it needs", err)
	}
}

func TestUnreachable(t *testing.T) {
	tests := []struct {
		name      string
		endpoint  string
		url       string
		probe     []Option
		wantProbe bool
	}{
		{"aws", "", "https://abc.lambda-url.us-east-1.on.aws", nil, true},
		{"moto", "http://127.0.0.1:5055", "https://abc.lambda-url.us-east-1.on.aws", nil, false},
		{"localstack", "http://localhost:4566", "http://abc.lambda-url.us-east-1.localhost.localstack.cloud:4566", nil, true},
		{"same host as endpoint", "http://127.0.0.1:4566", "http://127.0.0.1:4566/fn", nil, true},
		{"forced", "http://127.0.0.1:5055", "https://abc.lambda-url.us-east-1.on.aws", []Option{WithProbe(true)}, true},
		{"forbidden", "", "https://abc.lambda-url.us-east-1.on.aws", []Option{WithProbe(false)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fakeConfig(tt.endpoint)
			if tt.endpoint == "" {
				cfg.BaseEndpoint = nil
			}
			dp, err := New(cfg, tt.probe...)
			if err != nil {
				t.Fatal(err)
			}
			reason := dp.unreachable(tt.url)
			if (reason == "") != tt.wantProbe {
				t.Errorf("unreachable(%s) = %q, want probe %v", tt.url, reason, tt.wantProbe)
			}
		})
	}
}

func TestTransport(t *testing.T) {
	cfg := fakeConfig("http://127.0.0.1:1")
	base := http.DefaultTransport
	tests := []struct {
		name       string
		d          *deployers.Deployment
		wantSigned bool
	}{
		{"AWS_IAM", &deployers.Deployment{Details: map[string]string{DetailAuth: "AWS_IAM", DetailRegion: "eu-north-1"}}, true},
		{"public", &deployers.Deployment{Details: map[string]string{DetailAuth: "NONE"}}, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Transport(cfg, tt.d, base)
			s, signed := got.(*awsenv.SigV4Transport)
			if signed != tt.wantSigned {
				t.Fatalf("Transport = %T, want signed %v", got, tt.wantSigned)
			}
			if signed && (s.Region != "eu-north-1" || s.Service != "lambda" || s.Base != base) {
				t.Errorf("signer = region %s service %s, want eu-north-1 lambda over base", s.Region, s.Service)
			}
		})
	}
}
