package app

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// clientError fails t unless err is an *Error with a 4xx status.
func clientError(t *testing.T, err error) {
	t.Helper()
	e, ok := errors.AsType[*Error](err)
	if !ok {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Status < 400 || e.Status > 499 || e.Code == "" || e.Message == "" {
		t.Fatalf("error %+v is not a 4xx with a code and a message", e)
	}
}

func FuzzParseCart(f *testing.F) {
	for _, s := range []string{
		`{"items":[{"sku":"TEA-1","quantity":2,"unit_price_cents":1299}],"discount_code":"SAVE10","region":"CA"}`,
		`{"items":[{"sku":"A","quantity":10000,"unit_price_cents":9223372036854775807}],"region":"CA"}`,
		`{"items":[{"sku":"A","quantity":1,"unit_price_cents":2500}],"discount_code":"fiveoff","region":"wa"}`,
		`{"items":[{"sku":"A","quantity":1,"unit_price_cents":1}],"discount_code":"SAVE25","region":"OR"}`,
		`{"items":[],"region":"CA"}`,
		`{"items":[{"sku":"A","quantity":"1"}]}`,
		`{"items":[{"sku":"A","quantity":1}],"region":"CA"} {}`,
		`[[[[[[[[[[[[]]]]]]]]]]]]`,
		`{"items":[{"sku":"\u00e9\"[","quantity":1e3}],"x":null}`,
		``,
		`null`,
	} {
		f.Add([]byte(s))
	}
	h := New(Config{})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCart(bytes.NewReader(data))
		if err == nil {
			var q Quote
			if q, err = PriceCart(c); err == nil {
				checkQuote(t, c, q)
			}
		}
		if err != nil {
			clientError(t, err)
		}
		// The handler agrees, and never answers 5xx.
		status, _, body := serve(t, h, "POST", "/checkout", "application/json", data)
		if (status == 200) != (err == nil) || status >= 500 {
			t.Fatalf("handler answered %d (%s), the functions said %v", status, body, err)
		}
	})
}

// checkQuote asserts the invariants of every successful price.
func checkQuote(t *testing.T, c Cart, q Quote) {
	t.Helper()
	var sum int64
	for i, l := range q.Lines {
		if l.LineTotalCents < 0 || l.LineTotalCents/l.Quantity != c.Items[i].UnitPriceCents {
			t.Fatalf("line %d = %+v", i, l)
		}
		sum += l.LineTotalCents
	}
	if sum != q.SubtotalCents || q.DiscountCents < 0 || q.DiscountCents > q.SubtotalCents || q.TaxCents < 0 ||
		q.TotalCents != q.SubtotalCents-q.DiscountCents+q.TaxCents || q.TotalCents < 0 {
		t.Fatalf("inconsistent quote %+v", q)
	}
}

func FuzzThumbnail(f *testing.F) {
	gray := image.NewGray(image.Rect(0, 0, 9, 5))
	pal := image.NewPaletted(image.Rect(0, 0, 6, 6), color.Palette{color.Black, color.White})
	wide := image.NewNRGBA64(image.Rect(0, 0, 7, 3))
	seeds := [][]byte{
		testImage(f, "png", 16, 12),
		testImage(f, "jpeg", 24, 16),
		pngHeader(50000, 50000, 6, 8),
		pngHeader(1, 3000, 0, 8),
		[]byte("not an image"),
	}
	for _, img := range []image.Image{gray, pal, wide} {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b.Bytes())
	}
	for i, s := range seeds {
		f.Add(s, int16(4+i))
	}
	f.Add(seeds[0], int16(0))
	f.Add(seeds[1], int16(-5))
	f.Add(seeds[1], int16(2000))
	// Small limits keep each run cheap; the checks are the same code.
	lim := thumbLimits{bytes: 64 << 10, pixels: 1 << 16, decoded: 1 << 18}
	f.Fuzz(func(t *testing.T, data []byte, width int16) {
		out, err := lim.thumbnail(bytes.NewReader(data), int(width))
		if err != nil {
			clientError(t, err)
			return
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil || int64(cfg.Width)*int64(cfg.Height) > lim.pixels || len(data) > int(lim.bytes) {
			t.Fatalf("accepted an image beyond the limits: %+v (%v), %d bytes", cfg, err, len(data))
		}
		th, err := png.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("result is not a PNG: %v", err)
		}
		if b := th.Bounds(); b.Dx() != int(width) || b.Dy() < 1 || b.Dy() > MaxThumbnailHeight {
			t.Fatalf("thumbnail is %v for width %d", b, width)
		}
	})
}
