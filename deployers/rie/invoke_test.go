package rie

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers/rie/internal/frontend"
)

// fakeEmulator serves invokes on 127.0.0.1: answer decides, per
// connection and request number (from 1), whether to answer (with the
// request's body) or to close the connection having read the request.
type fakeEmulator struct {
	ln       net.Listener
	conns    atomic.Int64
	mu       sync.Mutex
	received []string
}

func newFakeEmulator(t *testing.T, answer func(nth int) bool) *fakeEmulator {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeEmulator{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.conns.Add(1)
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for nth := 1; ; nth++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					body, _ := io.ReadAll(req.Body)
					f.mu.Lock()
					f.received = append(f.received, req.Method+" "+req.URL.Path+" "+string(body))
					f.mu.Unlock()
					if string(body) == `"sleep"` {
						time.Sleep(time.Second)
					}
					if !answer(nth) {
						return
					}
					resp := &http.Response{StatusCode: 200, ProtoMajor: 1, ProtoMinor: 1,
						ContentLength: int64(len(body)), Body: io.NopCloser(strings.NewReader(string(body)))}
					if resp.Write(c) != nil {
						return
					}
				}
			}()
		}
	}()
	return f
}

func (f *fakeEmulator) env() *env {
	return &env{name: "e1", url: "http://" + f.ln.Addr().String()}
}

func (f *fakeEmulator) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.received...)
}

func testGateway() *gateway {
	return &gateway{dp: &Deployer{opts: options{log: slog.New(slog.DiscardHandler)}}}
}

func TestInvokeKeepsOneConnectionPerEnvironment(t *testing.T) {
	f := newFakeEmulator(t, func(int) bool { return true })
	g, e := testGateway(), f.env()
	t.Cleanup(e.closeConn)
	for i, p := range []string{`{"n":1}`, `{"n":2}`, `{"n":3}`} {
		res, err := g.invoke(t.Context(), e, []byte(p))
		if err != nil || res.status != 200 || string(res.payload) != p || res.latency <= 0 {
			t.Fatalf("invoke %d: %+v %v", i, res, err)
		}
	}
	if n := f.conns.Load(); n != 1 {
		t.Errorf("%d connections for three invokes in a row, want 1 kept", n)
	}
	if got := f.seen(); len(got) != 3 || got[0] != "POST "+rieInvokePath+` {"n":1}` {
		t.Errorf("the emulator received %q", got)
	}
}

// An invoke written whole is never sent again, even when the kept
// connection then closes without an answer: the function may have run.
func TestInvokeIsNeverResentOnceWritten(t *testing.T) {
	f := newFakeEmulator(t, func(nth int) bool { return nth == 1 })
	g, e := testGateway(), f.env()
	t.Cleanup(e.closeConn)
	if _, err := g.invoke(t.Context(), e, []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := g.invoke(t.Context(), e, []byte(`{"n":2}`)); err == nil {
		t.Fatal("an invoke closed unanswered succeeded")
	}
	if got := f.seen(); len(got) != 2 {
		t.Errorf("the emulator received %d invokes, want 2 (the second not resent): %q", len(got), got)
	}
	if e.conn.Load() != nil {
		t.Error("the broken connection was kept")
	}
	// The next invoke dials again.
	if res, err := g.invoke(t.Context(), e, []byte(`{"n":3}`)); err != nil || string(res.payload) != `{"n":3}` {
		t.Fatalf("invoke after a broken connection: %+v %v", res, err)
	}
}

func TestInvokeEndsWithItsContext(t *testing.T) {
	f := newFakeEmulator(t, func(int) bool { return true })
	g, e := testGateway(), f.env()
	t.Cleanup(e.closeConn)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := g.invoke(ctx, e, []byte(`"sleep"`))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want the deadline (the gateway's timeout path keys on it)", err)
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("the invoke took %s after a 50 ms deadline", took)
	}
	if e.conn.Load() != nil {
		t.Error("a connection cut mid-invoke was kept: its answer would be taken for the next one's")
	}
}

func TestEmulatorAddr(t *testing.T) {
	dp := &Deployer{}
	e := &env{url: "http://127.0.0.1:32768", bridge: "172.17.0.2:8080"}
	for state, want := range map[int32]string{
		bridgeUnknown: "127.0.0.1:32768", bridgeProbing: "127.0.0.1:32768",
		bridgeUnreachable: "127.0.0.1:32768", bridgeReachable: "172.17.0.2:8080",
	} {
		dp.bridge.Store(state)
		if got := dp.emulatorAddr(e); got != want {
			t.Errorf("bridge state %d: %s, want %s", state, got, want)
		}
	}
	dp.bridge.Store(bridgeReachable)
	if got := dp.emulatorAddr(&env{url: "http://127.0.0.1:1"}); got != "127.0.0.1:1" {
		t.Errorf("no bridge address: %s, want the published port", got)
	}
}

func TestProbeBridge(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dp := &Deployer{opts: options{log: slog.New(slog.DiscardHandler)}}
	dp.probeBridge(ln.Addr().String())
	deadline := time.Now().Add(5 * time.Second)
	for dp.bridge.Load() != bridgeReachable {
		if time.Now().After(deadline) {
			t.Fatalf("bridge state %d, want reachable", dp.bridge.Load())
		}
		time.Sleep(time.Millisecond)
	}
	// Nothing listens on port 1: a deployer that had not probed yet finds
	// it unreachable.
	dp2 := &Deployer{opts: options{log: slog.New(slog.DiscardHandler)}}
	dp2.probeBridge("127.0.0.1:1")
	for dp2.bridge.Load() != bridgeUnreachable {
		if time.Now().After(deadline) {
			t.Fatalf("bridge state %d, want unreachable", dp2.bridge.Load())
		}
		time.Sleep(time.Millisecond)
	}
}

// An answer longer than a payload is read to one byte past the limit (the
// gateway answers ResponseSizeTooLarge) and its connection is not kept:
// the rest was never read.
func TestInvokeCutsAnOversizedAnswer(t *testing.T) {
	f := newFakeEmulator(t, func(int) bool { return true })
	g, e := testGateway(), f.env()
	t.Cleanup(e.closeConn)
	big := make([]byte, frontend.MaxPayload+10)
	for i := range big {
		big[i] = 'a'
	}
	res, err := g.invoke(t.Context(), e, big)
	if err != nil || res.status != 200 || len(res.payload) != frontend.MaxPayload+1 {
		t.Fatalf("invoke: %d, %d bytes, %v; want 200 and %d bytes", res.status, len(res.payload), err, frontend.MaxPayload+1)
	}
	if e.conn.Load() != nil {
		t.Error("a connection with an unread answer was kept")
	}
}
