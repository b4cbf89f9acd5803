package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// MaxJSONDepth is the deepest nesting of objects and arrays accepted in a
// request body; a cart needs 3. Checked before decoding, so a body of
// nested brackets costs one linear scan, not a deep recursion.
const MaxJSONDepth = 8

// requireMediaType answers 415 unless the request's Content-Type is one of
// want (parameters such as charset are ignored).
func requireMediaType(r *http.Request, want ...string) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil {
		for _, w := range want {
			if mt == w {
				return nil
			}
		}
	}
	if ct == "" {
		ct = "none"
	}
	return errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
		"Content-Type is %s; send %s", truncate(ct, 100), strings.Join(want, " or "))
}

// readLimited reads all of r if it holds at most limit bytes, and answers
// 413 otherwise without reading more than limit+1 bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, tooLarge(limit)
		}
		return nil, errorf(http.StatusBadRequest, CodeUnreadableBody, "cannot read the request body: %v; send it again", err)
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(limit)
	}
	return b, nil
}

func tooLarge(limit int64) *Error {
	return errorf(http.StatusRequestEntityTooLarge, CodeBodyTooLarge,
		"request body is larger than %d bytes; send a smaller one", limit)
}

// limitBody caps r's body at limit so that a client cannot make the server
// read without bound, and refuses early when Content-Length already says too
// much.
func limitBody(w http.ResponseWriter, r *http.Request, limit int64) (io.Reader, error) {
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	return http.MaxBytesReader(w, r.Body, limit+1), nil
}

// decodeStrict decodes exactly one JSON value from b into v: no nesting
// beyond MaxJSONDepth, no unknown fields, no wrong types, nothing after it.
func decodeStrict(b []byte, v any) error {
	if err := checkDepth(b, MaxJSONDepth); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(http.StatusBadRequest, CodeTrailingData,
			"unexpected data after the JSON value at offset %d; send exactly one JSON object", dec.InputOffset())
	}
	return nil
}

// jsonError turns an encoding/json error into a 400 naming the problem.
func jsonError(err error) *Error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return errorf(http.StatusBadRequest, CodeMalformedJSON, "malformed JSON at offset %d: %v", se.Offset, se)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		field := te.Field
		if field == "" {
			field = "the body"
		}
		return errorf(http.StatusBadRequest, CodeWrongType, "%s: got JSON %s, want %s", field, te.Value, jsonTypeName(te.Type.Kind().String()))
	}
	if errors.Is(err, io.EOF) {
		return errorf(http.StatusBadRequest, CodeMalformedJSON, "request body is empty; send a JSON object")
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errorf(http.StatusBadRequest, CodeMalformedJSON, "request body ends inside a JSON value; send complete JSON")
	}
	// encoding/json has no typed error for an unknown field; its message is
	// `json: unknown field "name"` (a test pins this).
	if msg := err.Error(); strings.Contains(msg, "unknown field") {
		name := msg[strings.Index(msg, "unknown field")+len("unknown field"):]
		return errorf(http.StatusBadRequest, CodeUnknownField, "unknown field%s; remove it", name)
	}
	return errorf(http.StatusBadRequest, CodeMalformedJSON, "malformed JSON: %v", err)
}

func jsonTypeName(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer that fits in 64 bits"
	case "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "bool":
		return "true or false"
	}
	return kind
}

// checkDepth scans b for brackets outside strings and refuses nesting deeper
// than max. It does not validate JSON: the decoder does that next.
func checkDepth(b []byte, max int) error {
	depth, inString, escaped := 0, false, false
	for i, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > max {
				return errorf(http.StatusBadRequest, CodeTooDeep,
					"JSON nested deeper than %d levels at offset %d; flatten the request", max, i)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}
