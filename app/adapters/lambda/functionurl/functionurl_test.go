package functionurl_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/computeladder/computeladder/app/adapters/lambda/functionurl"
)

// seen is what the handler behind the adapter received.
type seen struct {
	method, host, path, rawQuery, remote string
	cookies                              map[string]string
	contentType                          string
	body                                 []byte
}

// recorder returns a handler that records its request and answers 204.
func recorder(got *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		*got = seen{method: r.Method, host: r.Host, path: r.URL.Path, rawQuery: r.URL.RawQuery,
			remote: r.RemoteAddr, cookies: map[string]string{}, contentType: r.Header.Get("Content-Type"), body: body}
		for _, c := range r.Cookies() {
			got.cookies[c.Name] = c.Value
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func invoke(t *testing.T, h http.Handler, payload []byte) events.LambdaFunctionURLResponse {
	t.Helper()
	out, err := lambda.NewHandler(functionurl.Handler(h)).Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	var resp events.LambdaFunctionURLResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("response payload %s: %v", out, err)
	}
	return resp
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHandlerMapsFixtureRequests(t *testing.T) {
	png := fixturePNG(t)
	cart := `{"items":[{"sku":"BOOK-1","quantity":2,"unit_price_cents":1250}],"region":"CA"}`
	for _, tc := range []struct {
		name string
		want seen
	}{
		{"get-query-cookies", seen{method: "GET", path: "/whoami", rawQuery: "verbose=1&tag=a&tag=b",
			cookies: map[string]string{"session": "abc123", "theme": "dark"}, body: []byte{}}},
		{"post-json", seen{method: "POST", path: "/checkout", contentType: "application/json",
			cookies: map[string]string{}, body: []byte(cart)}},
		{"post-base64-png", seen{method: "POST", path: "/thumbnail", rawQuery: "width=2", contentType: "image/png",
			cookies: map[string]string{}, body: png}},
	} {
		for _, source := range []string{"function-url", "http-api-v2"} {
			t.Run(source+"/"+tc.name, func(t *testing.T) {
				var got seen
				resp := invoke(t, recorder(&got), fixture(t, source+"-"+tc.name+".json"))
				if resp.StatusCode != http.StatusNoContent {
					t.Errorf("statusCode = %d, want 204", resp.StatusCode)
				}
				want := tc.want
				want.remote = "203.0.113.10"
				want.host = got.host // checked below: it differs per source
				if !strings.HasSuffix(got.host, ".amazonaws.com") && !strings.HasSuffix(got.host, ".on.aws") {
					t.Errorf("host = %q, want the event's domain", got.host)
				}
				if got.method != want.method || got.path != want.path || got.rawQuery != want.rawQuery ||
					got.remote != want.remote || got.contentType != want.contentType {
					t.Errorf("request = %s %s?%s from %s (%s), want %s %s?%s from %s (%s)",
						got.method, got.path, got.rawQuery, got.remote, got.contentType,
						want.method, want.path, want.rawQuery, want.remote, want.contentType)
				}
				if len(got.cookies) != len(want.cookies) {
					t.Errorf("cookies = %v, want %v", got.cookies, want.cookies)
				}
				for k, v := range want.cookies {
					if got.cookies[k] != v {
						t.Errorf("cookie %s = %q, want %q", k, got.cookies[k], v)
					}
				}
				if !bytes.Equal(got.body, want.body) {
					t.Errorf("body = %q, want %q", got.body, want.body)
				}
			})
		}
	}
}

// fixturePNG is the image inside the base64 fixture, decoded independently.
func fixturePNG(t *testing.T) []byte {
	t.Helper()
	var ev struct{ Body string }
	if err := json.Unmarshal(fixture(t, "function-url-post-base64-png.json"), &ev); err != nil {
		t.Fatal(err)
	}
	b, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.DecodeConfig(bytes.NewReader(b)); err != nil {
		t.Fatalf("fixture is not a PNG: %v", err)
	}
	return b
}

func TestHandlerMapsResponses(t *testing.T) {
	pngBytes := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
	for _, tc := range []struct {
		name        string
		handler     http.HandlerFunc
		wantStatus  int
		wantBody    string // as decoded
		wantBase64  bool
		wantHeaders map[string]string
		wantCookies []string
	}{
		{
			name: "json with cookies and a repeated header",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Add("Vary", "Accept")
				w.Header().Add("Vary", "Cookie")
				http.SetCookie(w, &http.Cookie{Name: "a", Value: "1", Path: "/"})
				http.SetCookie(w, &http.Cookie{Name: "b", Value: "2", HttpOnly: true})
				w.WriteHeader(http.StatusCreated)
				io.WriteString(w, `{"ok":true}`)
			},
			wantStatus:  http.StatusCreated,
			wantBody:    `{"ok":true}`,
			wantHeaders: map[string]string{"content-type": "application/json", "vary": "Accept,Cookie"},
			wantCookies: []string{"a=1; Path=/", "b=2; HttpOnly"},
		},
		{
			name: "binary content type is base64",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "image/png")
				w.Write(pngBytes)
			},
			wantStatus: http.StatusOK, wantBody: string(pngBytes), wantBase64: true,
			wantHeaders: map[string]string{"content-type": "image/png"},
		},
		{
			name:       "no content type: sniffed, binary",
			handler:    func(w http.ResponseWriter, r *http.Request) { w.Write(pngBytes) },
			wantStatus: http.StatusOK, wantBody: string(pngBytes), wantBase64: true,
			wantHeaders: map[string]string{"content-type": "image/png"},
		},
		{
			name: "text that is not UTF-8 is base64",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain; charset=latin1")
				w.Write([]byte{'c', 'a', 'f', 0xe9})
			},
			wantStatus: http.StatusOK, wantBody: "caf\xe9", wantBase64: true,
		},
		{
			name:       "error status without body",
			handler:    func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) },
			wantStatus: http.StatusServiceUnavailable,
		},
		{
			name:       "no WriteHeader is 200",
			handler:    func(w http.ResponseWriter, r *http.Request) {},
			wantStatus: http.StatusOK,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := invoke(t, tc.handler, fixture(t, "function-url-get-query-cookies.json"))
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("statusCode = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if resp.IsBase64Encoded != tc.wantBase64 {
				t.Errorf("isBase64Encoded = %v, want %v", resp.IsBase64Encoded, tc.wantBase64)
			}
			body := resp.Body
			if resp.IsBase64Encoded {
				b, err := base64.StdEncoding.DecodeString(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				body = string(b)
			}
			if body != tc.wantBody {
				t.Errorf("body = %q, want %q", body, tc.wantBody)
			}
			for k, v := range tc.wantHeaders {
				if resp.Headers[k] != v {
					t.Errorf("header %s = %q, want %q (headers %v)", k, resp.Headers[k], v, resp.Headers)
				}
			}
			if _, ok := resp.Headers["set-cookie"]; ok {
				t.Errorf("set-cookie left in headers: %v", resp.Headers)
			}
			if !slices.Equal(resp.Cookies, tc.wantCookies) {
				t.Errorf("cookies = %q, want %q", resp.Cookies, tc.wantCookies)
			}
		})
	}
}

