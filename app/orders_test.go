package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeStore records the orders it is given and answers with err.
type fakeStore struct {
	err    error
	placed []Order
}

func (f *fakeStore) PlaceOrder(_ context.Context, o Order) (OrderID, error) {
	if f.err != nil {
		return "", f.err
	}
	f.placed = append(f.placed, o)
	return OrderID(fmt.Sprintf("ord-%d", len(f.placed))), nil
}

func TestOrders(t *testing.T) {
	const cart = `{"items":[{"sku":"TEA-1","quantity":2,"unit_price_cents":1000}],"region":"CA"}`
	tests := []struct {
		name, body, ctype string
		storeErr          error
		status            int
		code              string // error code, or "" for a receipt
		stored            int
	}{
		{"stored", cart, "application/json", nil, http.StatusCreated, "", 1},
		{"database refuses", cart, "application/json", fmt.Errorf("acquire: %w", ErrStoreUnavailable), http.StatusServiceUnavailable, CodeDatabaseUnavailable, 0},
		{"other store error is a bug", cart, "application/json", errors.New("syntax error at or near"), http.StatusInternalServerError, CodeInternal, 0},
		{"malformed body", `{"items":[`, "application/json", nil, http.StatusBadRequest, CodeMalformedJSON, 0},
		{"unknown region", strings.Replace(cart, "CA", "XX", 1), "application/json", nil, http.StatusBadRequest, CodeUnknownRegion, 0},
		{"wrong media type", cart, "text/plain", nil, http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{err: tt.storeErr}
			h := New(Config{Platform: "test", Orders: store, Logger: discardLogger()})
			req := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.ctype)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if len(store.placed) != tt.stored {
				t.Errorf("stored %d orders, want %d", len(store.placed), tt.stored)
			}
			if tt.code != "" {
				var e errorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == nil || e.Error.Code != tt.code {
					t.Errorf("body %s (%v), want code %s", rec.Body, err, tt.code)
				}
				if tt.status == http.StatusServiceUnavailable && rec.Header().Get("Retry-After") == "" {
					t.Error("503 without Retry-After")
				}
				return
			}
			var got OrderReceipt
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("decode %s: %v", rec.Body, err)
			}
			// 2 × 10.00 in CA: the receipt's total is PriceCart's.
			q, _ := PriceCart(store.placed[0].Cart)
			if got.OrderID != "ord-1" || got.TotalCents != q.TotalCents || got.TotalCents <= 2000 || store.placed[0].TotalCents != q.TotalCents {
				t.Errorf("receipt %+v, stored %+v, want ord-1 with total %d", got, store.placed[0], q.TotalCents)
			}
		})
	}
}

// Without a store the route does not exist: the shared JSON 404.
func TestOrdersWithoutStoreIs404(t *testing.T) {
	h := New(Config{Platform: "test"})
	req := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), CodeNotFound) {
		t.Errorf("got %d %s, want the JSON 404", rec.Code, rec.Body)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
