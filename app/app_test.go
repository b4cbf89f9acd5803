package app

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// serve sends one request to h and returns the status, headers and body.
func serve(t testing.TB, h http.Handler, method, target, contentType string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Header(), w.Body.Bytes()
}

// errorCode returns the error code of a JSON error body, failing the test
// when the body is not one.
func errorCode(t testing.TB, body []byte) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("body is not a JSON error (%v): %s", err, body)
	}
	return e.Error.Code
}

func TestHandlerErrors(t *testing.T) {
	h := New(Config{Platform: PlatformContainer})
	png := testImage(t, "png", 8, 8)
	cart := []byte(`{"items":[{"sku":"A","quantity":1,"unit_price_cents":1}],"region":"CA"}`)
	tests := []struct {
		name, method, target, ct string
		body                     []byte
		status                   int
		code, allow              string
	}{
		{"unknown route", "GET", "/nope", "", nil, 404, CodeNotFound, ""},
		{"trailing slash", "GET", "/healthz/", "", nil, 404, CodeNotFound, ""},
		{"GET checkout", "GET", "/checkout", "", nil, 405, CodeMethodNotAllowed, "POST"},
		{"DELETE whoami", "DELETE", "/whoami", "", nil, 405, CodeMethodNotAllowed, "GET, HEAD"},
		{"POST healthz", "POST", "/healthz", "", nil, 405, CodeMethodNotAllowed, "GET, HEAD"},
		{"checkout without content type", "POST", "/checkout", "", cart, 415, CodeUnsupportedMediaType, ""},
		{"checkout as text", "POST", "/checkout", "text/plain", cart, 415, CodeUnsupportedMediaType, ""},
		{"checkout declared too large", "POST", "/checkout", "application/json", make([]byte, MaxCheckoutBytes+1), 413, CodeBodyTooLarge, ""},
		{"checkout overflow", "POST", "/checkout", "application/json; charset=utf-8", []byte(`{"items":[{"sku":"A","quantity":2,"unit_price_cents":9223372036854775807}],"region":"CA"}`), 422, CodeAmountOverflow, ""},
		{"thumbnail as json", "POST", "/thumbnail?width=4", "application/json", png, 415, CodeUnsupportedMediaType, ""},
		{"thumbnail without width", "POST", "/thumbnail", "image/png", png, 400, CodeInvalidWidth, ""},
		{"thumbnail width not a number", "POST", "/thumbnail?width=abc", "image/png", png, 400, CodeInvalidWidth, ""},
		{"thumbnail too large", "POST", "/thumbnail?width=4", "image/png", make([]byte, MaxImageBytes+1), 413, CodeBodyTooLarge, ""},
		{"jobs as form", "POST", "/jobs", "application/x-www-form-urlencoded", []byte(`seconds=1`), 415, CodeUnsupportedMediaType, ""},
		{"jobs too long", "POST", "/jobs", "application/json", []byte(`{"seconds":901}`), 400, CodeInvalidDuration, ""},
		{"jobs zero", "POST", "/jobs", "application/json", []byte(`{}`), 400, CodeInvalidDuration, ""},
		{"jobs negative", "POST", "/jobs", "application/json", []byte(`{"seconds":-1}`), 400, CodeInvalidDuration, ""},
		{"jobs string", "POST", "/jobs", "application/json", []byte(`{"seconds":"1"}`), 400, CodeWrongType, ""},
		{"jobs unknown field", "POST", "/jobs", "application/json", []byte(`{"seconds":1,"steps":2}`), 400, CodeUnknownField, ""},
		{"jobs body too large", "POST", "/jobs", "application/json", []byte(`{"seconds":1` + strings.Repeat(" ", 2000) + `}`), 413, CodeBodyTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, body := serve(t, h, tt.method, tt.target, tt.ct, tt.body)
			if status != tt.status {
				t.Errorf("status %d, want %d: %s", status, tt.status, body)
			}
			if ct := hdr.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if code := errorCode(t, body); code != tt.code {
				t.Errorf("code %q, want %q", code, tt.code)
			}
			if got := hdr.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
		})
	}
}

