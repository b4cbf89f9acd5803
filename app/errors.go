package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
)

// Error codes: the stable, machine-readable part of every error response.
const (
	CodeMalformedJSON         = "malformed_json"
	CodeUnknownField          = "unknown_field"
	CodeWrongType             = "wrong_type"
	CodeTrailingData          = "trailing_data"
	CodeTooDeep               = "too_deep"
	CodeBodyTooLarge          = "body_too_large"
	CodeUnreadableBody        = "unreadable_body"
	CodeUnsupportedMediaType  = "unsupported_media_type"
	CodeEmptyCart             = "empty_cart"
	CodeTooManyLines          = "too_many_lines"
	CodeInvalidSKU            = "invalid_sku"
	CodeInvalidQuantity       = "invalid_quantity"
	CodeInvalidPrice          = "invalid_price"
	CodeMissingRegion         = "missing_region"
	CodeUnknownRegion         = "unknown_region"
	CodeUnknownDiscount       = "unknown_discount_code"
	CodeDiscountNotApplicable = "discount_not_applicable"
	CodeAmountOverflow        = "amount_overflow"
	CodeInvalidWidth          = "invalid_width"
	CodeUnsupportedImage      = "unsupported_image_format"
	CodeInvalidImage          = "invalid_image"
	CodeTooManyPixels         = "too_many_pixels"
	CodeThumbnailTooLarge     = "thumbnail_too_large"
	CodeInvalidDuration       = "invalid_duration"
	CodeCancelled             = "cancelled"
	CodeNotFound              = "not_found"
	CodeMethodNotAllowed      = "method_not_allowed"
	CodeInternal              = "internal"
)

// Error is a request the app refuses: an HTTP status (4xx for bad input),
// a stable code and a message naming the problem and what to send instead.
// The exported functions (ParseCart, PriceCart, Thumbnail, RunJob) return
// *Error for every input problem, so callers can map them to responses.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// errorBody is the wire shape of every error: {"error":{"code","message"}}.
type errorBody struct {
	Error *Error `json:"error"`
}

// writeError answers err as JSON; anything that is not an *Error is a bug
// and becomes a 500 that does not leak its text.
func writeError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = errorf(http.StatusInternalServerError, CodeInternal, "internal error; retry, and report it if it persists")
	}
	writeJSON(w, e.Status, errorBody{e})
}

// writeJSON writes v with status; the encoding of the app's own types
// cannot fail, and a failed write means the client went away.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"cannot encode response"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// recoverJSON is the last resort: a panic in a handler (a bug; input errors
// never panic) becomes a JSON 500 instead of a dropped connection.
func (s *server) recoverJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // the server's own way to abort a response silently
			}
			s.log.Error("handler panic", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !tw.wrote {
				writeError(tw, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(tw, r)
	})
}

// trackingWriter remembers whether the status line went out, since a 500
// can only be sent before that.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *trackingWriter) WriteHeader(code int) {
	if code >= 200 {
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *trackingWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *trackingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
