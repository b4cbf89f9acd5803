package functionurl

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// HandlerFunc is the signature lambda.Start accepts for a Function URL or
// HTTP API v2 function.
type HandlerFunc func(context.Context, events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error)

// Handler serves each event with h and returns its buffered response.
// Errors are bad events only; whatever h answers, 5xx included, is a response.
func Handler(h http.Handler) HandlerFunc {
	return func(ctx context.Context, ev events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
		r, err := NewRequest(ctx, ev)
		if err != nil {
			return events.LambdaFunctionURLResponse{}, err
		}
		w := &responseWriter{header: http.Header{}}
		h.ServeHTTP(w, r)
		return w.event(), nil
	}
}

// NewRequest builds the request an HTTP server would have received.
func NewRequest(ctx context.Context, ev events.LambdaFunctionURLRequest) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, fmt.Errorf("decode base64 body: %w", err)
		}
		body = b
	}
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		return nil, fmt.Errorf("event has no requestContext.http.method: is it a Function URL or HTTP API v2 event?")
	}
	host := ev.Headers["host"]
	if host == "" {
		host = ev.RequestContext.DomainName
	}
	path := ev.RawPath
	if path == "" {
		path = "/"
	}
	u, err := url.Parse("https://" + host + path)
	if err != nil {
		return nil, fmt.Errorf("request url: %w", err)
	}
	u.RawQuery = ev.RawQueryString
	r, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("new request: %w", err)
	}
	for k, v := range ev.Headers {
		r.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	r.Host = host
	r.RequestURI = u.RequestURI()
	r.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	if ev.RequestContext.HTTP.Protocol == "HTTP/2.0" {
		r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/2.0", 2, 0
	}
	return r, nil
}

// responseWriter buffers a response: BUFFERED mode sends it in one piece.
type responseWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

func (w *responseWriter) event() events.LambdaFunctionURLResponse {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	body := w.body.Bytes()
	if w.header.Get("Content-Type") == "" && len(body) > 0 {
		w.header.Set("Content-Type", http.DetectContentType(body))
	}
	resp := events.LambdaFunctionURLResponse{StatusCode: w.status, Headers: map[string]string{}}
	for k, vs := range w.header {
		if k == "Set-Cookie" {
			resp.Cookies = append(resp.Cookies, vs...)
			continue
		}
		// The payload carries one string per header; the Function URL
		// front end sends comma-joined values as they are.
		resp.Headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	if IsText(w.header.Get("Content-Type")) && utf8.Valid(body) {
		resp.Body = string(body)
	} else {
		resp.Body = base64.StdEncoding.EncodeToString(body)
		resp.IsBase64Encoded = len(body) > 0
	}
	return resp
}

// IsText reports whether a body of this content type travels as a JSON
// string; any other body is base64-encoded, which is how the payload carries
// binary data.
func IsText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript",
		"application/x-www-form-urlencoded", "application/x-ndjson", "image/svg+xml":
		return true
	}
	return false
}
