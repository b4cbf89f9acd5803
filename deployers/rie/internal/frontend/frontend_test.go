package frontend_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/computeladder/computeladder/app"
	"github.com/computeladder/computeladder/app/adapters/lambda/functionurl"
	"github.com/computeladder/computeladder/app/apptest"
	"github.com/computeladder/computeladder/deployers/rie/internal/frontend"
)

// TestBehaviourTable runs the app's behaviour table through the function's
// mapping as the lambda adapter's main wires it (functionurl.Handler over
// app.New) and this front end: each request becomes a Function URL event
// and each response comes back through the response event, as on AWS. The
// emulator backend's tests run the same table through the built adapter.
func TestBehaviourTable(t *testing.T) {
	h := lambda.NewHandler(functionurl.Handler(app.New(app.Config{Platform: app.PlatformLambda, Started: time.Now()})))
	apptest.Run(t, app.PlatformLambda, frontend.Doer(h.Invoke))
}

// TestRoundTrip sends HTTP requests through the client half (EncodeRequest,
// DecodeResponse) and the function half (Handler): what a handler sees and
// answers must survive both.
func TestRoundTrip(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Query", r.URL.RawQuery)
		w.Header().Set("X-Path", r.URL.EscapedPath())
		for _, c := range r.Cookies() {
			http.SetCookie(w, &http.Cookie{Name: c.Name, Value: c.Value + "-back"})
		}
		w.WriteHeader(http.StatusAccepted)
		w.Write(body)
	})
	do := frontend.Doer(lambda.NewHandler(functionurl.Handler(echo)).Invoke)
	binary := []byte{0, 1, 2, 0xff, 0xfe, 'x'}
	for _, tc := range []struct {
		name, method, target, contentType string
		body                              []byte
		cookies                           []*http.Cookie
	}{
		{"get with query and cookies", "GET", "/a/b%2Fc?x=1&y=%20&x=2", "", nil,
			[]*http.Cookie{{Name: "s", Value: "1"}, {Name: "t", Value: "2"}}},
		{"post json", "POST", "/checkout", "application/json", []byte(`{"a":"é"}`), nil},
		{"post binary", "PUT", "/thumbnail?width=8", "image/png", binary, nil},
		{"text that is not UTF-8", "POST", "/", "text/plain", []byte{0xe9}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "http://fn.local"+tc.target, bytes.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			for _, c := range tc.cookies {
				r.AddCookie(c)
			}
			resp, err := do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusAccepted {
				t.Errorf("status = %d, want 202", resp.StatusCode)
			}
			if got := resp.Header.Get("X-Method"); got != tc.method {
				t.Errorf("method = %q, want %q", got, tc.method)
			}
			if got, want := resp.Header.Get("X-Path")+"?"+resp.Header.Get("X-Query"), r.URL.EscapedPath()+"?"+r.URL.RawQuery; got != want {
				t.Errorf("target = %q, want %q", got, want)
			}
			if !bytes.Equal(body, tc.body) && len(body)+len(tc.body) > 0 {
				t.Errorf("body = %q, want %q", body, tc.body)
			}
			if resp.ContentLength != int64(len(body)) {
				t.Errorf("ContentLength = %d, want %d", resp.ContentLength, len(body))
			}
			back := map[string]string{}
			for _, c := range resp.Cookies() {
				back[c.Name] = c.Value
			}
			if len(back) != len(tc.cookies) {
				t.Errorf("Set-Cookie = %v, want one per request cookie %v", back, tc.cookies)
			}
			for _, c := range tc.cookies {
				if back[c.Name] != c.Value+"-back" {
					t.Errorf("cookie %s came back as %q, want %q", c.Name, back[c.Name], c.Value+"-back")
				}
			}
		})
	}
}

func TestDecodeResponse(t *testing.T) {
	for _, tc := range []struct {
		name, payload      string
		wantStatus         int
		wantBody, wantType string
		wantErr            bool
	}{
		{name: "event", payload: `{"statusCode":404,"headers":{"content-type":"text/plain"},"body":"nope"}`,
			wantStatus: 404, wantBody: "nope", wantType: "text/plain"},
		{name: "base64 event", payload: `{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`,
			wantStatus: 200, wantBody: "hi"},
		// A function may return any JSON: without statusCode, Function URLs
		// send it as a 200 application/json body.
		{name: "plain object", payload: `{"hello":"world"}`, wantStatus: 200, wantBody: `{"hello":"world"}`, wantType: "application/json"},
		{name: "plain string", payload: `"hi"`, wantStatus: 200, wantBody: `"hi"`, wantType: "application/json"},
		{name: "bad base64", payload: `{"statusCode":200,"body":"%%","isBase64Encoded":true}`, wantErr: true},
		{name: "bad status", payload: `{"statusCode":42}`, wantErr: true},
		{name: "status of wrong type", payload: `{"statusCode":"200"}`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := frontend.DecodeResponse([]byte(tc.payload))
			if (err != nil) != tc.wantErr {
				t.Fatalf("DecodeResponse error = %v, want error: %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus || string(body) != tc.wantBody || resp.Header.Get("Content-Type") != tc.wantType {
				t.Errorf("got %d %q (%s), want %d %q (%s)", resp.StatusCode, body, resp.Header.Get("Content-Type"),
					tc.wantStatus, tc.wantBody, tc.wantType)
			}
		})
	}
}

