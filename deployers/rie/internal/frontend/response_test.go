package frontend

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// The reading of a payload before the key scan (up to 9629b15): a decode
// into a map for the function-error shape, another for "statusCode", then
// the event. The scan must answer as they did; the benchmarks compare.

func refDecodeResponse(payload []byte) (*http.Response, error) {
	var probe map[string]json.RawMessage
	structured := json.Unmarshal(payload, &probe) == nil && probe["statusCode"] != nil
	resp := &http.Response{
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		StatusCode: http.StatusOK,
		Header:     http.Header{},
	}
	body := payload
	if structured {
		var ev events.LambdaFunctionURLResponse
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("decode response event: %w", err)
		}
		if ev.StatusCode < 100 || ev.StatusCode > 999 {
			return nil, fmt.Errorf("response event: invalid statusCode %d", ev.StatusCode)
		}
		resp.StatusCode = ev.StatusCode
		for k, v := range ev.Headers {
			resp.Header.Set(k, v)
		}
		for _, c := range ev.Cookies {
			resp.Header.Add("Set-Cookie", c)
		}
		body = []byte(ev.Body)
		if ev.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(ev.Body)
			if err != nil {
				return nil, fmt.Errorf("decode base64 response body: %w", err)
			}
			body = b
		}
	} else {
		resp.Header.Set("Content-Type", "application/json")
	}
	resp.Status = strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func refWriteResponse(w http.ResponseWriter, payload []byte) error {
	resp, err := refDecodeResponse(payload)
	if err != nil {
		return err
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	_, err = io.Copy(w, resp.Body)
	return err
}

func refFunctionError(payload []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(payload, &m) != nil {
		return false
	}
	_, msg := m["errorMessage"]
	_, typ := m["errorType"]
	_, status := m["statusCode"]
	extra := len(m) - 2
	if _, ok := m["stackTrace"]; ok {
		extra--
	}
	return msg && typ && !status && extra == 0
}

var responseSeeds = []string{
	`{"statusCode":200,"headers":{"content-type":"application/json"},"body":"{\"status\":\"ok\"}\n"}`,
	`{"statusCode":200,"body":"aGk=","isBase64Encoded":true,"cookies":["a=1"]}`,
	`{"statusCode":201,"headers":{"x-a":"1","set-cookie":"z=0"},"cookies":["a=1","b=2"],"body":"ok"}`,
	`{"statusCode":200,"body":"%%","isBase64Encoded":true}`,
	`{"statusCode":42}`, `{"statusCode":"200"}`, `{"statusCode":null}`, `{"statusCode":200}}`,
	`{"status\u0043ode":200,"body":"escaped key"}`, `{"StatusCode":200,"body":"other case"}`,
	`{"statusCode":200,"Body":"case-folded field"}`, `{"statusCode":200,"statusCode":404}`,
	` { "statusCode" : 204 , "headers" : { "a" : "{}" } } `, `{"a":[1,{"b":"}"}],"statusCode":200}`,
	`{"a":"\"statusCode\":","b":1}`, `{"a":tru}`, `{"statusCode":200`, `{"statusCode":`, `{`, `{}`, `{} x`,
	`"plain"`, `null`, `[{"statusCode":200}]`, `42`, ``, `not json`, "\xef\xbb\xbf{\"statusCode\":200}",
	`{"hello":"world"}`,
	`{"errorMessage":"boom","errorType":"errorString"}`,
	`{"errorMessage":"boom","errorType":"errorString","stackTrace":[]}`,
	`{"errorMessage":"boom","errorType":"errorString","stackTrace":["a"],"stackTrace":null}`,
	`{"statusCode":200,"body":"{\"errorMessage\":\"x\",\"errorType\":\"y\"}"}`,
	`{"errorMessage":"boom","errorType":"x","extra":1}`, `{"errorMessage":"boom"}`,
	`{"errorMessage":"boom","errorType":"x","statusCode":500}`, `{"errorMessage":"a","errorType":"b"} trailing`,
	`{"error\u004dessage":"a","errorType":"b"}`, "{\"errorMessage\":\"a\",\"errorType\":\"b\",\"\xff\":1}",
}

func TestIsFunctionError(t *testing.T) {
	for _, tt := range []struct {
		payload string
		want    bool
	}{
		{`{"errorMessage":"boom","errorType":"errorString"}`, true},
		{`{"errorMessage":"boom","errorType":"errorString","stackTrace":[]}`, true},
		{` {"errorType":"x", "errorMessage":{"nested":"}"}} `, true},
		{`{"error\u004dessage":"a","errorType":"b"}`, true},
		{`{"statusCode":200,"body":"{\"errorMessage\":\"x\",\"errorType\":\"y\"}"}`, false},
		{`{"errorMessage":"boom","errorType":"x","extra":1}`, false},
		{`{"errorMessage":"boom","errorType":"x","statusCode":500}`, false},
		{`{"errorMessage":"boom"}`, false},
		{`{"errorMessage":"a","errorType":"b"} trailing`, false},
		{`{"errorMessage":"a","errorType":b}`, false},
		{`not json`, false},
	} {
		if got := IsFunctionError([]byte(tt.payload)); got != tt.want {
			t.Errorf("IsFunctionError(%s) = %v, want %v", tt.payload, got, tt.want)
		}
	}
}

// FuzzResponseMatchesReference: the key scan reads every payload as the
// decoding it replaced did — the same function-error verdict, the same
// error or the same status, headers and body.
func FuzzResponseMatchesReference(f *testing.F) {
	for _, s := range responseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		if got, want := IsFunctionError(payload), refFunctionError(payload); got != want {
			t.Errorf("IsFunctionError(%q) = %v, the reference %v", payload, got, want)
		}
		got, gerr := DecodeResponse(payload)
		want, werr := refDecodeResponse(payload)
		if (gerr != nil) != (werr != nil) {
			t.Fatalf("DecodeResponse(%q) error %v, the reference %v", payload, gerr, werr)
		}
		if gerr != nil {
			return
		}
		gb, _ := io.ReadAll(got.Body)
		wb, _ := io.ReadAll(want.Body)
		if got.StatusCode != want.StatusCode || got.Status != want.Status || got.ContentLength != want.ContentLength || !bytes.Equal(gb, wb) {
			t.Errorf("DecodeResponse(%q) = %s %d %q, the reference %s %d %q", payload,
				got.Status, got.ContentLength, gb, want.Status, want.ContentLength, wb)
		}
		ambiguous := headerCollisions(payload)
		for _, k := range slices.Sorted(keys(got.Header, want.Header)) {
			if !ambiguous[k] && !slices.Equal(got.Header[k], want.Header[k]) {
				t.Errorf("DecodeResponse(%q) header %s = %q, the reference %q", payload, k, got.Header[k], want.Header[k])
			}
		}
		if ambiguous := len(ambiguous) > 0; !ambiguous {
			w := httptest.NewRecorder()
			err := WriteResponse(w, payload)
			rw := httptest.NewRecorder()
			if rerr := refWriteResponse(rw, payload); (err != nil) != (rerr != nil) {
				t.Fatalf("WriteResponse(%q) error %v, the reference %v", payload, err, rerr)
			}
			if w.Code != rw.Code || w.Body.String() != rw.Body.String() || fmt.Sprint(w.Header()) != fmt.Sprint(rw.Header()) {
				t.Errorf("WriteResponse(%q) wrote %d %v %q, the reference %d %v %q", payload,
					w.Code, w.Header(), w.Body, rw.Code, rw.Header(), rw.Body)
			}
		}
	})
}