func TestHandlerRejectsBadEvents(t *testing.T) {
	for _, tc := range []struct{ name, payload string }{
		{"not a v2 event", `{"Records":[{"eventSource":"aws:sqs"}]}`},
		{"bad base64", `{"rawPath":"/","requestContext":{"http":{"method":"POST"}},"body":"%%%","isBase64Encoded":true}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := lambda.NewHandler(functionurl.Handler(http.NotFoundHandler())).Invoke(context.Background(), []byte(tc.payload))
			if err == nil {
				t.Error("invoke succeeded, want an error")
			}
		})
	}
}

func TestIsText(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/html; charset=utf-8":           true,
		"application/json":                   true,
		"application/problem+json":           true,
		"application/x-www-form-urlencoded":  true,
		"image/svg+xml":                      true,
		"image/png":                          false,
		"application/octet-stream":           false,
		"":                                   false,
		"multipart/form-data; boundary=abcd": false,
	} {
		if got := functionurl.IsText(ct); got != want {
			t.Errorf("IsText(%q) = %v, want %v", ct, got, want)
		}
	}
}

// FuzzHandler feeds arbitrary payloads to the function half: it must answer
// or return an error, never panic.
func FuzzHandler(f *testing.F) {
	for _, name := range []string{"function-url-get-query-cookies.json", "http-api-v2-post-base64-png.json"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	var got seen
	h := lambda.NewHandler(functionurl.Handler(recorder(&got)))
	f.Fuzz(func(t *testing.T, payload []byte) {
		_, _ = h.Invoke(context.Background(), payload)
	})
}
