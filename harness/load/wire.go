package load

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// wire is the load generator's own HTTP/1.1 client transport for plain-http
// targets: each request is one write of bytes built in a buffer the
// connection keeps, and its response is parsed straight from the
// connection's reader, on the caller's goroutine.
//
// Why not net/http's Transport: it hands every request to a write goroutine
// and every response back from a read goroutine. At the top rates a lab
// measures, the generator shares the machine's cores with the system under
// test, and with those hand-offs it spent 1.5 to 2 times the CPU per
// request it spends with this transport, CPU the app then did not get (see
// BenchmarkFidelityThroughput in this package). wire does only what the generator needs: keep-alive
// connections, a deadline per exchange, Content-Length, chunked and
// close-delimited bodies, HEAD/1xx/204/304 framing, one retry on a kept
// connection the server had closed (never of a POST written whole). It keeps no response headers (samples do
// not) and watches no request context: Run uses it only for requests that
// carry none, and checks their headers once (validHeaders) rather than on
// every request; anything else goes to net/http.
type wire struct {
	timeout time.Duration
	dialer  net.Dialer

	mu     sync.Mutex
	idle   []*wireConn
	closed bool
}

func newWire(timeout time.Duration) *wire {
	return &wire{timeout: timeout, dialer: net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}}
}

// wireConn is one kept-alive connection and its buffers.
type wireConn struct {
	c   net.Conn
	br  *bufio.Reader
	out []byte // the request being sent, reused
	// idleSince is when the connection was last handed back.
	idleSince time.Time
}

const (
	wireReadBuffer = 8 << 10
	// maxHeaderBytes bounds a response's status line and headers.
	maxHeaderBytes = 1 << 20
)

var _ http.RoundTripper = (*wire)(nil)

// RoundTrip sends req and returns the response with the connection still
// reading its body; closing the body hands the connection back.
func (w *wire) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := requestBody(req)
	if err != nil {
		return nil, err
	}
	if req.URL.Scheme != "http" {
		return nil, fmt.Errorf("load: wire transport speaks plain http, not %q", req.URL.Scheme)
	}
	replay := replayable(req)
	for attempt := 0; ; attempt++ {
		wc, reused, err := w.conn(req.URL, attempt > 0)
		if err != nil {
			return nil, err
		}
		resp, written, unanswered, err := w.exchange(wc, req, body)
		if err == nil {
			return resp, nil
		}
		wc.c.Close()
		// A kept connection the server has meanwhile closed fails before
		// a byte of the answer arrives. The request is sent once more, on
		// a new connection, only where that cannot do its work twice: it
		// was not written whole (a server acts on no part of a request),
		// or it is replayable and no byte of an answer came. A request
		// written whole that is not replayable — a POST — is never sent
		// again: the server may have acted on it and closed before it
		// answered.
		retry := !written || (unanswered && replay)
		if !reused || attempt > 0 || !retry {
			return nil, err
		}
	}
}

