package load

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// nopConn stands in for a connection when only the reader matters.
type nopConn struct{ net.Conn }

func (nopConn) Close() error { return nil }

// viaWire reads one response (skipping interim ones) and its body as the
// wire transport does.
func viaWire(br *bufio.Reader, method string) (code int, body []byte, closing bool, err error) {
	h, err := readHead(br, method)
	if err != nil {
		return 0, nil, false, err
	}
	body, err = io.ReadAll(newWire(time.Second).body(&wireConn{c: nopConn{}, br: br}, h))
	return h.code, body, h.close, err
}

// viaNetHTTP reads the same with net/http's parser, skipping interim
// responses as its Transport does.
func viaNetHTTP(br *bufio.Reader, method string) (code int, body []byte, closing bool, err error) {
	req, _ := http.NewRequest(method, "http://example.test/", nil)
	for {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			return 0, nil, false, err
		}
		if resp.ProtoMajor != 1 || resp.StatusCode < 100 {
			// net/http reads HTTP/2.0 and codes below 100 in a status
			// line; wire promises neither.
			return 0, nil, false, errors.New("not an HTTP/1.x status line")
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			return 0, nil, false, errors.New("101")
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 {
			continue
		}
		body, err = io.ReadAll(resp.Body)
		return resp.StatusCode, body, resp.Close, err
	}
}

// next is a second response after the one under test: both parsers must
// find it where the first one's framing says the first one ends.
const next = "HTTP/1.1 202 Accepted\r\nContent-Length: 4\r\n\r\nnext"

// compareParsers checks the wire parser against net/http's on raw: where
// net/http reads the response (and the one after it) the wire parser must
// read the same status, body and connection fate.
// It reports whether net/http read it (and so the two were compared).
func compareParsers(t *testing.T, raw []byte, method string) bool {
	t.Helper()
	in := append(append([]byte(nil), raw...), next...)
	stdBR := bufio.NewReader(bytes.NewReader(in))
	sCode, sBody, sClose, sErr := viaNetHTTP(stdBR, method)
	if sErr != nil {
		return false // net/http refuses it
	}
	var sNext []byte
	if !sClose {
		_, sNext, _, sErr = viaNetHTTP(stdBR, http.MethodGet)
		if sErr != nil {
			return false
		}
	}
	wireBR := bufio.NewReaderSize(bytes.NewReader(in), 64) // small: long lines take the slow path
	wCode, wBody, wClose, wErr := viaWire(wireBR, method)
	if wErr != nil {
		t.Fatalf("net/http reads %q (%d, body %q) but wire fails: %v", raw, sCode, sBody, wErr)
	}
	if wCode != sCode || !bytes.Equal(wBody, sBody) || wClose != sClose {
		t.Fatalf("%q: wire read %d %q close=%v, net/http %d %q close=%v", raw, wCode, wBody, wClose, sCode, sBody, sClose)
	}
	if !sClose {
		_, wNext, _, err := viaWire(wireBR, http.MethodGet)
		if err != nil || !bytes.Equal(wNext, sNext) {
			t.Fatalf("%q: after it wire read %q (%v), net/http %q: framing differs", raw, wNext, err, sNext)
		}
	}
	return true
}

var wireSeeds = []string{
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\":\"ok\"}\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
	"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n",
	"HTTP/1.1 304 Not Modified\r\n\r\n",
	"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno",
	"HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 1\r\n\r\nx",
	"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc",
	"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc",
	"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\nConnection: Keep-Alive\r\n\r\nabc",
	"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
	"HTTP/1.1 200 OK\nContent-Length: 2\n\nhi",
	"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1   404   Not Found\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nX-Long: " + strings.Repeat("v", 300) + "\r\nContent-Length: 2\r\n\r\nhi",
	"HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\nhi",
	"HTTP/1.1 200 OK\r\n\r\nuntil the connection closes",
	"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nframes nothing",
	"HTTP/1.0 200 OK\r\nConnection: close,\r\n keep-alive\r\nContent-Length: 2\r\n\r\nhi",
	"HTTP/1.0 200 OK\r\nConnection:\r\n keep-alive\r\nContent-Length: 2\r\n\r\nhi",
}

// headSeeds answer HEAD: framing headers, no body.
var headSeeds = []string{
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	"HTTP/1.1 200 OK\r\n\r\n",
	"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n",
}

