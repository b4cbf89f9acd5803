package awslambda

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
)

// fakeLogs serves what the Init Duration search needs: Lambda's
// configuration calls (LastModified on AWS's clock, far from this
// machine's) and CloudWatch Logs' FilterLogEvents over pages, the first of
// them empty as FilterLogEvents returns while it scans.
type fakeLogs struct {
	mu       sync.Mutex
	searches []map[string]any
	lines    []string // REPORT lines in the log group
}

const awsClockLastModified = "2020-01-02T03:04:05.000+0000"

func (f *fakeLogs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.Header.Get("X-Amz-Target") == "Logs_20140328.FilterLogEvents":
		var in map[string]any
		_ = json.Unmarshal(body, &in)
		f.searches = append(f.searches, in)
		pattern, _ := in["filterPattern"].(string)
		out := map[string]any{}
		switch in["nextToken"] {
		case nil:
			out["events"], out["nextToken"] = []any{}, "page-2"
		case "page-2":
			var events []any
			for _, l := range f.lines {
				// A quoted pattern matches the phrase in it.
				if strings.Contains(l, strings.Trim(pattern, `"`)) {
					events = append(events, map[string]any{"message": l})
				}
			}
			out["events"] = events
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(out)
	case strings.HasSuffix(r.URL.Path, "/configuration"):
		_ = json.NewEncoder(w).Encode(map[string]any{
			"FunctionName": "fn", "State": "Active", "LastUpdateStatus": "Successful", "LastModified": awsClockLastModified,
		})
	default:
		http.Error(w, `{"message":"unexpected `+r.Method+` `+r.URL.Path+`"}`, http.StatusNotFound)
	}
}

// urlServer stands in for the Function URL: each response carries its
// request id, as Lambda's do.
func urlServer(t *testing.T, ids ...string) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("x-amzn-RequestId", ids[0])
		ids = ids[1:]
		_, _ = io.WriteString(w, `{"cold":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestInitDurationOfTheColdRequestByItsID(t *testing.T) {
	const coldID, warmID = "9f1c2b7e-0d7e-4a51-9d6b-3c2f0a1e5b44", "5e0b8c1a-77aa-4c3e-8d2f-0b1a2c3d4e5f"
	fake := &fakeLogs{lines: []string{
		// An older cold start, and the cold request's line after a warm one.
		"REPORT RequestId: 11111111-2222-3333-4444-555555555555\tDuration: 2.00 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\tInit Duration: 99.00 ms\t",
		"REPORT RequestId: " + warmID + "\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\t",
		"REPORT RequestId: " + coldID + "\tDuration: 2.00 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\tInit Duration: 47.25 ms\t",
	}}
	api := httptest.NewServer(fake)
	t.Cleanup(api.Close)
	dp, err := New(fakeConfig(api.URL), WithPollInterval(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fn := urlServer(t, coldID, warmID)
	d := &deployers.Deployment{ID: "fn", URL: fn.URL, Details: map[string]string{DetailAuth: "NONE"}, State: &state{}}
	client := &http.Client{Transport: dp.Transport(d, http.DefaultTransport)}

	if err := dp.ForceColdStart(ctx, d); err != nil {
		t.Fatalf("ForceColdStart: %v", err)
	}
	for range 2 { // the cold request, then a warm one
		resp, err := client.Get(fn.URL + "/whoami")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	got, ok := dp.LastInitDuration(ctx, d)
	if !ok || got != 47250*time.Microsecond {
		t.Fatalf("LastInitDuration = %s, %v; want 47.25ms, the cold request's (not the older 99 ms, not the warm request's none)", got, ok)
	}
	if len(fake.searches) != 2 {
		t.Fatalf("%d FilterLogEvents calls, want 2 (the empty first page, then the next token's)", len(fake.searches))
	}
	first := fake.searches[0]
	if p, _ := first["filterPattern"].(string); p != `"REPORT RequestId: `+coldID+`"` {
		t.Errorf("filter pattern %q, want the cold request's id", p)
	}
	// The search starts from the function's LastModified (AWS's clock),
	// a minute early, whatever this machine's clock says.
	lm, _ := time.Parse(lastModifiedLayout, awsClockLastModified)
	if st, _ := first["startTime"].(float64); int64(st) != lm.Add(-time.Minute).UnixMilli() {
		t.Errorf("start time %v, want %d (LastModified - 1m)", first["startTime"], lm.Add(-time.Minute).UnixMilli())
	}
}

func TestInitDurationAbsentWhenNotCold(t *testing.T) {
	const warmID = "5e0b8c1a-77aa-4c3e-8d2f-0b1a2c3d4e5f"
	fake := &fakeLogs{lines: []string{
		"REPORT RequestId: " + warmID + "\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\t",
	}}
	api := httptest.NewServer(fake)
	t.Cleanup(api.Close)
	dp, err := New(fakeConfig(api.URL))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fn := urlServer(t, warmID)
	d := &deployers.Deployment{ID: "fn", URL: fn.URL, Details: map[string]string{DetailAuth: "NONE"}, State: &state{}}
	if _, ok := dp.LastInitDuration(ctx, d); ok {
		t.Error("no forced cold start yet: want none")
	}
	if err := dp.ForceColdStart(ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, ok := dp.LastInitDuration(ctx, d); ok {
		t.Error("no request after the cold start: want none")
	}
	resp, err := (&http.Client{Transport: dp.Transport(d, http.DefaultTransport)}).Get(fn.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, ok := dp.LastInitDuration(ctx, d); ok {
		t.Errorf("the first request ran no init: got %s, want none", got)
	}
}