// replayable reports whether req may be sent again once written whole,
// by net/http's rule: GET, HEAD, OPTIONS and TRACE, or any request with
// an idempotency key.
func replayable(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

// exchange writes req on wc and reads the response's head. written
// reports that the request was written whole; unanswered, an error that
// came before any byte of an answer (the peer closed or reset the
// connection without answering).
func (w *wire) exchange(wc *wireConn, req *http.Request, body []byte) (resp *http.Response, written, unanswered bool, err error) {
	if err := wc.c.SetDeadline(time.Now().Add(w.timeout)); err != nil {
		return nil, false, false, err
	}
	wc.out = appendRequest(wc.out[:0], req, body)
	if _, err := wc.c.Write(wc.out); err != nil {
		return nil, false, true, err
	}
	if _, err := wc.br.Peek(1); err != nil {
		stale := err == io.EOF || errors.Is(err, syscall.ECONNRESET)
		if err == io.EOF {
			err = errNoResponse
		}
		return nil, true, stale, err
	}
	h, err := readHead(wc.br, req.Method)
	if err != nil {
		return nil, true, false, err
	}
	b := w.body(wc, h)
	return &http.Response{
		Status: h.status, StatusCode: h.code,
		Proto: protos[h.minor], ProtoMajor: 1, ProtoMinor: h.minor,
		ContentLength: h.length, Close: h.close,
		Body: b, Request: req,
	}, true, false, nil
}

var protos = [10]string{"HTTP/1.0", "HTTP/1.1", "HTTP/1.2", "HTTP/1.3", "HTTP/1.4", "HTTP/1.5", "HTTP/1.6", "HTTP/1.7", "HTTP/1.8", "HTTP/1.9"}

// maxIdle is how long a connection may stay idle and still be used: a
// server closes idle connections after its own timeout (Node's default is
// 5 s), and a request written on one it has just closed fails, never to be
// sent again if it is a POST. A connection idle for longer is closed and
// a new one dialled.
const maxIdle = 2 * time.Second

// conn takes the most recently used idle connection, or dials one (always,
// when fresh). Connections idle for longer than maxIdle are closed.
func (w *wire) conn(u *url.URL, fresh bool) (*wireConn, bool, error) {
	w.mu.Lock()
	if n := len(w.idle); n > 0 && !fresh {
		wc := w.idle[n-1]
		if time.Since(wc.idleSince) <= maxIdle {
			w.idle = w.idle[:n-1]
			w.mu.Unlock()
			return wc, true, nil
		}
		// The most recently used is too old: so are all the others.
		for _, old := range w.idle {
			old.c.Close()
		}
		w.idle = w.idle[:0]
	}
	w.mu.Unlock()
	port := u.Port()
	if port == "" {
		port = "80"
	}
	c, err := w.dialer.Dial("tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return nil, false, err
	}
	return &wireConn{c: c, br: bufio.NewReaderSize(c, wireReadBuffer)}, false, nil
}

func (w *wire) put(wc *wireConn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		wc.c.Close()
		return
	}
	wc.idleSince = time.Now()
	w.idle = append(w.idle, wc)
}

// CloseIdleConnections closes the kept connections; http.Client calls it.
func (w *wire) CloseIdleConnections() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, wc := range w.idle {
		wc.c.Close()
	}
	w.idle = nil
}

// Close closes the kept connections and those handed back later.
func (w *wire) Close() {
	w.CloseIdleConnections()
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}

// requestBody reads and closes req's body, which RoundTrip must close in
// any case; lab requests are small and sent whole with their length.
func requestBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("load: reading request body: %w", err)
	}
	if req.ContentLength > 0 && int64(len(b)) != req.ContentLength {
		return nil, fmt.Errorf("load: request body is %d bytes, ContentLength says %d", len(b), req.ContentLength)
	}
	return b, nil
}

// validHeaders refuses header names and values that would break the
// request's framing.
func validHeaders(h http.Header) error {
	for k, vs := range h {
		if k == "" || strings.ContainsAny(k, " \t\r\n:") {
			return fmt.Errorf("load: invalid header name %q", k)
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				return fmt.Errorf("load: invalid value for header %s", k)
			}
		}
	}
	return nil
}

