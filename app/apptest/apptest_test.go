package apptest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/app"
	"github.com/computeladder/computeladder/app/apptest"
)

func TestAppInProcess(t *testing.T) {
	h := app.New(app.Config{Platform: app.PlatformContainer})
	start := time.Now()
	apptest.Run(t, app.PlatformContainer, apptest.HandlerDoer(h))
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the table took %v; keep it to a couple of seconds for emulated VMs", took)
	}
	// Again on the now warm instance: no case depends on instance state.
	apptest.Run(t, app.PlatformContainer, apptest.HandlerDoer(h))
}

func TestAppOverHTTP(t *testing.T) {
	srv := httptest.NewServer(app.New(app.Config{Platform: app.PlatformVM}))
	t.Cleanup(srv.Close)
	apptest.Run(t, app.PlatformVM, apptest.URLDoer(srv.URL, srv.Client()))
}

// TestEveryCaseCanFail serves each case a response that is plausible but
// wrong: the right status and content type with an empty JSON object, and a
// plain 200 {}. Verify must reject both, so no row passes vacuously.
func TestEveryCaseCanFail(t *testing.T) {
	for _, c := range apptest.Cases("vm") {
		for _, fake := range []struct {
			status int
			ct     string
		}{{c.WantStatus, c.WantContentType}, {200, "application/json"}} {
			resp := fakeResponse(fake.status, fake.ct, "{}\n")
			if c.WantHeader != nil {
				for k, v := range c.WantHeader {
					resp.Header.Set(k, v)
				}
			}
			if err := apptest.Verify(c, "vm", resp); err == nil {
				t.Errorf("%s: a %d %s {} passes", c.Name, fake.status, fake.ct)
			}
		}
	}
}

func fakeResponse(status int, contentType, body string) *http.Response {
	rec := httptest.NewRecorder()
	if contentType != "" {
		rec.Header().Set("Content-Type", contentType)
	}
	rec.WriteHeader(status)
	rec.WriteString(body)
	return rec.Result()
}

func TestWhoamiNamesThePlatform(t *testing.T) {
	do := apptest.HandlerDoer(app.New(app.Config{Platform: app.PlatformVM}))
	i := slices.IndexFunc(apptest.Cases("lambda"), func(c apptest.Case) bool { return c.Name == "whoami" })
	if i < 0 {
		t.Fatal("no whoami case")
	}
	c := apptest.Cases("lambda")[i]
	req, err := c.Request(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := do(req)
	if err != nil {
		t.Fatal(err)
	}
	err = apptest.Verify(c, "lambda", resp)
	if err == nil || !strings.Contains(err.Error(), "platform") {
		t.Errorf("a vm instance passes as lambda: %v", err)
	}
}

func TestURLDoer(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Method + " " + r.Host + " " + r.URL.RequestURI()
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct{ base, path, want string }{
		{srv.URL, "/thumbnail?width=3", "POST " + host + " /thumbnail?width=3"},
		{srv.URL + "/", "/healthz", "POST " + host + " /healthz"},
		{srv.URL + "/prod", "/whoami?x=1", "POST " + host + " /prod/whoami?x=1"},
	}
	for _, tt := range tests {
		req, err := http.NewRequestWithContext(t.Context(), "POST", "http://elsewhere.invalid"+tt.path, strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := apptest.URLDoer(tt.base, srv.Client())(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.base, err)
		}
		resp.Body.Close()
		if got != tt.want {
			t.Errorf("URLDoer(%q) sent %q, want %q", tt.base, got, tt.want)
		}
	}
}

func TestURLDoerBadBase(t *testing.T) {
	req, err := http.NewRequestWithContext(context.Background(), "GET", "http://x.invalid/healthz", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{"127.0.0.1:8080", "localhost:8080", "::bad"} {
		if resp, err := apptest.URLDoer(base, nil)(req); err == nil {
			resp.Body.Close()
			t.Errorf("URLDoer(%q) sent a request", base)
		}
	}
}

func TestLookup(t *testing.T) {
	v := map[string]any{"a": []any{map[string]any{"b": 1.0}}, "c": "d"}
	tests := []struct {
		path string
		want any
		ok   bool
	}{
		{"a.0.b", 1.0, true},
		{"c", "d", true},
		{"a.1.b", nil, false},
		{"a.x", nil, false},
		{"c.d", nil, false},
		{"missing", nil, false},
	}
	for _, tt := range tests {
		got, ok := apptest.Lookup(v, tt.path)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
}
