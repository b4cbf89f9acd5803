package rie

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// maxHeaderBytes bounds a request's line and headers, as net/http's
	// server's default does (1 MB, and its 4 KB of slack).
	maxHeaderBytes = 1<<20 + 4096
	// headerTimeout bounds the wait for the rest of a request's headers
	// once its first bytes are in (net/http's ReadHeaderTimeout).
	headerTimeout = 10 * time.Second
	// maxDrain is how much of a request body the handler left unread is
	// read away so that the connection serves the next request; past it
	// the connection closes (net/http's server does the same).
	maxDrain = 256 << 10
	// rstAvoidanceDelay is how long a connection closed with request
	// bytes unread stays half open after the answer, so that the client
	// reads the answer before the reset the close sends (net/http's
	// server waits as long).
	rstAvoidanceDelay = 500 * time.Millisecond
)

// httpServer serves the gateway's handler over HTTP/1.1 with one goroutine
// per connection and nothing else per request: it reads a request, runs the
// handler on that goroutine, and writes the buffered answer in one write.
//
// It stands in for net/http's server, which on every request starts a
// goroutine to watch the connection (its background read), wakes it again
// after the answer, and arms then clears a read deadline (a timer): each
// of these wakes another OS thread when one is idle, tens of µs of CPU on
// a small VM. Measured on the 2-vCPU development VM (2026-11-30, GET
// /healthz at 50 req/s through the gateway against a fake emulator, perf
// stat on the gateway's process): 8.5–9.1 futex calls and 15–18 context
// switches per request with net/http's server, 4.2–4.5 and 10–12 with
// this one, as many futex calls as a bare TCP relay; BenchmarkWarm has
// the latency and CPU time against the real emulator. It parses with
// net/http (http.ReadRequest, http.Header.Write) and keeps the limits the
// gateway relied on: 1 MB of headers (431), a 10 s header timeout, which
// arms a timer only when a request's headers are not in its first read,
// shutdown that lets requests in flight finish.
type httpServer struct {
	h   http.Handler
	log *slog.Logger

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool // open connections: true while serving a request
	closed bool
}

func newHTTPServer(h http.Handler, log *slog.Logger) *httpServer {
	return &httpServer{h: h, log: log, conns: map[net.Conn]bool{}}
}

// Serve accepts connections on ln until Shutdown or Close, which make it
// return http.ErrServerClosed.
func (s *httpServer) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return http.ErrServerClosed
	}
	s.ln = ln
	s.mu.Unlock()
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return http.ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Out of file descriptors and the like: wait and retry,
			// as net/http's server does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("gateway accept", "err", err, "retry_in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		if !s.track(c) {
			c.Close()
			return http.ErrServerClosed
		}
		go s.serveConn(c)
	}
}

func (s *httpServer) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// track registers a new connection; false when the server is closed.
func (s *httpServer) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = false
	return true
}

// setBusy marks c as serving a request or idle. A request may not start
// once the server is closing, nor on a connection Close cut: false then.
func (s *httpServer) setBusy(c net.Conn, busy bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, open := s.conns[c]; !open || busy && s.closed {
		return false
	}
	s.conns[c] = busy
	return true
}

func (s *httpServer) forget(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

// close stops accepting and closes the connections that are idle, or all
// of them; it returns how many are left.
func (s *httpServer) close(all bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		if s.ln != nil {
			s.ln.Close()
		}
	}
	for c, busy := range s.conns {
		if all || !busy {
			c.Close()
			delete(s.conns, c)
		}
	}
	return len(s.conns)
}

// Shutdown stops accepting, closes idle connections and waits until the
// requests in flight are answered (their connections then close) or ctx
// ends.
func (s *httpServer) Shutdown(ctx context.Context) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for s.close(false) > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// Close stops accepting and closes every connection, cutting requests in
// flight.
func (s *httpServer) Close() error {
	s.close(true)
	return nil
}

// serveConn serves c's requests one after the other.
func (s *httpServer) serveConn(c net.Conn) {
	defer s.forget(c)
	lr := &io.LimitedReader{R: c}
	br := bufio.NewReader(lr)
	w := &bufferedResponse{h: http.Header{}}
	var out bytes.Buffer
	remote := c.RemoteAddr().String()
	for {
		// Idle until the next request's first bytes: no deadline, as
		// net/http's server without an IdleTimeout.
		lr.N = maxHeaderBytes
		if _, err := br.Peek(1); err != nil {
			return
		}
		if !s.setBusy(c, true) {
			return
		}
		// The header timeout arms a timer only when the headers are not
		// all in already (a client writes a small request at once).
		slow := !bytes.Contains(peekBuffered(br), []byte("\r\n\r\n"))
		if slow {
			_ = c.SetReadDeadline(time.Now().Add(headerTimeout))
		}
		req, err := http.ReadRequest(br)
		if slow {
			_ = c.SetReadDeadline(time.Time{})
		}
		if err != nil {
			switch {
			case lr.N <= 0:
				writeStatus(c, http.StatusRequestHeaderFieldsTooLarge)
				closeWriteAndWait(c)
			case !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !isNetError(err):
				writeStatus(c, http.StatusBadRequest)
			}
			return
		}
		lr.N = 1<<63 - 1 // the body: the handler bounds what it reads
		req.RemoteAddr = remote
		if req.ProtoAtLeast(1, 1) && req.Host == "" {
			writeStatus(c, http.StatusBadRequest)
			return
		}
		if e := req.Header.Get("Expect"); e != "" {
			if !strings.EqualFold(e, "100-continue") {
				writeStatus(c, http.StatusExpectationFailed)
				return
			}
			if req.ProtoAtLeast(1, 1) && req.ContentLength != 0 {
				// Sent at once rather than on the body's first read:
				// a server may, and the gateway reads every body.
				if _, err := io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
					return
				}
			}
		}
		w.reset(req.Method == http.MethodHead)
		if !s.handle(w, req) {
			return
		}
		unread := !drain(req.Body)
		closing := req.Close || unread || s.isClosed()
		out.Reset()
		w.writeTo(&out, closing)
		if _, err := c.Write(out.Bytes()); err != nil || closing {
			if err == nil && unread {
				closeWriteAndWait(c)
			}
			return
		}
		if w.body.Cap() > 64<<10 {
			w.body = bytes.Buffer{} // not kept for the next request
		}
		if out.Cap() > 64<<10 {
			out = bytes.Buffer{} // nor the answer's copy of it
		}
		s.setBusy(c, false)
	}
}

