package rie

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// serveTest serves h with an httpServer on 127.0.0.1 and returns it and
// its address.
func serveTest(t testing.TB, h http.Handler) (*httpServer, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := newHTTPServer(h, slog.New(slog.DiscardHandler))
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, ln.Addr().String()
}

// rawConn is one client connection that writes requests as given and
// reads answers with net/http's parser.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

// do writes req and reads one answer to a request of method.
func (rc *rawConn) do(method, req string) (*http.Response, string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, req); err != nil {
		rc.t.Fatal(err)
	}
	return rc.read(method)
}

func (rc *rawConn) read(method string) (*http.Response, string) {
	rc.t.Helper()
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: method})
	if err != nil {
		rc.t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		rc.t.Fatal(err)
	}
	return resp, string(b)
}

// closed reports whether the server closed the connection (a reset
// counts: a server closing with a request not read whole resets it).
func (rc *rawConn) closed() bool {
	_ = rc.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := rc.br.ReadByte()
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

func echoHandler(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	switch r.URL.Path {
	case "/none":
		w.WriteHeader(http.StatusNoContent)
		return
	case "/sniff":
		_, _ = w.Write([]byte("<html><body>hi</body></html>"))
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("X-Method", r.Method)
	_, _ = w.Write([]byte(r.Method + " " + r.URL.Path + " " + string(b)))
}

func TestHTTPServerKeepsConnections(t *testing.T) {
	_, addr := serveTest(t, http.HandlerFunc(echoHandler))
	rc := dialRaw(t, addr)

	resp, body := rc.do("GET", "GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 200 || body != "GET /a " || resp.ContentLength != int64(len(body)) || resp.Header.Get("Date") == "" || resp.Close {
		t.Fatalf("GET: %d %q length %d date %q close %v", resp.StatusCode, body, resp.ContentLength, resp.Header.Get("Date"), resp.Close)
	}
	// A chunked body on the same connection.
	resp, body = rc.do("POST", "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
	if resp.StatusCode != 200 || body != "POST /b abcde" {
		t.Fatalf("POST: %d %q", resp.StatusCode, body)
	}
	// HEAD: the length of the answer, no body.
	resp, body = rc.do("HEAD", "HEAD /c HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 200 || body != "" || resp.Header.Get("Content-Length") != "8" || resp.Header.Get("X-Method") != "HEAD" {
		t.Fatalf("HEAD: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	// 204: neither a body nor a length.
	resp, body = rc.do("GET", "GET /none HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 204 || body != "" || resp.Header.Get("Content-Length") != "" {
		t.Fatalf("204: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	// No Content-Type set: sniffed, as net/http's server does.
	resp, _ = rc.do("GET", "GET /sniff HTTP/1.1\r\nHost: x\r\n\r\n")
	if got := resp.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Fatalf("sniffed Content-Type %q", got)
	}
	// Two requests in one write (pipelined) are answered in order.
	if _, err := io.WriteString(rc.c, "GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p2 HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if _, b1 := rc.read("GET"); b1 != "GET /p1 " {
		t.Fatalf("pipelined 1: %q", b1)
	}
	if _, b2 := rc.read("GET"); b2 != "GET /p2 " {
		t.Fatalf("pipelined 2: %q", b2)
	}
	// Connection: close is answered, then the connection closes.
	resp, _ = rc.do("GET", "GET /d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 200 || !resp.Close || !rc.closed() {
		t.Fatalf("Connection: close: %d close %v", resp.StatusCode, resp.Close)
	}
	// HTTP/1.0 without keep-alive closes too.
	rc = dialRaw(t, addr)
	resp, _ = rc.do("GET", "GET /e HTTP/1.0\r\n\r\n")
	if resp.StatusCode != 200 || !rc.closed() {
		t.Fatalf("HTTP/1.0: %d", resp.StatusCode)
	}
}

func TestHTTPServerRefusesBadRequests(t *testing.T) {
	_, addr := serveTest(t, http.HandlerFunc(echoHandler))
	for _, tc := range []struct {
		name, req string
		want      int
	}{
		{"garbage", "NOT HTTP\r\n\r\n", http.StatusBadRequest},
		{"no host", "GET / HTTP/1.1\r\n\r\n", http.StatusBadRequest},
		{"huge header", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2<<20) + "\r\n\r\n", http.StatusRequestHeaderFieldsTooLarge},
		{"unknown expectation", "POST / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\nContent-Length: 1\r\n\r\na", http.StatusExpectationFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, addr)
			resp, _ := rc.do("GET", tc.req)
			if resp.StatusCode != tc.want || !rc.closed() {
				t.Fatalf("%d, want %d and the connection closed", resp.StatusCode, tc.want)
			}
		})
	}
}

func TestHTTPServerExpectContinue(t *testing.T) {
	_, addr := serveTest(t, http.HandlerFunc(echoHandler))
	rc := dialRaw(t, addr)
	if _, err := io.WriteString(rc.c, "POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	line, err := rc.br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("interim answer %q %v", line, err)
	}
	if _, err := rc.br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	resp, body := rc.do("POST", "abc")
	if resp.StatusCode != 200 || body != "POST /x abc" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
}

func TestHTTPServerUnreadBody(t *testing.T) {
	_, addr := serveTest(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok")) // the body is left unread
	}))
	rc := dialRaw(t, addr)
	// A small one is read away: the connection serves the next request.
	resp, _ := rc.do("POST", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
	if resp.Close {
		t.Fatal("closed after a small unread body")
	}
	resp, body := rc.do("GET", "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("next request: %d %q", resp.StatusCode, body)
	}
	// A large one is not: the answer says the connection closes.
	big := strings.Repeat("a", 2*maxDrain)
	go func() {
		_, _ = io.WriteString(rc.c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(len(big))+"\r\n\r\n"+big)
	}()
	resp, _ = rc.read("POST")
	if !resp.Close {
		t.Fatal("kept the connection after a large unread body")
	}
}

func TestHTTPServerPanicClosesConnection(t *testing.T) {
	_, addr := serveTest(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		_, _ = w.Write([]byte("ok"))
	}))
	rc := dialRaw(t, addr)
	if _, err := io.WriteString(rc.c, "GET /panic HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if !rc.closed() {
		t.Fatal("a panic left the connection open")
	}
	if resp, body := dialRaw(t, addr).do("GET", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); body != "ok" {
		t.Fatalf("after a panic: %d %q", resp.StatusCode, body)
	}
}

