package rie

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/computeladder/computeladder/app"
	"github.com/computeladder/computeladder/app/adapters/lambda/functionurl"
	"github.com/computeladder/computeladder/deployers/rie/internal/frontend"
)

// healthzPayload is what the function answers to GET /healthz: the app
// behind the lambda adapter's mapping, run in process.
func healthzPayload(tb testing.TB) []byte {
	tb.Helper()
	h := functionurl.Handler(app.New(app.Config{Platform: app.PlatformLambda, Started: time.Now()}))
	r, err := http.NewRequest(http.MethodGet, "http://127.0.0.1/healthz", nil)
	if err != nil {
		tb.Fatal(err)
	}
	ev, err := encodeForTest(r)
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := h(context.Background(), ev)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := json.Marshal(resp)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// fakeInvokeServer speaks the emulator's invoke API on 127.0.0.1 as the
// emulator does (net/http, the whole answer in one Write): every invoke
// is answered with payload.
func fakeInvokeServer(tb testing.TB, payload []byte) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != rieInvokePath {
			http.NotFound(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(payload)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// fakeGateway is a gateway serving on 127.0.0.1 with one warm environment
// whose emulator is at emulatorURL: what a deployment holds after its
// first request, without Docker.
func fakeGateway(tb testing.TB, emulatorURL string) (*gateway, *env) {
	tb.Helper()
	dp := &Deployer{opts: options{log: slog.New(slog.DiscardHandler), keepAlive: time.Hour, maxConcurrency: 1}}
	g, err := dp.startGateway(envSpec{deployment: "bench"}, 10*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	e := &env{name: "bench-e1", url: emulatorURL, capped: true, started: time.Now(), lastUsed: time.Now()}
	g.mu.Lock()
	g.active, g.envs, g.idle = 1, []*env{e}, []*env{e}
	g.mu.Unlock()
	tb.Cleanup(func() {
		// Not g.close: that would ask an engine for the environment's log.
		g.cancel()
		_ = g.srv.Close()
		g.wg.Wait()
		e.closeConn()
	})
	return g, e
}

// discardWriter is an http.ResponseWriter that keeps nothing but the
// status, reused across requests.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
func (w *discardWriter) reset() {
	clear(w.h)
	w.status, w.n = 0, 0
}

// BenchmarkGatewayOverhead measures the gateway's own work per request
// without Docker, against a fake emulator on loopback that answers as the
// app's /healthz does:
//
//   - serve: the gateway's handler (event encoding, acquire, the invoke on
//     the kept connection, release, response mapping), called directly;
//   - invoke: the invoke on the kept connection alone, so serve − invoke
//     is the gateway's own CPU time and serve's allocs/op its garbage;
//   - http/direct, http/gateway, http/bare-proxy: one client on one kept
//     connection POSTing the event to the fake emulator, GETting /healthz
//     through the gateway, or through a bare proxy that forwards a fixed
//     event on the same kind of kept connection and copies the answer
//     back with no Lambda mapping: gateway − bare-proxy is the mapping's
//     share of the added latency, bare-proxy − direct the extra loopback
//     HTTP hop's. Client, gateway and emulator share this process's
//     scheduler here; BenchmarkWarm, with the client in a process of its
//     own and a real emulator, is the figure of record.
func BenchmarkGatewayOverhead(b *testing.B) {
	payload := healthzPayload(b)
	emu := fakeInvokeServer(b, payload)
	g, e := fakeGateway(b, emu.URL)
	req := httptest.NewRequest(http.MethodGet, "http://"+g.addr+"/healthz", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("User-Agent", "computeladder-load")
	req.Header.Set("Accept-Encoding", "gzip")
	event, err := encodeForTest(req)
	if err != nil {
		b.Fatal(err)
	}
	eventJSON, err := json.Marshal(event)
	if err != nil {
		b.Fatal(err)
	}

	b.Run("serve", func(b *testing.B) {
		w := &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			w.reset()
			g.ServeHTTP(w, req)
			if w.status != http.StatusOK {
				b.Fatalf("status %d", w.status)
			}
		}
	})
	b.Run("invoke", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := g.invoke(context.Background(), e, eventJSON)
			if err != nil || res.status != http.StatusOK {
				b.Fatalf("invoke: %d %v", res.status, err)
			}
		}
	})

	proxy := bareProxy(b, emu.URL, eventJSON)
	client := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1, DisableCompression: true}}
	b.Cleanup(client.CloseIdleConnections)
	do := func(b *testing.B, method, url string, body []byte) {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		r, err := http.NewRequest(method, url, rd)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := client.Do(r)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s %s: %s", method, url, resp.Status)
		}
	}
	for _, arm := range []struct {
		name, method, url string
		body              []byte
	}{
		{"http/direct", http.MethodPost, emu.URL + rieInvokePath, eventJSON},
		{"http/bare-proxy", http.MethodGet, proxy + "/healthz", nil},
		{"http/gateway", http.MethodGet, "http://" + g.addr + "/healthz", nil},
	} {
		b.Run(arm.name, func(b *testing.B) {
			do(b, arm.method, arm.url, arm.body) // the client's connection
			b.ReportAllocs()
			for b.Loop() {
				do(b, arm.method, arm.url, arm.body)
			}
		})
	}
}

// bareProxy serves on 127.0.0.1, on httpServer as the gateway does, and
// answers every request by invoking the emulator at emulatorURL with
// event on one kept connection (the gateway's own exchange) and copying
// the payload back: an HTTP hop with none of the Lambda mapping. It
// returns its base URL.
func bareProxy(tb testing.TB, emulatorURL string, event []byte) string {
	tb.Helper()
	e := &env{name: "proxy", url: emulatorURL}
	g := &gateway{dp: &Deployer{opts: options{log: slog.New(slog.DiscardHandler)}}}
	// Served as the gateway is, so that only the mapping differs.
	_, addr := serveTest(tb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := g.invoke(r.Context(), e, event)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header()["Content-Type"] = []string{"application/json"}
		w.WriteHeader(res.status)
		_, _ = w.Write(res.payload)
	}))
	tb.Cleanup(e.closeConn)
	return "http://" + addr
}

// encodeForTest is the event the gateway sends for r, decoded.
func encodeForTest(r *http.Request) (events.LambdaFunctionURLRequest, error) {
	var ev events.LambdaFunctionURLRequest
	b, err := frontend.EncodeRequest(r)
	if err != nil {
		return ev, err
	}
	return ev, json.Unmarshal(b, &ev)
}
