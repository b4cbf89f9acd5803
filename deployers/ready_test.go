package deployers

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestWaitReady(t *testing.T) {
	var polls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if polls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := WaitReady(ctx, srv.URL, time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	if n := polls.Load(); n != 3 {
		t.Errorf("%d polls, want 3 (two 503s, then 200)", n)
	}
}

func TestWaitReadyGivesUp(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := WaitReady(ctx, srv.URL, time.Millisecond, nil)
	var se *StatusError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &se) || se.Code != http.StatusServiceUnavailable {
		t.Fatalf("error = %v, want the deadline and the last probe's 503", err)
	}

	dead := errors.New("exited with code 1")
	if _, err := WaitReady(context.Background(), srv.URL, time.Millisecond, func() error { return dead }); !errors.Is(err, dead) {
		t.Fatalf("error = %v, want alive's error at once", err)
	}
}

func TestRandomHex(t *testing.T) {
	a, b := RandomHex(4), RandomHex(4)
	if len(a) != 8 || a == b {
		t.Errorf("RandomHex(4) = %q, %q: want 8 hex digits, distinct", a, b)
	}
}

func TestInKindOrder(t *testing.T) {
	rs := []Resource{{Kind: "image", ID: "i1"}, {Kind: "other", ID: "o"}, {Kind: "container", ID: "c1"}, {Kind: "image", ID: "i2"}, {Kind: "container", ID: "c2"}}
	var got []string
	for _, r := range InKindOrder(rs, "container", "image") {
		got = append(got, r.ID)
	}
	if want := []string{"c1", "c2", "i1", "i2", "o"}; !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	if rs[0].ID != "i1" {
		t.Error("InKindOrder sorted its input in place")
	}
}
