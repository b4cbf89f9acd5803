package app

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestWhoamiColdAndCount(t *testing.T) {
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := newServer(Config{Platform: PlatformLambda, InstanceID: "i-1", Started: started})
	s.now = func() time.Time { return started.Add(1500 * time.Millisecond) }
	h := s.handler()

	// Probes come first on every platform; they must not use up "cold".
	for range 3 {
		if status, _, _ := serve(t, h, "GET", "/healthz", "", nil); status != 200 {
			t.Fatalf("healthz %d", status)
		}
	}
	for i, want := range []struct {
		cold bool
		n    int64
	}{{true, 1}, {false, 2}} {
		status, _, body := serve(t, h, "GET", "/whoami", "", nil)
		var got Whoami
		if err := json.Unmarshal(body, &got); status != 200 || err != nil {
			t.Fatalf("whoami = %d %v %s", status, err, body)
		}
		if got.Cold != want.cold || got.RequestsServed != want.n {
			t.Errorf("call %d: cold=%v served=%d, want %v %d", i, got.Cold, got.RequestsServed, want.cold, want.n)
		}
		if got.Platform != "lambda" || got.InstanceID != "i-1" || got.StartedAt != "2026-01-02T03:04:05Z" || got.UptimeMS != 1500 {
			t.Errorf("identity = %+v", got)
		}
	}
	// Everything else counts, errors included.
	serve(t, h, "GET", "/nope", "", nil)
	serve(t, h, "POST", "/healthz", "", nil)
	_, _, body := serve(t, h, "GET", "/whoami", "", nil)
	var got Whoami
	if err := json.Unmarshal(body, &got); err != nil || got.RequestsServed != 5 {
		t.Errorf("after two errors: %s, want requests_served 5", body)
	}
}

func TestWhoamiDefaults(t *testing.T) {
	before := time.Now()
	a, b := New(Config{}), New(Config{})
	var wa, wb Whoami
	for _, x := range []struct {
		h interface {
			ServeHTTP(w http.ResponseWriter, r *http.Request)
		}
		out *Whoami
	}{{a, &wa}, {b, &wb}} {
		_, _, body := serve(t, x.h, "GET", "/whoami", "", nil)
		if err := json.Unmarshal(body, x.out); err != nil {
			t.Fatal(err)
		}
	}
	if wa.InstanceID == "" || wa.InstanceID == wb.InstanceID {
		t.Errorf("instance ids %q and %q: want random and distinct", wa.InstanceID, wb.InstanceID)
	}
	started, err := time.Parse(time.RFC3339, wa.StartedAt)
	if err != nil || started.Before(before.Add(-time.Second)) || wa.Platform != "unknown" || !wa.Cold {
		t.Errorf("defaults = %+v (%v)", wa, err)
	}
}