func TestWriteResponse(t *testing.T) {
	w := httptest.NewRecorder()
	err := frontend.WriteResponse(w, []byte(`{"statusCode":201,"headers":{"x-a":"1"},"cookies":["a=1","b=2"],"body":"ok"}`))
	if err != nil {
		t.Fatal(err)
	}
	if w.Code != 201 || w.Body.String() != "ok" || w.Header().Get("X-A") != "1" || len(w.Header().Values("Set-Cookie")) != 2 {
		t.Errorf("wrote %d %q headers %v", w.Code, w.Body.String(), w.Header())
	}
}

func TestEncodeRequestTooLarge(t *testing.T) {
	r := httptest.NewRequest("POST", "/thumbnail", bytes.NewReader(make([]byte, frontend.MaxPayload+1)))
	if _, err := frontend.EncodeRequest(r); err != frontend.ErrTooLarge {
		t.Errorf("EncodeRequest(6 MB + 1) error = %v, want ErrTooLarge", err)
	}
}

// FuzzDecodeResponse feeds arbitrary payloads to the gateway half.
func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte(`{"statusCode":200,"body":"aGk=","isBase64Encoded":true,"cookies":["a=1"]}`))
	f.Add([]byte(`"plain"`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		resp, err := frontend.DecodeResponse(payload)
		if err == nil && (resp.StatusCode < 100 || resp.StatusCode > 999) {
			t.Errorf("status %d accepted", resp.StatusCode)
		}
	})
}

// TestEncodeRequestBody: a body of any declared length (or none) arrives
// whole, up to exactly one payload.
func TestEncodeRequestBody(t *testing.T) {
	full := bytes.Repeat([]byte("a"), frontend.MaxPayload-1024) // the event's own fields need room
	for _, tc := range []struct {
		name     string
		body     []byte
		declared int64 // -1: unknown (chunked)
	}{
		{"declared", []byte(`{"n":1}`), 7},
		{"unknown length", []byte(`{"n":2}`), -1},
		{"unknown length, 100 kB", bytes.Repeat([]byte("b"), 100<<10), -1},
		{"nearly a payload", full, int64(len(full))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/checkout", io.MultiReader(bytes.NewReader(tc.body)))
			r.ContentLength = tc.declared
			r.Header.Set("Content-Type", "application/json")
			b, err := frontend.EncodeRequest(r)
			if err != nil {
				t.Fatal(err)
			}
			var ev events.LambdaFunctionURLRequest
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Body != string(tc.body) || ev.IsBase64Encoded {
				t.Errorf("body of %d bytes arrived as %d (base64 %v)", len(tc.body), len(ev.Body), ev.IsBase64Encoded)
			}
			if ev.Headers["content-type"] != "application/json" || ev.Headers["host"] != "example.com" {
				t.Errorf("headers %v", ev.Headers)
			}
		})
	}
	r := httptest.NewRequest("POST", "/", io.MultiReader(bytes.NewReader(make([]byte, frontend.MaxPayload+1))))
	r.ContentLength = -1
	if _, err := frontend.EncodeRequest(r); err != frontend.ErrTooLarge {
		t.Errorf("EncodeRequest(6 MB + 1 of unknown length) error = %v, want ErrTooLarge", err)
	}
}

// BenchmarkEncodeRequest: the event of a GET like the load generator's.
func BenchmarkEncodeRequest(b *testing.B) {
	r := httptest.NewRequest("GET", "http://127.0.0.1:8080/healthz", http.NoBody)
	r.Header.Set("User-Agent", "Go-http-client/1.1")
	r.Header.Set("Accept-Encoding", "gzip")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := frontend.EncodeRequest(r); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReadPayload: whatever length is declared, the payload is read whole,
// and no more than one byte past the limit.
func TestReadPayload(t *testing.T) {
	small := []byte(`{"statusCode":200}`)
	for _, tc := range []struct {
		name     string
		data     []byte
		declared int64
		want     int
	}{
		{"declared", small, int64(len(small)), len(small)},
		{"unknown", small, -1, len(small)},
		{"declared short", small, 3, len(small)},
		{"declared long", small, 1000, len(small)},
		{"empty", nil, 0, 0},
		{"over the limit, unknown", make([]byte, frontend.MaxPayload+5), -1, frontend.MaxPayload + 1},
		{"over the limit, declared", make([]byte, frontend.MaxPayload+5), frontend.MaxPayload + 5, frontend.MaxPayload + 1},
		{"the limit", make([]byte, frontend.MaxPayload), frontend.MaxPayload, frontend.MaxPayload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One byte per read at first: a reader that returns little.
			b, err := frontend.ReadPayload(io.MultiReader(bytes.NewReader(tc.data[:min(3, len(tc.data))]), bytes.NewReader(tc.data[min(3, len(tc.data)):])), tc.declared)
			if err != nil || len(b) != tc.want || !bytes.Equal(b, tc.data[:tc.want]) {
				t.Errorf("read %d bytes, %v; want %d", len(b), err, tc.want)
			}
		})
	}
	if _, err := frontend.ReadPayload(io.MultiReader(bytes.NewReader(small), iotest.ErrReader(io.ErrUnexpectedEOF)), -1); err != io.ErrUnexpectedEOF {
		t.Errorf("a failing read: %v, want its error", err)
	}
}
