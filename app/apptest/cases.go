package apptest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"strings"
	"time"
)

const (
	jsonType   = "application/json"
	ndjsonType = "application/x-ndjson"
)

// Cases returns the behaviour table for an instance on platform. It takes
// well under a second in process; the slowest row is a 0.2 s job.
func Cases(platform string) []Case {
	var cs []Case
	cs = append(cs, basicCases(platform)...)
	cs = append(cs, checkoutCases()...)
	cs = append(cs, thumbnailCases()...)
	cs = append(cs, jobCases()...)
	return cs
}

func basicCases(platform string) []Case {
	return []Case{
		{
			Name: "healthz", Method: "GET", Path: "/healthz",
			WantStatus: 200, WantContentType: jsonType,
			WantJSON: map[string]any{"status": "ok"},
		},
		{
			// Only fields that hold on any instance in any state: the
			// table runs in any order, on fresh and warm instances.
			Name: "whoami", Method: "GET", Path: "/whoami",
			WantStatus: 200, WantContentType: jsonType,
			WantJSON: map[string]any{"platform": platform},
			Check:    checkWhoami,
		},
		{
			Name: "unknown route", Method: "GET", Path: "/no-such-route",
			WantStatus: 404, WantContentType: jsonType,
			WantJSON: map[string]any{"error.code": "not_found"},
		},
		{
			Name: "wrong method", Method: "DELETE", Path: "/checkout",
			WantStatus: 405, WantContentType: jsonType,
			WantHeader: map[string]string{"Allow": "POST"},
			WantJSON:   map[string]any{"error.code": "method_not_allowed"},
		},
	}
}