func TestHTTPServerShutdown(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	s, addr := serveTest(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(entered)
			<-release
		}
		_, _ = w.Write([]byte("ok"))
	}))
	idle := dialRaw(t, addr)
	idle.do("GET", "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	busy := dialRaw(t, addr)
	if _, err := io.WriteString(busy.c, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	<-entered

	// While a request is in flight Shutdown waits, and closes the idle
	// connection at once.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown with a request in flight: %v", err)
	}
	if !idle.closed() {
		t.Fatal("Shutdown left an idle connection open")
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Fatal("still accepting after Shutdown")
	}
	// The request in flight is answered, with Connection: close.
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	close(release)
	resp, body := busy.read("GET")
	if body != "ok" || !resp.Close || !busy.closed() {
		t.Fatalf("in flight at shutdown: %q close %v", body, resp.Close)
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// The gateway serves a request on its connection's goroutine alone: no
// goroutine watches the connection while the function runs (net/http's
// server starts one per request, its background read, and wakes it again
// after the answer: each of those wakes another OS thread).
func TestGatewayServesWithoutBackgroundRead(t *testing.T) {
	payload := healthzPayload(t)
	var stacks string
	emu := fakeInvokeServerFunc(t, func() []byte {
		// Before the emulator reads its own request's body: its own
		// server has no background read then.
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		return payload
	})
	g, _ := fakeGateway(t, emu.URL)
	resp, err := http.Get("http://" + g.addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// The goroutines serving the gateway's request, and any background
	// read one of them started.
	var serving []string
	for _, gr := range strings.Split(stacks, "\n\n") {
		if strings.Contains(gr, "rie.(*gateway).ServeHTTP") {
			id, _, _ := strings.Cut(strings.TrimPrefix(gr, "goroutine "), " ")
			serving = append(serving, id)
		}
	}
	if len(serving) == 0 {
		t.Fatalf("no goroutine serving the gateway's request during the invoke:\n%s", stacks)
	}
	for _, gr := range strings.Split(stacks, "\n\n") {
		for _, id := range serving {
			if strings.Contains(gr, "backgroundRead") && strings.Contains(gr, "in goroutine "+id+"\n") {
				t.Fatalf("a goroutine watched the gateway's connection during the invoke:\n%s", gr)
			}
		}
	}
}

// fakeInvokeServerFunc is fakeInvokeServer answering each invoke with
// what answer returns, called before the request's body is read.
func fakeInvokeServerFunc(tb testing.TB, answer func() []byte) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		payload := answer()
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write(payload)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// A request body over Lambda's limit is answered 413, and the client
// sending it reads that answer rather than a reset.
func TestGatewayRefusesTooLargeBody(t *testing.T) {
	g, _ := fakeGateway(t, fakeInvokeServer(t, healthzPayload(t)).URL)
	body := strings.NewReader(strings.Repeat("a", 8<<20))
	resp, err := http.Post("http://"+g.addr+"/upload", "application/octet-stream", body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "6291456") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
}