// handle runs the handler; a panic is logged and closes the connection
// without an answer, as net/http's server does.
func (s *httpServer) handle(w *bufferedResponse, req *http.Request) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				return
			}
			s.log.Error("gateway handler panic", "method", req.Method, "path", req.URL.Path, "panic", v)
		}
	}()
	s.h.ServeHTTP(w, req)
	return true
}

// peekBuffered returns what br holds without reading more.
func peekBuffered(br *bufio.Reader) []byte {
	b, _ := br.Peek(br.Buffered())
	return b
}

// drain reads away what the handler left of a request body, up to
// maxDrain; false when more is left (the connection must close).
func drain(body io.ReadCloser) bool {
	if body == nil || body == http.NoBody {
		return true
	}
	n, err := io.CopyN(io.Discard, body, maxDrain+1)
	return n <= maxDrain && (err == nil || errors.Is(err, io.EOF))
}

// closeWriteAndWait ends c's sending side and waits a little before the
// close: the client still sending a request sees the answer, not a reset.
func closeWriteAndWait(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	time.Sleep(rstAvoidanceDelay)
}

func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

// writeStatus answers a request that could not be read, and the
// connection closes.
func writeStatus(c net.Conn, code int) {
	text := strconv.Itoa(code) + " " + http.StatusText(code)
	_, _ = io.WriteString(c, "HTTP/1.1 "+text+"\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: "+
		strconv.Itoa(len(text))+"\r\n\r\n"+text)
}

// bufferedResponse is an http.ResponseWriter that holds the whole answer
// until the handler returns.
type bufferedResponse struct {
	h      http.Header
	status int
	body   bytes.Buffer
	head   bool // a HEAD request: no body is sent
}

func (w *bufferedResponse) reset(head bool) {
	clear(w.h)
	w.status = 0
	w.body.Reset()
	w.head = head
}

func (w *bufferedResponse) Header() http.Header { return w.h }

// WriteHeader sets the status once. Informational codes are not sent
// (net/http's server sends them ahead and expects a final one; the
// gateway never writes one but for a function's statusCode, which a
// Function URL does not answer with).
func (w *bufferedResponse) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if w.status == 0 && code >= 200 {
		w.status = code
	}
}

func (w *bufferedResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	return w.body.Write(p)
}

func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// writeTo writes the answer (status line, headers, body) to out, as
// net/http's server would write it with the whole body known: a
// Content-Length, a sniffed Content-Type when there is none, a Date. The
// server's own headers go straight to out after the handler's, as
// net/http's server writes them, not through the header map: no
// allocation per request.
func (w *bufferedResponse) writeTo(out *bytes.Buffer, closing bool) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	h := w.h
	delete(h, "Transfer-Encoding")
	sniff, length := false, bodyAllowed(w.status)
	if length {
		_, typed := h["Content-Type"]
		sniff = !typed && w.body.Len() > 0
		delete(h, "Content-Length")
	} else if w.status == http.StatusNoContent {
		delete(h, "Content-Length")
	}
	_, dated := h["Date"]
	if closing {
		delete(h, "Connection")
	}
	out.WriteString("HTTP/1.1 ")
	out.Write(strconv.AppendInt(out.AvailableBuffer(), int64(w.status), 10))
	out.WriteByte(' ')
	if text := http.StatusText(w.status); text != "" {
		out.WriteString(text)
	} else {
		out.WriteString("status code ")
		out.Write(strconv.AppendInt(out.AvailableBuffer(), int64(w.status), 10))
	}
	out.WriteString("\r\n")
	_ = h.Write(out) // a bytes.Buffer does not fail
	if sniff {
		out.WriteString("Content-Type: ")
		out.WriteString(http.DetectContentType(w.body.Bytes()))
		out.WriteString("\r\n")
	}
	if closing {
		out.WriteString("Connection: close\r\n")
	}
	if length {
		out.WriteString("Content-Length: ")
		out.Write(strconv.AppendInt(out.AvailableBuffer(), int64(w.body.Len()), 10))
		out.WriteString("\r\n")
	}
	if !dated {
		out.WriteString("Date: ")
		out.Write(time.Now().UTC().AppendFormat(out.AvailableBuffer(), http.TimeFormat))
		out.WriteString("\r\n")
	}
	out.WriteString("\r\n")
	if !w.head && length {
		out.Write(w.body.Bytes())
	}
}