func TestHandlerSuccess(t *testing.T) {
	h := New(Config{Platform: PlatformVM})
	status, hdr, body := serve(t, h, "GET", "/healthz", "", nil)
	if status != 200 || strings.TrimSpace(string(body)) != `{"status":"ok"}` || hdr.Get("Content-Type") != "application/json" {
		t.Errorf("healthz = %d %q %s", status, hdr.Get("Content-Type"), body)
	}
	if status, _, body := serve(t, h, "HEAD", "/healthz", "", nil); status != 200 {
		t.Errorf("HEAD healthz = %d %s", status, body)
	}
	status, _, body = serve(t, h, "POST", "/checkout", "application/json",
		[]byte(`{"items":[{"sku":"TEA-1","quantity":2,"unit_price_cents":1299},{"sku":"MUG-7","quantity":1,"unit_price_cents":850}],"discount_code":"SAVE10","region":"CA"}`))
	var q Quote
	if err := json.Unmarshal(body, &q); status != 200 || err != nil || q.TotalCents != 3328 || len(q.Lines) != 2 || q.Lines[0].LineTotalCents != 2598 {
		t.Errorf("checkout = %d %v %s", status, err, body)
	}
	for _, ct := range []string{"", "image/jpeg", "application/octet-stream"} {
		status, hdr, body = serve(t, h, "POST", "/thumbnail?width=20", ct, testImage(t, "jpeg", 40, 30))
		if status != 200 || hdr.Get("Content-Type") != "image/png" {
			t.Fatalf("thumbnail with Content-Type %q = %d %s", ct, status, body)
		}
		if !bytes.HasPrefix(body, []byte("\x89PNG")) || hdr.Get("Content-Length") == "" {
			t.Errorf("thumbnail body is not a PNG with a length")
		}
	}
}

func TestRecoverAnswersJSON500(t *testing.T) {
	var logged bytes.Buffer
	s := &server{log: slog.New(slog.NewTextHandler(&logged, nil))}
	h := s.recoverJSON(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	status, hdr, body := serve(t, h, "GET", "/", "", nil)
	if status != 500 || hdr.Get("Content-Type") != "application/json" || errorCode(t, body) != CodeInternal {
		t.Errorf("panic answered %d %s", status, body)
	}
	if strings.Contains(string(body), "boom") {
		t.Errorf("the 500 leaks the panic: %s", body)
	}
	if !strings.Contains(logged.String(), "boom") {
		t.Errorf("the panic was not logged: %s", logged.String())
	}
}

func TestRecoverAfterHeaderKeepsResponse(t *testing.T) {
	s := &server{log: slog.New(slog.DiscardHandler)}
	h := s.recoverJSON(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "partial")
		panic("late")
	}))
	status, _, body := serve(t, h, "GET", "/", "", nil)
	if status != 200 || string(body) != "partial" {
		t.Errorf("got %d %q, want the partial 200 untouched", status, body)
	}
}

func TestRecoverRepanicsAbort(t *testing.T) {
	s := &server{log: slog.New(slog.DiscardHandler)}
	h := s.recoverJSON(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler passed on", v)
		}
	}()
	serve(t, h, "GET", "/", "", nil)
}

// TestChunkedBodyLimits covers bodies without a Content-Length (chunked, or
// through a gateway adapter): the limit holds while reading.
func TestChunkedBodyLimits(t *testing.T) {
	h := New(Config{})
	tests := []struct{ target, ct string }{
		{"/checkout", "application/json"},
		{"/thumbnail?width=4", "image/png"},
		{"/jobs", "application/json"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", tt.target, io.MultiReader(strings.NewReader(`{"a":"`), &endless{}))
		r.ContentLength = -1
		r.Header.Set("Content-Type", tt.ct)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 413 || errorCode(t, w.Body.Bytes()) != CodeBodyTooLarge {
			t.Errorf("%s with an endless body: %d %s", tt.target, w.Code, w.Body)
		}
	}
}
