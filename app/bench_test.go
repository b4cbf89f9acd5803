package app

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// benchServe sends the same request b.N times through the handler and
// reports the throughput of one core.
func benchServe(b *testing.B, target, contentType string, body []byte) {
	h := New(Config{Platform: PlatformContainer})
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func BenchmarkCheckout(b *testing.B) {
	cart := []byte(`{"items":[` +
		`{"sku":"TEA-1","quantity":2,"unit_price_cents":1299},` +
		`{"sku":"MUG-7","quantity":1,"unit_price_cents":850},` +
		`{"sku":"HONEY-250G","quantity":3,"unit_price_cents":675},` +
		`{"sku":"BISCUIT.ORANGE","quantity":4,"unit_price_cents":325},` +
		`{"sku":"GIFT_CARD-25","quantity":1,"unit_price_cents":2500}],` +
		`"discount_code":"SAVE10","region":"CA"}`)
	benchServe(b, "/checkout", "application/json", cart)
}

func BenchmarkThumbnail(b *testing.B) {
	benchServe(b, "/thumbnail?width=128", "image/jpeg", testImage(b, "jpeg", 1024, 768))
}
