package app

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseCart(t *testing.T) {
	c, err := ParseCart(strings.NewReader(`{"items":[{"sku":"TEA-1","quantity":2,"unit_price_cents":1299}],"discount_code":"SAVE10","region":"CA"}`))
	if err != nil {
		t.Fatalf("ParseCart: %v", err)
	}
	want := Cart{Items: []Item{{SKU: "TEA-1", Quantity: 2, UnitPriceCents: 1299}}, DiscountCode: "SAVE10", Region: "CA"}
	if c.Region != want.Region || c.DiscountCode != want.DiscountCode || len(c.Items) != 1 || c.Items[0] != want.Items[0] {
		t.Errorf("ParseCart = %+v, want %+v", c, want)
	}
}

func TestParseCartErrors(t *testing.T) {
	item := `{"sku":"A","quantity":1,"unit_price_cents":100}`
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"empty body", ``, 400, CodeMalformedJSON},
		{"syntax error", `{"items":[}`, 400, CodeMalformedJSON},
		{"truncated", `{"items":[` + item, 400, CodeMalformedJSON},
		{"unknown field", `{"items":[` + item + `],"region":"CA","coupon":"X"}`, 400, CodeUnknownField},
		{"unknown item field", `{"items":[{"sku":"A","quantity":1,"price":1}],"region":"CA"}`, 400, CodeUnknownField},
		{"string quantity", `{"items":[{"sku":"A","quantity":"1"}],"region":"CA"}`, 400, CodeWrongType},
		{"fractional quantity", `{"items":[{"sku":"A","quantity":1.5}],"region":"CA"}`, 400, CodeWrongType},
		{"quantity beyond int64", `{"items":[{"sku":"A","quantity":99999999999999999999}],"region":"CA"}`, 400, CodeWrongType},
		{"items not an array", `{"items":{},"region":"CA"}`, 400, CodeWrongType},
		{"body not an object", `[1]`, 400, CodeWrongType},
		{"trailing object", `{"items":[` + item + `],"region":"CA"} {}`, 400, CodeTrailingData},
		{"trailing garbage", `{"items":[` + item + `],"region":"CA"}x`, 400, CodeTrailingData},
		{"too deep", `{"items":[{"sku":[[[[[[[[1]]]]]]]]}]}`, 400, CodeTooDeep},
		{"brackets in strings do not count", `{"items":[],"region":"[[[[[[[[[[[[["}`, 400, CodeEmptyCart},
		{"null cart", `null`, 400, CodeEmptyCart},
		{"zero quantity", `{"items":[{"sku":"A","quantity":0}],"region":"CA"}`, 400, CodeInvalidQuantity},
		{"negative quantity", `{"items":[{"sku":"A","quantity":-3}],"region":"CA"}`, 400, CodeInvalidQuantity},
		{"huge quantity", `{"items":[{"sku":"A","quantity":10001}],"region":"CA"}`, 400, CodeInvalidQuantity},
		{"missing region", `{"items":[` + item + `]}`, 400, CodeMissingRegion},
		{"over the size limit", `{"items":[` + item + `],"region":"CA","discount_code":"` + strings.Repeat("x", MaxCheckoutBytes) + `"}`, 413, CodeBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCart(strings.NewReader(tt.body))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("ParseCart error = %v, want *Error", err)
			}
			if e.Status != tt.status || e.Code != tt.code {
				t.Errorf("got %d %s (%s), want %d %s", e.Status, e.Code, e.Message, tt.status, tt.code)
			}
			if e.Message == "" {
				t.Error("empty message")
			}
		})
	}
}

// endless is a body that never ends, counting what was read from it.
type endless struct{ n int64 }

func (r *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	r.n += int64(len(p))
	return len(p), nil
}

func TestParseCartBoundedRead(t *testing.T) {
	r := &endless{}
	_, err := ParseCart(r)
	if e, ok := errors.AsType[*Error](err); !ok || e.Code != CodeBodyTooLarge {
		t.Fatalf("ParseCart(endless) = %v, want body_too_large", err)
	}
	// io.ReadAll may ask for a little more than it gets, never unbounded.
	if r.n > 2*MaxCheckoutBytes {
		t.Errorf("read %d bytes from an endless body, limit %d", r.n, MaxCheckoutBytes)
	}
}

func TestUnknownFieldNamesTheField(t *testing.T) {
	// Pins encoding/json's message, which jsonError parses.
	_, err := ParseCart(strings.NewReader(`{"bogus":1}`))
	if e, ok := errors.AsType[*Error](err); !ok || !strings.Contains(e.Message, `"bogus"`) {
		t.Fatalf("error = %v, want it to name \"bogus\"", err)
	}
}

func TestCheckDepth(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		fail bool
	}{
		{`{"a":[1]}`, 2, false},
		{`{"a":[[1]]}`, 2, true},
		{`["\"[[[["]`, 1, false},   // escaped quote does not end the string
		{`["\\", [[1]]]`, 2, true}, // an escaped backslash does
		{`]]]]{}`, 1, false},       // unbalanced input is left to the decoder
	}
	for _, tt := range tests {
		err := checkDepth([]byte(tt.in), tt.max)
		if (err != nil) != tt.fail {
			t.Errorf("checkDepth(%s, %d) = %v, want failure %v", tt.in, tt.max, err, tt.fail)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestParseCartReadErrors(t *testing.T) {
	tests := []struct {
		name   string
		r      io.Reader
		status int
		code   string
	}{
		{"read fails", failingReader{}, 400, CodeUnreadableBody},
		// A caller's own, tighter http.MaxBytesReader is reported as 413 too.
		{"caller's byte limit", http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader(`{"items":[]}`)), 4), 413, CodeBodyTooLarge},
	}
	for _, tt := range tests {
		_, err := ParseCart(tt.r)
		if e, ok := errors.AsType[*Error](err); !ok || e.Status != tt.status || e.Code != tt.code {
			t.Errorf("%s: error %v, want %d %s", tt.name, err, tt.status, tt.code)
		}
	}
}
