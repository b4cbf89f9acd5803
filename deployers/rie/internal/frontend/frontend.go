// Package frontend does what a Lambda Function URL's front end does, for the
// emulator backend's gateway in front of the Runtime Interface Emulator: it
// turns an HTTP request into the function's event (EncodeRequest) and the
// function's response payload back into HTTP (DecodeResponse, WriteResponse),
// in BUFFERED mode. The function side of the mapping is
// app/adapters/lambda/functionurl; this half never ships in the function.
package frontend

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/computeladder/computeladder/app/adapters/lambda/functionurl"
)

// MaxPayload is Lambda's limit for a synchronous request or response
// payload (6 MB); a request body that does not fit is ErrTooLarge.
const MaxPayload = 6 * 1024 * 1024

// ErrTooLarge is returned when a request does not fit in one payload; a
// gateway answers it with 413.
var ErrTooLarge = errors.New("request too large for a Lambda payload (6 MB)")

// EncodeRequest reads r (and its body) and returns the Function URL event
// JSON that the function receives for it.
func EncodeRequest(r *http.Request) ([]byte, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	host := r.Host
	if host == "" && r.URL != nil {
		host = r.URL.Host
	}
	now := time.Now().UTC()
	ev := events.LambdaFunctionURLRequest{
		Version:        "2.0",
		RawPath:        r.URL.EscapedPath(),
		RawQueryString: r.URL.RawQuery,
		Headers:        make(map[string]string, len(r.Header)+1),
		RequestContext: events.LambdaFunctionURLRequestContext{
			AccountID:  "anonymous",
			RequestID:  requestID(),
			APIID:      "local",
			DomainName: host,
			Time:       now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:  now.UnixMilli(),
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  protocol(r),
				SourceIP:  sourceIP(r.RemoteAddr),
				UserAgent: r.UserAgent(),
			},
		},
	}
	ev.Headers["host"] = host
	if ev.RawPath == "" {
		ev.RawPath = "/"
		ev.RequestContext.HTTP.Path = "/"
	}
	if q := query(r.URL.RawQuery); len(q) > 0 {
		ev.QueryStringParameters = make(map[string]string, len(q))
		for k, vs := range q {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	for k, vs := range r.Header {
		if k == "Cookie" {
			for _, v := range vs {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						ev.Cookies = append(ev.Cookies, c)
					}
				}
			}
			continue
		}
		ev.Headers[lowerHeader(k)] = strings.Join(vs, ",")
	}
	if len(body) > 0 {
		if functionurl.IsText(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	if len(b) > MaxPayload {
		return nil, ErrTooLarge
	}
	return b, nil
}

// readBody reads r's body whole, or up to one byte more than a payload
// holds.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	b, err := ReadPayload(r.Body, r.ContentLength)
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	if len(b) > MaxPayload {
		return nil, ErrTooLarge
	}
	return b, nil
}

// ReadPayload reads rd to its end, or up to one byte more than a payload
// holds (MaxPayload+1: a caller tells a cut payload by its length), into a
// buffer of the length declared (-1: unknown) when that fits: one
// allocation, where io.ReadAll grows from 512 bytes.
func ReadPayload(rd io.Reader, declared int64) ([]byte, error) {
	size := 512
	if declared >= 0 && declared <= MaxPayload {
		size = int(declared) + 1 // room for the read that finds the end
	}
	b := make([]byte, 0, size)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := rd.Read(b[len(b):min(cap(b), MaxPayload+1)])
		b = b[:len(b)+n]
		if err == io.EOF || len(b) > MaxPayload {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// query parses a raw query; none allocates nothing.
func query(raw string) url.Values {
	if raw == "" {
		return nil
	}
	q, _ := url.ParseQuery(raw) // as URL.Query: what parses is kept
	return q
}

// lowerHeaders holds the lower-case names of the headers most requests
// carry, so that their events do not allocate them.
var lowerHeaders = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Accept", "Accept-Encoding", "Accept-Language", "Authorization",
		"Cache-Control", "Connection", "Content-Length", "Content-Type", "Origin", "Referer",
		"User-Agent", "X-Amz-Date", "X-Amz-Content-Sha256", "X-Amz-Security-Token",
		"X-Forwarded-For", "X-Request-Id"} {
		m[k] = strings.ToLower(k)
	}
	return m
}()

func lowerHeader(k string) string {
	if l, ok := lowerHeaders[k]; ok {
		return l
	}
	return strings.ToLower(k)
}

// Invoker invokes a function with a payload and returns its response
// payload: lambda.Handler.Invoke in process, or a call to the emulator's
// invoke endpoint.
type Invoker func(ctx context.Context, payload []byte) ([]byte, error)

// Doer returns an HTTP client function (an apptest.Doer) that sends each
// request through invoke as a Function URL would.
func Doer(invoke Invoker) func(*http.Request) (*http.Response, error) {
	return func(r *http.Request) (*http.Response, error) {
		payload, err := EncodeRequest(r)
		if err != nil {
			return nil, err
		}
		out, err := invoke(r.Context(), payload)
		if err != nil {
			return nil, fmt.Errorf("invoke: %w", err)
		}
		resp, err := DecodeResponse(out)
		if err != nil {
			return nil, err
		}
		resp.Request = r
		return resp, nil
	}
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

func protocol(r *http.Request) string {
	if r.ProtoMajor == 2 {
		return "HTTP/2.0"
	}
	return "HTTP/1.1"
}

func sourceIP(remoteAddr string) string {
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return host
	}
	if remoteAddr == "" {
		return "127.0.0.1"
	}
	return remoteAddr
}
