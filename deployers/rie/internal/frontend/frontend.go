// Package frontend does what a Lambda Function URL's front end does, for the
// emulator backend's gateway in front of the Runtime Interface Emulator: it
// turns an HTTP request into the function's event (EncodeRequest) and the
// function's response payload back into HTTP (DecodeResponse, WriteResponse),
// in BUFFERED mode. The function side of the mapping is
// app/adapters/lambda/functionurl; this half never ships in the function.
package frontend

import (
	"bytes"
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
	"strconv"
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
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
		if len(b) > MaxPayload {
			return nil, ErrTooLarge
		}
		body = b
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
		Headers:        map[string]string{"host": host},
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
	if ev.RawPath == "" {
		ev.RawPath = "/"
		ev.RequestContext.HTTP.Path = "/"
	}
	if q := r.URL.Query(); len(q) > 0 {
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
		ev.Headers[strings.ToLower(k)] = strings.Join(vs, ",")
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

// DecodeResponse turns a function's response payload into the HTTP response
// a Function URL sends. As AWS does, a payload without "statusCode" is not a
// response event: it becomes the body of a 200 application/json response.
func DecodeResponse(payload []byte) (*http.Response, error) {
	var probe map[string]json.RawMessage
	structured := json.Unmarshal(payload, &probe) == nil && probe["statusCode"] != nil
	resp := &http.Response{
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		StatusCode: http.StatusOK,
		Header:     http.Header{},
	}
	body := payload
	if structured {
		var ev events.LambdaFunctionURLResponse
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("decode response event: %w", err)
		}
		if ev.StatusCode < 100 || ev.StatusCode > 999 {
			return nil, fmt.Errorf("response event: invalid statusCode %d", ev.StatusCode)
		}
		resp.StatusCode = ev.StatusCode
		for k, v := range ev.Headers {
			resp.Header.Set(k, v)
		}
		for _, c := range ev.Cookies {
			resp.Header.Add("Set-Cookie", c)
		}
		body = []byte(ev.Body)
		if ev.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(ev.Body)
			if err != nil {
				return nil, fmt.Errorf("decode base64 response body: %w", err)
			}
			body = b
		}
	} else {
		resp.Header.Set("Content-Type", "application/json")
	}
	resp.Status = strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// WriteResponse writes the HTTP response for a function's response payload
// to w, as a Function URL front end does.
func WriteResponse(w http.ResponseWriter, payload []byte) error {
	resp, err := DecodeResponse(payload)
	if err != nil {
		return err
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	_, err = io.Copy(w, resp.Body)
	return err
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
