package rie

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// loopServer serves h on 127.0.0.1 the barest way HTTP/1.1 allows: one
// goroutine per connection reads each request (http.ReadRequest on a
// bufio.Reader), runs h on it and writes the buffered answer in one write.
// Unlike net/http's server it starts no goroutine per request (net/http
// watches the connection during each request with a background read, and
// wakes that goroutine again after the answer). BenchmarkWarm serves the
// gateway's own handler through it, to measure what net/http's server
// costs on this path; it has none of net/http's limits, timeouts or
// shutdown, so it is a measuring instrument only. It returns its address.
func loopServer(b *testing.B, h http.Handler) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	b.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go serveLoop(c, h)
		}
	}()
	return ln.Addr().String()
}

// loopWriter buffers one answer.
type loopWriter struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (w *loopWriter) Header() http.Header { return w.h }

func (w *loopWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *loopWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

func serveLoop(c net.Conn, h http.Handler) {
	defer c.Close()
	br := bufio.NewReader(c)
	remote := c.RemoteAddr().String()
	w := &loopWriter{h: http.Header{}}
	var out bytes.Buffer
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		req.RemoteAddr = remote
		clear(w.h)
		w.status = 0
		w.body.Reset()
		h.ServeHTTP(w, req)
		w.WriteHeader(http.StatusOK)
		if w.h.Get("Content-Length") == "" {
			w.h.Set("Content-Length", strconv.Itoa(w.body.Len()))
		}
		w.h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
		out.Reset()
		out.WriteString("HTTP/1.1 " + strconv.Itoa(w.status) + " " + http.StatusText(w.status) + "\r\n")
		_ = w.h.Write(&out)
		out.WriteString("\r\n")
		out.Write(w.body.Bytes())
		if _, err := c.Write(out.Bytes()); err != nil || req.Close {
			return
		}
	}
}