func checkWhoami(_ string, _ *http.Response, body []byte) error {
	var w struct {
		InstanceID     string `json:"instance_id"`
		StartedAt      string `json:"started_at"`
		UptimeMS       *int64 `json:"uptime_ms"`
		Cold           *bool  `json:"cold"`
		RequestsServed int64  `json:"requests_served"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return fmt.Errorf("whoami: %w", err)
	}
	var errs []error
	if w.InstanceID == "" {
		errs = append(errs, errors.New("instance_id is empty"))
	}
	if _, err := time.Parse(time.RFC3339, w.StartedAt); err != nil {
		errs = append(errs, fmt.Errorf("started_at: %w", err))
	}
	if w.UptimeMS == nil || *w.UptimeMS < 0 {
		errs = append(errs, errors.New("uptime_ms missing or negative"))
	}
	if w.Cold == nil {
		errs = append(errs, errors.New("cold missing"))
	}
	if w.RequestsServed < 1 {
		errs = append(errs, fmt.Errorf("requests_served = %d, want ≥ 1 (this request counts)", w.RequestsServed))
	}
	return errors.Join(errs...)
}

// item is one valid cart line, to build the bad carts around.
const item = `{"sku":"TEA-1","quantity":1,"unit_price_cents":100}`

func checkoutCases() []Case {
	jsonHeader := map[string]string{"Content-Type": jsonType}
	bad := func(name, body string, status int, code string, mentions ...string) Case {
		return Case{
			Name: "checkout " + name, Method: "POST", Path: "/checkout",
			Header: jsonHeader, Body: []byte(body),
			WantStatus: status, WantContentType: jsonType,
			WantJSON: map[string]any{"error.code": code},
			Check:    messageMentions(mentions...),
		}
	}
	lines := strings.TrimSuffix(strings.Repeat(item+",", 101), ",")
	return []Case{
		{
			// 2×12.99 + 8.50 = 34.48; SAVE10 takes 3.448 → 3.45 (half up);
			// CA tax is 7.25% of 31.03 = 2.249675 → 2.25; total 33.28.
			Name: "checkout with discount and tax", Method: "POST", Path: "/checkout",
			Header:     jsonHeader,
			Body:       []byte(`{"items":[{"sku":"TEA-1","quantity":2,"unit_price_cents":1299},{"sku":"MUG-7","quantity":1,"unit_price_cents":850}],"discount_code":"SAVE10","region":"CA"}`),
			WantStatus: 200, WantContentType: jsonType,
			WantJSON: map[string]any{
				"currency": "USD", "region": "CA", "discount_code": "SAVE10", "tax_rate_bp": 725,
				"lines.0.sku": "TEA-1", "lines.0.quantity": 2, "lines.0.unit_price_cents": 1299, "lines.0.line_total_cents": 2598,
				"lines.1.sku": "MUG-7", "lines.1.line_total_cents": 850,
				"subtotal_cents": 3448, "discount_cents": 345, "tax_cents": 225, "total_cents": 3328,
			},
		},
		bad("malformed JSON", `{"items":[`+item+`,]}`, 400, "malformed_json"),
		bad("unknown field", `{"items":[`+item+`],"region":"CA","coupon":"X"}`, 400, "unknown_field", "coupon"),
		bad("wrong type", `{"items":[{"sku":"TEA-1","quantity":"2","unit_price_cents":100}],"region":"CA"}`, 400, "wrong_type", "quantity"),
		bad("trailing data", `{"items":[`+item+`],"region":"CA"}{}`, 400, "trailing_data"),
		bad("zero quantity", `{"items":[{"sku":"TEA-1","quantity":0,"unit_price_cents":100}],"region":"CA"}`, 400, "invalid_quantity"),
		bad("negative quantity", `{"items":[{"sku":"TEA-1","quantity":-1,"unit_price_cents":100}],"region":"CA"}`, 400, "invalid_quantity"),
		bad("huge quantity", `{"items":[{"sku":"TEA-1","quantity":10001,"unit_price_cents":100}],"region":"CA"}`, 400, "invalid_quantity"),
		bad("negative price", `{"items":[{"sku":"TEA-1","quantity":1,"unit_price_cents":-5}],"region":"CA"}`, 400, "invalid_price"),
		bad("empty cart", `{"items":[],"region":"CA"}`, 400, "empty_cart"),
		bad("too many lines", `{"items":[`+lines+`],"region":"CA"}`, 400, "too_many_lines"),
		bad("missing region", `{"items":[`+item+`]}`, 400, "missing_region"),
		bad("unknown region", `{"items":[`+item+`],"region":"ZZ"}`, 400, "unknown_region", "ZZ"),
		bad("unknown discount code", `{"items":[`+item+`],"region":"CA","discount_code":"BOGUS"}`, 400, "unknown_discount_code", "BOGUS"),
		bad("discount below its minimum", `{"items":[`+item+`],"region":"CA","discount_code":"FIVEOFF"}`, 422, "discount_not_applicable"),
		bad("total overflows", `{"items":[{"sku":"TEA-1","quantity":2,"unit_price_cents":9223372036854775807}],"region":"CA"}`, 422, "amount_overflow"),
		bad("deep nesting", `{"items":[{"sku":[[[[[[[[[[["x"]]]]]]]]]]]}],"region":"CA"}`, 400, "too_deep"),
		bad("body over 64 KiB", `{"items":[`+item+`],"region":"CA","discount_code":"`+strings.Repeat("x", 64<<10)+`"}`, 413, "body_too_large"),
		{
			Name: "checkout wrong content type", Method: "POST", Path: "/checkout",
			Header: map[string]string{"Content-Type": "text/plain"}, Body: []byte(`{"items":[` + item + `],"region":"CA"}`),
			WantStatus: 415, WantContentType: jsonType,
			WantJSON: map[string]any{"error.code": "unsupported_media_type"},
		},
	}
}

// messageMentions checks that error.message names each of words.
func messageMentions(words ...string) func(string, *http.Response, []byte) error {
	if len(words) == 0 {
		return nil
	}
	return func(_ string, _ *http.Response, body []byte) error {
		var e struct{ Error struct{ Message string } }
		_ = json.Unmarshal(body, &e) // a non-JSON body already failed WantJSON
		for _, w := range words {
			if !strings.Contains(e.Error.Message, w) {
				return fmt.Errorf("error.message %q does not name %q", e.Error.Message, w)
			}
		}
		return nil
	}
}

func thumbnailCases() []Case {
	pngHeader := map[string]string{"Content-Type": "image/png"}
	small := Image("png", 64, 48)
	bad := func(name, path string, body []byte, status int, code string) Case {
		return Case{
			Name: "thumbnail " + name, Method: "POST", Path: path,
			Header: pngHeader, Body: body,
			WantStatus: status, WantContentType: jsonType,
			WantJSON: map[string]any{"error.code": code},
		}
	}
	return []Case{
		{
			Name: "thumbnail of a PNG", Method: "POST", Path: "/thumbnail?width=32",
			Header: pngHeader, Body: small,
			WantStatus: 200, WantContentType: "image/png",
			Check: pngSized(32, 24),
		},
		{
			Name: "thumbnail of a JPEG", Method: "POST", Path: "/thumbnail?width=40",
			Header: map[string]string{"Content-Type": "image/jpeg"}, Body: Image("jpeg", 80, 60),
			WantStatus: 200, WantContentType: "image/png",
			Check: pngSized(40, 30),
		},
		bad("width 0", "/thumbnail?width=0", small, 400, "invalid_width"),
		bad("width over 1024", "/thumbnail?width=1025", small, 400, "invalid_width"),
		bad("of text", "/thumbnail?width=32", []byte("this is not an image"), 415, "unsupported_image_format"),
		bad("of a truncated PNG", "/thumbnail?width=32", small[:len(small)/2], 422, "invalid_image"),
		// 50000×50000 claimed in 33 bytes: refused from the header alone.
		bad("of a decompression bomb", "/thumbnail?width=32", PNGHeader(50000, 50000), 422, "too_many_pixels"),
	}
}

// pngSized checks that the body is a PNG of exactly w×h pixels.
func pngSized(w, h int) func(string, *http.Response, []byte) error {
	return func(_ string, _ *http.Response, body []byte) error {
		cfg, err := png.DecodeConfig(bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("body is not a PNG: %w", err)
		}
		if cfg.Width != w || cfg.Height != h {
			return fmt.Errorf("thumbnail is %d×%d, want %d×%d", cfg.Width, cfg.Height, w, h)
		}
		return nil
	}
}

func jobCases() []Case {
	jsonHeader := map[string]string{"Content-Type": jsonType}
	return []Case{
		{
			Name: "job of 0.2 s", Method: "POST", Path: "/jobs",
			Header: jsonHeader, Body: []byte(`{"seconds":0.2}`),
			WantStatus: 200, WantContentType: ndjsonType,
			WantJSON: map[string]any{"done": true, "steps": 2, "seconds": 0.2},
			Check:    jobLines(2),
		},
		{
			Name: "job over 900 s", Method: "POST", Path: "/jobs",
			Header: jsonHeader, Body: []byte(`{"seconds":901}`),
			WantStatus: 400, WantContentType: jsonType,
			WantJSON: map[string]any{"error.code": "invalid_duration"},
		},
	}
}

// jobLines checks the NDJSON stream: steps progress lines numbered 1..steps
// with done false, then one summary with done true and a digest.
func jobLines(steps int) func(string, *http.Response, []byte) error {
	return func(_ string, _ *http.Response, body []byte) error {
		sc := bufio.NewScanner(bytes.NewReader(body))
		var n int
		for sc.Scan() {
			n++
			var l struct {
				Step   int    `json:"step"`
				Done   bool   `json:"done"`
				Digest string `json:"digest"`
			}
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				return fmt.Errorf("line %d is not JSON: %w", n, err)
			}
			switch {
			case n <= steps && (l.Step != n || l.Done):
				return fmt.Errorf("line %d = %s, want progress step %d", n, sc.Bytes(), n)
			case n == steps+1 && (!l.Done || len(l.Digest) != 64):
				return fmt.Errorf("line %d = %s, want the summary", n, sc.Bytes())
			}
		}
		if n != steps+1 {
			return fmt.Errorf("%d lines, want %d progress lines and a summary", n, steps)
		}
		return nil
	}
}