func TestWireParsesLikeNetHTTP(t *testing.T) {
	run := func(method string, seeds []string) {
		for _, raw := range seeds {
			t.Run(fmt.Sprintf("%s %.40q", method, raw), func(t *testing.T) {
				if !compareParsers(t, []byte(raw), method) {
					t.Fatal("net/http does not read this seed: it compares nothing")
				}
			})
		}
	}
	run(http.MethodGet, wireSeeds)
	run(http.MethodHead, headSeeds)
}

// FuzzWireParsesLikeNetHTTP: go test -run '^$' -fuzz FuzzWire ./harness/load
func FuzzWireParsesLikeNetHTTP(f *testing.F) {
	for _, raw := range wireSeeds {
		f.Add([]byte(raw), false)
	}
	for _, raw := range headSeeds {
		f.Add([]byte(raw), true)
	}
	f.Fuzz(func(t *testing.T, raw []byte, head bool) {
		m := http.MethodGet
		if head {
			m = http.MethodHead
		}
		compareParsers(t, raw, m)
	})
}

func TestWireRejectsBadResponses(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"not http", "SSH-2.0-OpenSSH\r\n\r\n", "malformed status line"},
		{"http/2 status", "HTTP/2 200 OK\r\n\r\n", "malformed status line"},
		{"short code", "HTTP/1.1 20 OK\r\n\r\n", "malformed status line"},
		{"letters in code", "HTTP/1.1 2x0 OK\r\n\r\n", "malformed status line"},
		{"code below 100", "HTTP/1.1 099 Odd\r\n\r\n", "malformed status line"},
		{"no colon", "HTTP/1.1 200 OK\r\nbroken\r\n\r\n", "malformed header line"},
		{"negative length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad Content-Length"},
		{"empty length", "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", "bad Content-Length"},
		{"conflicting lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi", "conflicting Content-Length"},
		{"folded length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n 3\r\n\r\nhi", `bad Content-Length "2 3"`},
		{"empty name", "HTTP/1.1 200 OK\r\n: v\r\n\r\n", "malformed header line"},
		{"gzip coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported Transfer-Encoding"},
		{"switching protocols", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "switched protocols"},
		{"cut in headers", "HTTP/1.1 200 OK\r\nContent-Len", "unexpected EOF"},
		{"cut in body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "unexpected EOF"},
		{"bad chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "invalid byte in chunk length"},
		{"huge headers", "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", maxHeaderBytes) + "\r\n\r\n", "headers too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := viaWire(bufio.NewReaderSize(strings.NewReader(tt.raw), 64), http.MethodGet)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// server is a scripted HTTP/1.1 server on loopback: it hands each request
// (as net/http parsed it) to answer, which writes the raw response, and
// counts connections.
type server struct {
	ln    net.Listener
	conns atomic.Int64
	reqs  chan *http.Request
}

func newServer(t *testing.T, answer func(c net.Conn, req *http.Request) (keep bool)) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{ln: ln, reqs: make(chan *http.Request, 1000)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					body, _ := io.ReadAll(req.Body)
					req.Body = io.NopCloser(bytes.NewReader(body))
					s.reqs <- req
					if !answer(c, req) {
						return
					}
				}
			}()
		}
	}()
	return s
}

func (s *server) url(path string) string { return "http://" + s.ln.Addr().String() + path }

// scripted starts a server that answers every request with raw, closing
// the connection after it unless keep, and a wire transport to it.
func scripted(t *testing.T, raw string, keep bool) (*server, *wire) {
	t.Helper()
	s := newServer(t, func(c net.Conn, _ *http.Request) bool {
		io.WriteString(c, raw)
		return keep
	})
	w := newWire(5 * time.Second)
	t.Cleanup(w.Close)
	return s, w
}

