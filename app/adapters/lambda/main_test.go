package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/computeladder/computeladder/app"
	"github.com/computeladder/computeladder/app/adapters/lambda/functionurl"
)

// handler is the function as main wires it, invocable without the runtime.
func handler() lambda.Handler {
	return lambda.NewHandler(functionurl.Handler(app.New(app.Config{Platform: app.PlatformLambda, Started: time.Now()})))
}

// TestFixtures invokes the function with real-shaped Function URL and HTTP
// API v2 events.
func TestFixtures(t *testing.T) {
	for _, tc := range []struct {
		name       string
		wantStatus int
		check      func(t *testing.T, body []byte)
	}{
		{"get-query-cookies", http.StatusOK, func(t *testing.T, body []byte) {
			var w app.Whoami
			if err := json.Unmarshal(body, &w); err != nil || w.Platform != app.PlatformLambda {
				t.Errorf("whoami = %s (%v), want platform %q", body, err, app.PlatformLambda)
			}
		}},
		{"post-json", http.StatusOK, func(t *testing.T, body []byte) {
			if !json.Valid(body) || !bytes.Contains(body, []byte("total")) {
				t.Errorf("checkout = %s, want a JSON quote with a total", body)
			}
		}},
		{"post-base64-png", http.StatusOK, func(t *testing.T, body []byte) {
			cfg, err := png.DecodeConfig(bytes.NewReader(body))
			if err != nil || cfg.Width != 2 {
				t.Errorf("thumbnail: %v, width %d, want a PNG 2 pixels wide", err, cfg.Width)
			}
		}},
	} {
		for _, source := range []string{"function-url", "http-api-v2"} {
			t.Run(source+"/"+tc.name, func(t *testing.T) {
				payload, err := os.ReadFile(filepath.Join("testdata", source+"-"+tc.name+".json"))
				if err != nil {
					t.Fatal(err)
				}
				out, err := handler().Invoke(context.Background(), payload)
				if err != nil {
					t.Fatalf("invoke: %v", err)
				}
				var resp events.LambdaFunctionURLResponse
				if err := json.Unmarshal(out, &resp); err != nil {
					t.Fatalf("response %s: %v", out, err)
				}
				body := []byte(resp.Body)
				if resp.IsBase64Encoded {
					if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
						t.Fatal(err)
					}
				}
				if resp.StatusCode != tc.wantStatus {
					t.Fatalf("statusCode = %d, want %d: %s", resp.StatusCode, tc.wantStatus, body)
				}
				tc.check(t, body)
			})
		}
	}
}
