package httpserve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/computeladder/computeladder/app/adapters/httpserve"
)

func TestAddr(t *testing.T) {
	for _, tc := range []struct {
		port, want string
		wantErr    bool
	}{
		{"", ":8080", false},
		{"9000", ":9000", false},
		{"0", ":0", false},
		{"65535", ":65535", false},
		{"65536", "", true},
		{"-1", "", true},
		{"http", "", true},
		{"80 ", "", true},
	} {
		got, err := httpserve.Addr(tc.port)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("Addr(%q) = %q, %v; want %q, error %v", tc.port, got, err, tc.want, tc.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "set PORT") {
			t.Errorf("Addr(%q) error %q does not say what to do", tc.port, err)
		}
	}
}

// serve starts Serve on a free loopback port and returns its base URL and
// the channel its result arrives on.
func serve(t *testing.T, ctx context.Context, h http.Handler, opts httpserve.Options) (string, <-chan error) {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	bound := make(chan net.Addr, 1)
	opts.OnListen = func(a net.Addr) { bound <- a }
	done := make(chan error, 1)
	go func() { done <- httpserve.Serve(ctx, h, opts) }()
	select {
	case a := <-bound:
		return "http://" + a.String(), done
	case err := <-done:
		t.Fatalf("Serve returned before listening: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not listen within 10 s")
	}
	return "", nil
}

func TestServeDrainsInFlightRequests(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	entered, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "done")
	})
	url, done := serve(t, ctx, h, httpserve.Options{ShutdownTimeout: 10 * time.Second})

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-entered
	cancel() // SIGTERM arrives while a request is in flight

	select {
	case err := <-done:
		t.Fatalf("Serve returned (%v) before the in-flight request finished", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if r := <-got; r.err != nil || r.body != "done" {
		t.Errorf("in-flight request = %q, %v; want it answered", r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil after a clean shutdown", err)
	}
	if _, err := http.Get(url); err == nil {
		t.Error("server still accepts requests after shutdown")
	}
}

func TestServeShutdownDeadline(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	entered := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-stuck
	})
	url, done := serve(t, ctx, h, httpserve.Options{ShutdownTimeout: 50 * time.Millisecond})
	go func() {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Serve = %v, want a shutdown deadline error", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("shutdown took %v with a 50 ms deadline", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not give up on a stuck request")
	}
}

func TestServeListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	err = httpserve.Serve(context.Background(), http.NotFoundHandler(), httpserve.Options{Addr: ln.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("Serve on a busy port = %v, want a listen error", err)
	}
}

func TestLogRequests(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	h := httpserve.LogRequests(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/checkout?x=1", strings.NewReader("{}")))
	var line struct {
		Msg, Method, Path string
		Status            int
		Duration          int64
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", buf.String(), err)
	}
	if line.Msg != "request" || line.Method != "POST" || line.Path != "/checkout" || line.Status != http.StatusTeapot {
		t.Errorf("logged %+v, want request POST /checkout 418", line)
	}
}

func TestOnFirstResponseCalledOnceAfterTheFirstAnswer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var answered atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The hook must not have run before the first answer was made.
		if answered.Load() != 0 && r.URL.Path == "/first" {
			t.Error("OnFirstResponse ran before the first request was served")
		}
		io.WriteString(w, "ok")
	})
	url, _ := serve(t, ctx, h, httpserve.Options{OnFirstResponse: func() { answered.Add(1) }})
	for _, path := range []string{"/first", "/second", "/third"} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if got := answered.Load(); got != 1 {
			t.Fatalf("after %s: OnFirstResponse called %d times, want once", path, got)
		}
	}
}