func do(t *testing.T, w *wire, req *http.Request) (int, string, error) {
	t.Helper()
	resp, err := w.RoundTrip(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func TestWireSendsTheRequestAndKeepsTheConnection(t *testing.T) {
	s, w := scripted(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true)
	body := `{"items":[]}`
	for i := range 50 {
		req, _ := http.NewRequest(http.MethodPost, s.url("/checkout?x=1"), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Vegeta-Seq", fmt.Sprint(i))
		code, got, err := do(t, w, req)
		if err != nil || code != 200 || got != "ok" {
			t.Fatalf("request %d: %d %q %v", i, code, got, err)
		}
		seen := <-s.reqs
		gotBody, _ := io.ReadAll(seen.Body)
		if seen.Method != http.MethodPost || seen.RequestURI != "/checkout?x=1" || seen.Host != s.ln.Addr().String() ||
			seen.Header.Get("Content-Type") != "application/json" || seen.Header.Get("X-Vegeta-Seq") != fmt.Sprint(i) ||
			seen.ContentLength != int64(len(body)) || string(gotBody) != body {
			t.Fatalf("request %d arrived as %s %s host %s headers %v length %d body %q",
				i, seen.Method, seen.RequestURI, seen.Host, seen.Header, seen.ContentLength, gotBody)
		}
	}
	if n := s.conns.Load(); n != 1 {
		t.Errorf("%d connections for 50 sequential requests, want 1 kept alive", n)
	}
}

func TestWireRetriesOnceOnAConnectionTheServerClosed(t *testing.T) {
	// The server answers once per connection, then closes it without
	// saying so: the kept connection is stale when the next request comes.
	s, w := scripted(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false)
	for i := range 3 {
		req, _ := http.NewRequest(http.MethodGet, s.url("/"), nil)
		if code, _, err := do(t, w, req); err != nil || code != 200 {
			t.Fatalf("request %d: %d %v", i, code, err)
		}
		time.Sleep(20 * time.Millisecond) // let the close arrive
	}
	if n := s.conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3 (one per request)", n)
	}
}

// A server that reads a request whole on a kept connection and closes it
// without answering may have acted on it: a POST is then not sent again
// (it was, before: the request reached the app twice), a GET is.
func TestWireResendsOnlyReplayableRequestsWrittenWhole(t *testing.T) {
	for _, tc := range []struct {
		method string
		header http.Header
		resent bool
	}{
		{http.MethodPost, nil, false},
		{http.MethodPut, nil, false},
		{http.MethodPost, http.Header{"Idempotency-Key": {"k1"}}, true},
		{http.MethodGet, nil, true},
	} {
		t.Run(tc.method+fmt.Sprint(len(tc.header)), func(t *testing.T) {
			// Each connection answers its first request and closes on
			// its second, having read it whole.
			var mu sync.Mutex
			served := map[net.Conn]int{}
			s := newServer(t, func(c net.Conn, req *http.Request) bool {
				mu.Lock()
				served[c]++
				n := served[c]
				mu.Unlock()
				if n > 1 {
					return false
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				return true
			})
			w := newWire(5 * time.Second)
			t.Cleanup(w.Close)
			var body []byte
			if tc.method != http.MethodGet {
				body = []byte(`{"n":1}`)
			}
			send := func(seq string) (int, error) {
				req, _ := http.NewRequest(tc.method, s.url("/"), bytes.NewReader(body))
				req.Header = tc.header.Clone()
				if req.Header == nil {
					req.Header = http.Header{}
				}
				req.Header.Set("X-Seq", seq)
				code, _, err := do(t, w, req)
				return code, err
			}
			if code, err := send("1"); err != nil || code != 200 {
				t.Fatalf("first request: %d %v", code, err)
			}
			code, err := send("2")
			seen := 0
			for len(s.reqs) > 0 {
				if r := <-s.reqs; r.Header.Get("X-Seq") == "2" {
					seen++
				}
			}
			if tc.resent {
				// Sent once more, on a new connection, which answers it.
				if err != nil || code != 200 || seen != 2 {
					t.Errorf("got %d %v, the server saw it %d times: want 200, seen twice (resent once)", code, err, seen)
				}
				return
			}
			if err == nil {
				t.Errorf("got %d, want an error: the request was written whole and not answered", code)
			}
			if seen != 1 {
				t.Errorf("the server saw the %s %d times, want once: it must not be resent", tc.method, seen)
			}
			if n := s.conns.Load(); n != 1 {
				t.Errorf("%d connections, want 1: no new connection for a resend", n)
			}
		})
	}
}

// A connection idle for longer than maxIdle is not used: the server may
// have closed it, and a POST written on it would be lost.
func TestWireDropsLongIdleConnections(t *testing.T) {
	s, w := scripted(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true)
	post := func() {
		req, _ := http.NewRequest(http.MethodPost, s.url("/"), strings.NewReader("x"))
		if code, _, err := do(t, w, req); err != nil || code != 200 {
			t.Fatalf("%d %v", code, err)
		}
	}
	post()
	post()
	if n := s.conns.Load(); n != 1 {
		t.Fatalf("%d connections for two requests in a row, want 1", n)
	}
	w.mu.Lock()
	w.idle[0].idleSince = time.Now().Add(-maxIdle - time.Millisecond)
	w.mu.Unlock()
	post()
	if n := s.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2: a connection idle past maxIdle was reused", n)
	}
}

func TestWireDoesNotRetryAnAnsweredRequest(t *testing.T) {
	// Half an answer, then a close: the app saw the request, so sending it
	// again could do the work twice.
	s, w := scripted(t, "HTTP/1.1 200 OK\r\nContent-Len", false)
	req, _ := http.NewRequest(http.MethodGet, s.url("/"), nil)
	if _, _, err := do(t, w, req); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error = %v, want unexpected EOF", err)
	}
	if n := s.conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1: no retry", n)
	}
}

