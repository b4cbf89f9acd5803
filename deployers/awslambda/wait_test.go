package awslambda

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// configSequence answers GetFunctionConfiguration with one configuration
// after another (the last one again once they run out) and counts calls.
type configSequence struct {
	mu      sync.Mutex
	configs []map[string]any
	calls   int
}

func (s *configSequence) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.configs[min(s.calls, len(s.configs)-1)]
	s.calls++
	_ = json.NewEncoder(w).Encode(c)
}

// TestWaitUpdated runs the FunctionUpdated waiter against the states
// Lambda reports: an update in progress is waited out, a function never
// updated (moto reports no LastUpdateStatus) is ready once Active, a failed
// update ends the wait at once with Lambda's reason, and one that never
// ends runs out with the state last seen.
func TestWaitUpdated(t *testing.T) {
	cfg := func(state, update string) map[string]any {
		c := map[string]any{"FunctionName": "fn", "State": state}
		if update != "" {
			c["LastUpdateStatus"] = update
		}
		if update == "Failed" {
			c["LastUpdateStatusReasonCode"], c["LastUpdateStatusReason"] = "InvalidImage", "the zip is broken"
		}
		return c
	}
	for _, tt := range []struct {
		name      string
		configs   []map[string]any
		wantCalls int
		wantErr   []string
	}{
		{"in progress then successful", []map[string]any{cfg("Active", "InProgress"), cfg("Active", "InProgress"), cfg("Active", "Successful")}, 3, nil},
		{"never updated", []map[string]any{cfg("Pending", ""), cfg("Active", "")}, 2, nil},
		{"failed", []map[string]any{cfg("Active", "InProgress"), cfg("Active", "Failed")}, 2, []string{"update failed", "InvalidImage", "the zip is broken"}},
		{"function failed", []map[string]any{cfg("Failed", "")}, 1, []string{"failed to become active"}},
		{"never ends", []map[string]any{cfg("Active", "InProgress")}, -1, []string{"state Active, last update InProgress"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			seq := &configSequence{configs: tt.configs}
			srv := httptest.NewServer(seq)
			t.Cleanup(srv.Close)
			dp, err := New(fakeConfig(srv.URL), WithPollInterval(time.Millisecond), WithActiveTimeout(200*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			out, err := dp.waitUpdated(context.Background(), "fn")
			seq.mu.Lock()
			calls := seq.calls
			seq.mu.Unlock()
			if tt.wantErr == nil {
				if err != nil || out == nil || calls != tt.wantCalls {
					t.Fatalf("waitUpdated = %v, %v after %d calls, want the configuration after %d", out, err, calls, tt.wantCalls)
				}
				return
			}
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("waitUpdated error %v, want it to contain %q", err, w)
				}
			}
			if tt.wantCalls > 0 && calls != tt.wantCalls {
				t.Errorf("%d calls, want %d: a failure ends the wait at once", calls, tt.wantCalls)
			}
		})
	}
}