// headerCollisions returns the canonical header names that two of an
// event's headers share: which value wins depends on map order, in the
// reference as now.
func headerCollisions(payload []byte) map[string]bool {
	var ev events.LambdaFunctionURLResponse
	if json.Unmarshal(payload, &ev) != nil {
		return nil
	}
	seen, out := map[string]int{}, map[string]bool{}
	for k := range ev.Headers {
		c := http.CanonicalHeaderKey(k)
		if seen[c]++; seen[c] > 1 {
			out[c] = true
		}
	}
	return out
}

func keys(hs ...http.Header) func(func(string) bool) {
	return func(yield func(string) bool) {
		seen := map[string]bool{}
		for _, h := range hs {
			for k := range h {
				if !seen[k] {
					seen[k] = true
					if !yield(k) {
						return
					}
				}
			}
		}
	}
}

func TestWriteResponseWritesNothingOnError(t *testing.T) {
	w := httptest.NewRecorder()
	err := WriteResponse(w, []byte(`{"statusCode":200,"headers":{"x-a":"1"},"cookies":["a=1"],"body":"%%","isBase64Encoded":true}`))
	if err == nil {
		t.Fatal("a body that is not base64 was written")
	}
	if len(w.Header()) > 0 || w.Body.Len() > 0 {
		t.Errorf("wrote headers %v body %q before failing: the gateway's error answer would carry them", w.Header(), w.Body)
	}
}

// healthz is the app's answer to GET /healthz through the lambda adapter.
var healthz = []byte(`{"statusCode":200,"headers":{"content-type":"application/json","x-content-type-options":"nosniff"},"multiValueHeaders":null,"body":"{\"status\":\"ok\"}\n","cookies":null}`)

// BenchmarkTopKeys: the key scan beside the map decode it spares on every
// response (the gateway read each payload's keys twice that way).
func BenchmarkTopKeys(b *testing.B) {
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ks, _ := topKeys(healthz); ks&keyStatusCode == 0 {
				b.Fatal("no statusCode")
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]json.RawMessage
			if json.Unmarshal(healthz, &m) != nil || m["statusCode"] == nil {
				b.Fatal("no statusCode")
			}
		}
	})
}

// BenchmarkWriteResponse: what the gateway does with a response payload
// (function-error check, then the HTTP response), now and as it was.
func BenchmarkWriteResponse(b *testing.B) {
	for _, bc := range []struct {
		name    string
		isError func([]byte) bool
		write   func(http.ResponseWriter, []byte) error
	}{
		{"scan", IsFunctionError, WriteResponse},
		{"decode", refFunctionError, refWriteResponse},
	} {
		b.Run(bc.name, func(b *testing.B) {
			w := &nullWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				if bc.isError(healthz) || bc.write(w, healthz) != nil || w.status != http.StatusOK {
					b.Fatal("healthz not written")
				}
			}
		})
	}
}

type nullWriter struct {
	h      http.Header
	status int
}

func (w *nullWriter) Header() http.Header         { return w.h }
func (w *nullWriter) WriteHeader(code int)        { w.status = code }
func (w *nullWriter) Write(p []byte) (int, error) { return len(p), nil }
