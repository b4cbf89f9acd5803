package frontend

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
)

// DecodeResponse turns a function's response payload into the HTTP response
// a Function URL sends. As AWS does, a payload without "statusCode" is not a
// response event: it becomes the body of a 200 application/json response.
func DecodeResponse(payload []byte) (*http.Response, error) {
	h := http.Header{}
	status, body, err := decode(payload, h)
	if err != nil {
		return nil, err
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return &http.Response{
		Status:     strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode: status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        h,
		ContentLength: int64(len(body)),
		Body:          io.NopCloser(bytes.NewReader(body)),
	}, nil
}

// WriteResponse writes the HTTP response for a function's response payload
// to w, as a Function URL front end does: with its length, in one write.
// On error it has written nothing, headers included.
func WriteResponse(w http.ResponseWriter, payload []byte) error {
	h := w.Header()
	status, body, err := decode(payload, h)
	if err != nil {
		return err
	}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	if len(body) > 0 { // a 204 or 304 takes no body, not even an empty write
		_, err = w.Write(body)
	}
	return err
}

// IsFunctionError reports whether a payload is a function error (the
// runtime's /error call) rather than a response. The emulator drops the
// X-Amz-Function-Error header Lambda sets, so the shape decides: a JSON
// object with exactly errorMessage and errorType (and maybe stackTrace),
// no statusCode.
func IsFunctionError(payload []byte) bool {
	ks, valid := topKeys(payload)
	return ks&(keyErrorMessage|keyErrorType) == keyErrorMessage|keyErrorType &&
		ks&(keyStatusCode|keyOther) == 0 && (valid || json.Valid(payload))
}

// decode reads payload, a response event or any other payload, into its
// status, body and headers (set in h, and only when it returns no error).
// A payload is decoded by reflection once, and only when it is an event.
func decode(payload []byte, h http.Header) (status int, body []byte, err error) {
	if ks, _ := topKeys(payload); ks&keyStatusCode == 0 {
		h["Content-Type"] = []string{"application/json"}
		return http.StatusOK, payload, nil
	}
	var ev events.LambdaFunctionURLResponse
	if err := json.Unmarshal(payload, &ev); err != nil {
		if !json.Valid(payload) {
			// Not JSON after all (the key scan does not validate):
			// a payload like any other.
			h["Content-Type"] = []string{"application/json"}
			return http.StatusOK, payload, nil
		}
		return 0, nil, fmt.Errorf("decode response event: %w", err)
	}
	if ev.StatusCode < 100 || ev.StatusCode > 999 {
		return 0, nil, fmt.Errorf("response event: invalid statusCode %d", ev.StatusCode)
	}
	body = []byte(ev.Body)
	if ev.IsBase64Encoded {
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return 0, nil, fmt.Errorf("decode base64 response body: %w", err)
		}
	}
	for k, v := range ev.Headers {
		h.Set(k, v)
	}
	for _, c := range ev.Cookies {
		h.Add("Set-Cookie", c)
	}
	return ev.StatusCode, body, nil
}

// keySet is which of the keys that decide what a payload is its top-level
// JSON object has.
type keySet uint8

const (
	keyStatusCode keySet = 1 << iota
	keyErrorMessage
	keyErrorType
	keyStackTrace
	keyOther // any other key
)

func keyOf(k string) keySet {
	switch k {
	case "statusCode":
		return keyStatusCode
	case "errorMessage":
		return keyErrorMessage
	case "errorType":
		return keyErrorType
	case "stackTrace":
		return keyStackTrace
	}
	return keyOther
}

// topKeys returns the keys of payload's top-level object (none when it is
// not one), as decoding it into a map[string]json.RawMessage finds them.
// It scans without decoding; where the scan cannot tell (an escaped key,
// an unexpected byte) it decodes. valid reports that it decoded, which
// validates; a scan does not: on JSON that is not valid its answer may
// differ from the decoder's, and callers that care check json.Valid.
// BenchmarkTopKeys shows why it scans: a decode costs 22 allocations.
func topKeys(payload []byte) (ks keySet, valid bool) {
	if ks, ok := scanKeys(payload); ok {
		return ks, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(payload, &m) != nil {
		return 0, true
	}
	for k := range m {
		ks |= keyOf(k)
	}
	return ks, true
}

// scanKeys is topKeys's scan: ok is false when it cannot tell.
func scanKeys(b []byte) (ks keySet, ok bool) {
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		// Not an object: whatever it is, it has no keys.
		return 0, true
	}
	if i = skipSpace(b, i+1); i < len(b) && b[i] == '}' {
		return 0, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, false
		}
		end, escaped := skipString(b, i)
		if end < 0 || escaped {
			return 0, false
		}
		ks |= keyOf(string(b[i+1 : end-1])) // no allocation: a switch on the conversion
		if i = skipSpace(b, end); i >= len(b) || b[i] != ':' {
			return 0, false
		}
		if i = skipValue(b, skipSpace(b, i+1)); i < 0 {
			return 0, false
		}
		if i = skipSpace(b, i); i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return ks, true
		default:
			return 0, false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] (a
// quote), -1 when it does not end, and whether it holds an escape.
func skipString(b []byte, i int) (end int, escaped bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped
		}
	}
	return -1, escaped
}

// skipValue returns the index after the value starting at b[i], -1 when
// it cannot find its end.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		end, _ := skipString(b, i)
		return end
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _ := skipString(b, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i // a number or a literal
scan:
	for ; j < len(b); j++ {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			break scan
		}
	}
	if j == i {
		return -1
	}
	return j
}