// appendRequest appends req's HTTP/1.1 wire form to b.
func appendRequest(b []byte, req *http.Request, body []byte) []byte {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	b = append(b, req.Method...)
	b = append(b, ' ')
	b = append(b, req.URL.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	if _, set := req.Header["User-Agent"]; !set {
		b = append(b, "User-Agent: computeladder-load\r\n"...)
	}
	for k, vs := range req.Header {
		if k == "Host" || k == "Content-Length" || k == "Transfer-Encoding" || k == "Connection" {
			continue // framing is this transport's
		}
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	if body != nil || methodMayHaveBody(req.Method) {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, body...)
}

func methodMayHaveBody(m string) bool {
	return m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch
}

var errNoResponse = errors.New("load: connection closed before any response")

type bodyKind uint8

const (
	bodyNone bodyKind = iota
	bodyLength
	bodyChunked
	bodyUntilClose
)

// head is what the transport needs of a response's status line and headers.
type head struct {
	code   int
	minor  int
	status string // "200 OK"
	body   bodyKind
	length int64 // -1 when not known in advance
	close  bool  // the connection cannot be kept after this response
}

// readHead reads a response's status line and headers, skipping interim
// (1xx) responses, and works out how its body is framed (RFC 9112 §6.3).
func readHead(br *bufio.Reader, method string) (head, error) {
	budget := maxHeaderBytes
	for {
		line, err := readLine(br, &budget)
		if err != nil {
			return head{}, responseErr(err)
		}
		h, err := parseStatus(line)
		if err != nil {
			return head{}, err
		}
		if err := readFields(br, &budget, &h); err != nil {
			return head{}, err
		}
		if h.code == http.StatusSwitchingProtocols {
			return head{}, errors.New("load: server switched protocols (101)")
		}
		if h.code >= 100 && h.code < 200 {
			continue
		}
		switch {
		case method == http.MethodHead || h.code == http.StatusNoContent || h.code == http.StatusNotModified:
			h.body, h.length = bodyNone, 0
		case h.body == bodyChunked:
			h.length = -1
		case h.length >= 0:
			h.body = bodyLength
			if h.length == 0 {
				h.body = bodyNone
			}
		default:
			h.body, h.close = bodyUntilClose, true
		}
		return h, nil
	}
}

func responseErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readLine reads one CRLF- (or LF-) terminated line without it, charging its
// length to budget. The slice is valid until the next read.
func readLine(br *bufio.Reader, budget *int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if *budget -= len(line); *budget < 0 {
		return nil, errors.New("load: response headers too large")
	}
	if err == bufio.ErrBufferFull {
		// A line longer than the reader's buffer: gather it (rare).
		long := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			line, err = br.ReadSlice('\n')
			if *budget -= len(line); *budget < 0 {
				return nil, errors.New("load: response headers too large")
			}
			long = append(long, line...)
		}
		line = long
	}
	if err != nil {
		return nil, err
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	return bytes.TrimSuffix(line, []byte{'\r'}), nil
}

// parseStatus parses "HTTP/1.x NNN reason" (net/http also allows more than
// one space before the code).
func parseStatus(line []byte) (head, error) {
	bad := func() (head, error) { return head{}, fmt.Errorf("load: malformed status line %q", truncate(line)) }
	if len(line) < 9 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return bad()
	}
	minor := int(line[7] - '0')
	if minor < 0 || minor > 9 {
		return bad()
	}
	status := bytes.TrimLeft(line[9:], " ")
	if len(status) < 3 || (len(status) > 3 && status[3] != ' ') {
		return bad()
	}
	code := 0
	for _, c := range status[:3] {
		if c < '0' || c > '9' {
			return bad()
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 {
		return bad()
	}
	return head{code: code, minor: minor, status: string(status), length: -1}, nil
}

// readFields reads header lines up to the blank line, keeping the framing
// ones: Content-Length, Transfer-Encoding and Connection. Names are matched
// exactly, as net/http does ("Content-Length :" frames nothing), and an
// obsolete folded line continues the field before it.
func readFields(br *bufio.Reader, budget *int, h *head) error {
	var f field // the framing field being read, if any
	var scratch [64]byte
	f.value = scratch[:0]
	for {
		line, err := readLine(br, budget)
		if err != nil {
			return responseErr(err)
		}
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			if f.name != "" {
				f.value = append(append(f.value, ' '), bytes.Trim(line, " \t")...)
			}
			continue
		}
		if err := f.apply(h); err != nil {
			return err
		}
		f.name = ""
		if len(line) == 0 {
			// HTTP/1.0 closes unless asked to keep alive; 1.1 keeps unless
			// asked to close.
			h.close = f.close || (h.minor == 0 && !f.keepAlive)
			return nil
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return fmt.Errorf("load: malformed header line %q", truncate(line))
		}
		for _, name := range [...]string{"content-length", "transfer-encoding", "connection"} {
			if asciiEqualFold(line[:colon], name) {
				f.name = name
				f.value = append(f.value[:0], bytes.Trim(line[colon+1:], " \t")...)
			}
		}
	}
}

// field is a framing header field as read so far, and the Connection
// tokens seen.
type field struct {
	name             string
	value            []byte
	close, keepAlive bool
}

// apply records a complete framing field in h.
func (f *field) apply(h *head) error {
	switch f.name {
	case "content-length":
		n, err := strconv.ParseUint(string(f.value), 10, 63)
		if err != nil {
			return fmt.Errorf("load: bad Content-Length %q", truncate(f.value))
		}
		if h.length >= 0 && h.length != int64(n) {
			return fmt.Errorf("load: conflicting Content-Length %d and %d", h.length, n)
		}
		h.length = int64(n)
	case "transfer-encoding":
		if h.minor == 0 {
			return nil // HTTP/1.0 has no transfer codings; net/http ignores it too
		}
		if !asciiEqualFold(f.value, "chunked") {
			return fmt.Errorf("load: unsupported Transfer-Encoding %q", truncate(f.value))
		}
		h.body = bodyChunked
	case "connection":
		for tok := range bytes.SplitSeq(f.value, []byte{','}) {
			tok = bytes.TrimSpace(tok)
			f.close = f.close || asciiEqualFold(tok, "close")
			f.keepAlive = f.keepAlive || asciiEqualFold(tok, "keep-alive")
		}
	}
	return nil
}

func asciiEqualFold[T ~[]byte | ~string](b T, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(s) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

func truncate(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "…"
	}
	return string(b)
}

// wireBody reads one response's body from its connection and, once the body
// is read to its end and closed, hands the connection back for reuse.
type wireBody struct {
	w      *wire
	wc     *wireConn
	kind   bodyKind
	left   int64 // bodyLength: bytes still to read
	chunks io.Reader
	keep   bool // the connection may be reused after this body
	done   bool // the body was read to its end
	closed bool
}

// body is the reader of the body h frames on wc.
func (w *wire) body(wc *wireConn, h head) *wireBody {
	b := &wireBody{w: w, wc: wc, kind: h.body, left: h.length, keep: !h.close, done: h.body == bodyNone}
	if h.body == bodyChunked {
		b.chunks = httputil.NewChunkedReader(wc.br)
	}
	return b
}

func (b *wireBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errors.New("load: read on closed response body")
	}
	if b.done {
		return 0, io.EOF
	}
	var n int
	var err error
	switch b.kind {
	case bodyLength:
		if int64(len(p)) > b.left {
			p = p[:b.left]
		}
		n, err = b.wc.br.Read(p)
		b.left -= int64(n)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err == nil && b.left == 0 {
			err = io.EOF
		}
	case bodyChunked:
		n, err = b.chunks.Read(p)
		if err == io.EOF {
			err = skipTrailers(b.wc.br)
			if err == nil {
				err = io.EOF
			}
		}
	case bodyUntilClose:
		n, err = b.wc.br.Read(p)
	}
	if err == io.EOF {
		b.done = true
	} else if err != nil {
		b.keep = false
	}
	return n, err
}

// skipTrailers reads the trailer section that ends a chunked body.
func skipTrailers(br *bufio.Reader) error {
	budget := maxHeaderBytes
	for {
		line, err := readLine(br, &budget)
		if err != nil {
			return responseErr(err)
		}
		if len(line) == 0 {
			return nil
		}
	}
}

// Close hands the connection back if the body was read to its end, and
// closes it otherwise (an unread rest would be taken for the next answer).
func (b *wireBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if b.done && b.keep {
		b.w.put(b.wc)
		return nil
	}
	return b.wc.c.Close()
}
