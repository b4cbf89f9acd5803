// Package apptest holds the app's behaviour table: requests with the status
// and key body fields they must produce. The same table runs against the
// handler in process, through the Lambda adapter, and against every deployed
// variant: it is the proof that the three variants are the same app.
//
// The table is a specification written from the outside: it does not import
// package app, so a change of behaviour there shows up here as a failure.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Doer sends one request and returns its response (like http.Client.Do).
type Doer func(*http.Request) (*http.Response, error)

// Case is one row of the behaviour table.
type Case struct {
	Name   string
	Method string
	// Path is the path and query, e.g. "/thumbnail?width=32".
	Path   string
	Header map[string]string
	Body   []byte

	WantStatus int
	// WantContentType is the response's media type (parameters ignored);
	// empty means not checked.
	WantContentType string
	// WantHeader are response headers that must have exactly these values.
	WantHeader map[string]string
	// WantJSON maps dotted paths ("error.code", "lines.0.sku") to the
	// values they must hold in the JSON body; for an NDJSON body, in its
	// last line.
	WantJSON map[string]any
	// Check, when set, inspects what the fields above cannot express.
	Check func(platform string, resp *http.Response, body []byte) error
}

// RequestTimeout bounds one case, generous enough for an emulated VM.
const RequestTimeout = 30 * time.Second

// maxBody bounds what Verify reads of a response.
const maxBody = 8 << 20

// Request builds the case's request. Its URL points at a placeholder host:
// a Doer decides where it really goes.
func (c Case) Request(ctx context.Context) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, c.Method, "http://apptest.invalid"+c.Path, bytes.NewReader(c.Body))
	if err != nil {
		return nil, fmt.Errorf("build request %s: %w", c.Name, err)
	}
	if c.Body == nil {
		r.Body, r.GetBody, r.ContentLength = http.NoBody, nil, 0
	}
	for k, v := range c.Header {
		r.Header.Set(k, v)
	}
	return r, nil
}

// Run runs every case through do, each as a subtest. Cases are independent
// of each other and of the instance's state, so any subset runs in any
// order; they run one at a time because a function environment serves one
// request at a time.
func Run(t *testing.T, platform string, do Doer) {
	t.Helper()
	for _, c := range Cases(platform) {
		t.Run(c.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), RequestTimeout)
			defer cancel()
			req, err := c.Request(ctx)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := do(req)
			if resp != nil {
				t.Cleanup(func() { resp.Body.Close() })
			}
			if err != nil {
				t.Fatalf("%s %s: %v", c.Method, c.Path, err)
			}
			if err := Verify(c, platform, resp); err != nil {
				t.Errorf("%s %s:\n%v", c.Method, c.Path, err)
			}
		})
	}
}

// Verify reads resp and returns every way it differs from what c wants
// (joined), or nil.
func Verify(c Case, platform string, resp *http.Response) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if resp.StatusCode != c.WantStatus {
		fail("status %d, want %d", resp.StatusCode, c.WantStatus)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if c.WantContentType != "" && mt != c.WantContentType {
		fail("Content-Type %q, want %s", resp.Header.Get("Content-Type"), c.WantContentType)
	}
	for k, want := range c.WantHeader {
		if got := resp.Header.Get(k); got != want {
			fail("header %s: %q, want %q", k, got, want)
		}
	}
	if len(c.WantJSON) > 0 {
		doc := body
		if mt == "application/x-ndjson" {
			lines := bytes.Split(bytes.TrimSpace(body), []byte("\n"))
			doc = lines[len(lines)-1]
		}
		var v any
		if err := json.Unmarshal(doc, &v); err != nil {
			fail("body is not JSON (%v): %s", err, clip(doc))
		} else {
			for path, want := range c.WantJSON {
				got, ok := Lookup(v, path)
				if !ok {
					fail("%s: missing in %s", path, clip(doc))
				} else if w := normalize(want); !reflect.DeepEqual(got, w) {
					fail("%s = %v, want %v", path, got, w)
				}
			}
		}
	}
	if c.Check != nil {
		if err := c.Check(platform, resp, body); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		errs = append(errs, fmt.Errorf("body: %s", clip(body)))
	}
	return errors.Join(errs...)
}

// Lookup follows a dotted path ("lines.0.sku") through decoded JSON.
func Lookup(v any, path string) (any, bool) {
	for _, key := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[key]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// normalize gives a wanted value the shape json.Unmarshal would (3328 →
// float64(3328)), so that it compares with reflect.DeepEqual.
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

func clip(b []byte) string {
	if len(b) > 300 {
		return fmt.Sprintf("%q... (%d bytes)", b[:300], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// URLDoer sends requests to baseURL (e.g. "http://127.0.0.1:32768") with
// client (http.DefaultClient when nil), keeping each request's path and query.
// A path in baseURL (e.g. a gateway stage "/prod") is prefixed.
func URLDoer(baseURL string, client *http.Client) Doer {
	if client == nil {
		client = http.DefaultClient
	}
	base, err := url.Parse(baseURL)
	if err == nil && (base.Scheme == "" || base.Host == "") {
		err = errors.New("want scheme://host[:port]")
	}
	return func(r *http.Request) (*http.Response, error) {
		if err != nil {
			return nil, fmt.Errorf("base URL %q: %w", baseURL, err)
		}
		out := r.Clone(r.Context())
		u := *base
		u.Path = strings.TrimSuffix(base.Path, "/") + r.URL.Path
		u.RawPath = ""
		u.RawQuery = r.URL.RawQuery
		out.URL, out.Host, out.RequestURI = &u, "", ""
		return client.Do(out)
	}
}

// HandlerDoer serves requests with h in process, shaped as a server would
// receive them (path-only URL, Host, RemoteAddr, non-nil Body).
func HandlerDoer(h http.Handler) Doer {
	return func(r *http.Request) (*http.Response, error) {
		in := r.Clone(r.Context())
		in.URL = &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
		in.Host = r.URL.Host
		in.RequestURI = in.URL.RequestURI()
		in.RemoteAddr = "192.0.2.1:1234"
		in.Proto, in.ProtoMajor, in.ProtoMinor = "HTTP/1.1", 1, 1
		if in.Body == nil {
			in.Body = http.NoBody
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, in)
		resp := rec.Result()
		resp.Request = r
		return resp, nil
	}
}