func TestWireTimesOut(t *testing.T) {
	s := newServer(t, func(net.Conn, *http.Request) bool {
		time.Sleep(2 * time.Second)
		return false
	})
	w := newWire(200 * time.Millisecond)
	defer w.Close()
	req, _ := http.NewRequest(http.MethodGet, s.url("/"), nil)
	start := time.Now()
	_, _, err := do(t, w, req)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("error = %v, want a timeout", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v, want about the 200 ms timeout", d)
	}
}

func TestWireClosesAConnectionWhoseBodyWasNotRead(t *testing.T) {
	s, w := scripted(t, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", true)
	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, s.url("/"), nil)
		resp, err := w.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close() // unread: the connection cannot be reused
	}
	if n := s.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2: a half-read connection must not be reused", n)
	}
}

func TestWireRejectsBadRequests(t *testing.T) {
	// Headers are checked once per run, by Run.
	w := newWire(time.Second)
	defer w.Close()
	tests := []struct {
		name string
		req  func() *http.Request
		want string
	}{
		{"https", func() *http.Request { r, _ := http.NewRequest("GET", "https://127.0.0.1:1/", nil); return r }, "plain http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := w.RoundTrip(tt.req()); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one saying %q", err, tt.want)
			}
		})
	}
	for name, h := range map[string]http.Header{
		"invalid value for header X-A": {"X-A": {"a\r\nX-Evil: 1"}},
		"invalid header name":          {"Bad Name": {"v"}},
	} {
		_, err := Run(t.Context(), Target{URL: "http://127.0.0.1:1/", Header: h}, Options{Rate: 1, Duration: time.Second})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Run with header %v: error = %v, want one saying %q", h, err, name)
		}
	}
	// Nothing listens on port 1: the dial error comes back as is.
	r, _ := http.NewRequest("GET", "http://127.0.0.1:1/", nil)
	if _, err := w.RoundTrip(r); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("error = %v, want connection refused", err)
	}
}

// Run uses the wire transport for a plain-http target: the server sees
// exactly Rate×Duration requests on at most MaxWorkers connections.
func TestRunUsesKeptConnections(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "computeladder-load" {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	res, err := Run(t.Context(), Target{URL: srv.URL}, Options{Rate: 500, Duration: time.Second, MaxWorkers: 8})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Requests < 495 || res.Summary.Errors != 0 {
		t.Fatalf("requests %d errors %d, want ~500 and none", res.Summary.Requests, res.Summary.Errors)
	}
	if n := conns.Load(); n > 8 {
		t.Errorf("%d connections for 8 workers: connections are not kept", n)
	}
}

// An IPv6 literal keeps its brackets in the Host header and loses them in
// the address dialled.
func TestWireDialsIPv6Literals(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Host)
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	w := newWire(5 * time.Second)
	defer w.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	code, body, err := do(t, w, req)
	if err != nil || code != 200 || body != ln.Addr().String() {
		t.Fatalf("got %d %q %v, want 200 and Host %s", code, body, err, ln.Addr())
	}
}
