package app

import (
	"errors"
	"math"
	"testing"
)

func TestPriceCart(t *testing.T) {
	tea := Item{SKU: "TEA-1", Quantity: 2, UnitPriceCents: 1299}
	mug := Item{SKU: "MUG-7", Quantity: 1, UnitPriceCents: 850}
	tests := []struct {
		name                               string
		cart                               Cart
		subtotal, discount, tax, total, bp int64
		code, region                       string
	}{
		// 3448 subtotal; 10% = 344.8 → 345; 3103 × 7.25% = 224.9675 → 225.
		{"percent code and tax", Cart{Items: []Item{tea, mug}, DiscountCode: "SAVE10", Region: "CA"}, 3448, 345, 225, 3328, 725, "SAVE10", "CA"},
		{"no code", Cart{Items: []Item{tea}, Region: "NY"}, 2598, 0, 104, 2702, 400, "", "NY"}, // 103.92 → 104
		{"zero-tax region", Cart{Items: []Item{tea}, Region: "OR"}, 2598, 0, 0, 2598, 0, "", "OR"},
		{"case and spaces are normalised", Cart{Items: []Item{tea}, DiscountCode: " save10 ", Region: " tx "}, 2598, 260, 146, 2484, 625, "SAVE10", "TX"},
		{"fixed amount at its minimum", Cart{Items: []Item{{SKU: "A", Quantity: 1, UnitPriceCents: 2500}}, DiscountCode: "FIVEOFF", Region: "WA"}, 2500, 500, 130, 2130, 650, "FIVEOFF", "WA"},
		{"25% from 100.00", Cart{Items: []Item{{SKU: "A", Quantity: 4, UnitPriceCents: 2500}}, DiscountCode: "SAVE25", Region: "OR"}, 10000, 2500, 0, 7500, 0, "SAVE25", "OR"},
		{"free items", Cart{Items: []Item{{SKU: "A", Quantity: 3, UnitPriceCents: 0}}, DiscountCode: "SAVE10", Region: "CA"}, 0, 0, 0, 0, 725, "SAVE10", "CA"},
		{"largest line", Cart{Items: []Item{{SKU: "A", Quantity: 1, UnitPriceCents: math.MaxInt64}}, Region: "OR"}, math.MaxInt64, 0, 0, math.MaxInt64, 0, "", "OR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := PriceCart(tt.cart)
			if err != nil {
				t.Fatalf("PriceCart: %v", err)
			}
			got := [5]int64{q.SubtotalCents, q.DiscountCents, q.TaxCents, q.TotalCents, q.TaxRateBP}
			want := [5]int64{tt.subtotal, tt.discount, tt.tax, tt.total, tt.bp}
			if got != want {
				t.Errorf("subtotal, discount, tax, total, bp = %v, want %v", got, want)
			}
			if q.DiscountCode != tt.code || q.Region != tt.region || q.Currency != "USD" {
				t.Errorf("echo = %q %q %q, want %q %q USD", q.DiscountCode, q.Region, q.Currency, tt.code, tt.region)
			}
			if len(q.Lines) != len(tt.cart.Items) {
				t.Fatalf("%d lines, want %d", len(q.Lines), len(tt.cart.Items))
			}
			var sum int64
			for i, l := range q.Lines {
				it := tt.cart.Items[i]
				if l.SKU != it.SKU || l.Quantity != it.Quantity || l.UnitPriceCents != it.UnitPriceCents || l.LineTotalCents != it.Quantity*it.UnitPriceCents {
					t.Errorf("line %d = %+v for item %+v", i, l, it)
				}
				sum += l.LineTotalCents
			}
			if sum != q.SubtotalCents {
				t.Errorf("lines sum to %d, subtotal %d", sum, q.SubtotalCents)
			}
		})
	}
}

func TestPriceCartErrors(t *testing.T) {
	one := []Item{{SKU: "A", Quantity: 1, UnitPriceCents: 100}}
	max := int64(math.MaxInt64)
	tests := []struct {
		name   string
		cart   Cart
		status int
		code   string
	}{
		{"unknown region", Cart{Items: one, Region: "ZZ"}, 400, CodeUnknownRegion},
		{"missing region", Cart{Items: one}, 400, CodeMissingRegion},
		{"blank region", Cart{Items: one, Region: "  "}, 400, CodeMissingRegion},
		{"unknown code", Cart{Items: one, Region: "CA", DiscountCode: "FREE"}, 400, CodeUnknownDiscount},
		{"code below its minimum", Cart{Items: one, Region: "CA", DiscountCode: "FIVEOFF"}, 422, CodeDiscountNotApplicable},
		{"line overflows", Cart{Items: []Item{{SKU: "A", Quantity: 2, UnitPriceCents: max/2 + 1}}, Region: "OR"}, 422, CodeAmountOverflow},
		{"subtotal overflows", Cart{Items: []Item{{SKU: "A", Quantity: 1, UnitPriceCents: max}, {SKU: "B", Quantity: 1, UnitPriceCents: 1}}, Region: "OR"}, 422, CodeAmountOverflow},
		{"total with tax overflows", Cart{Items: []Item{{SKU: "A", Quantity: 1, UnitPriceCents: max}}, Region: "CA"}, 422, CodeAmountOverflow},
		{"empty", Cart{Region: "CA"}, 400, CodeEmptyCart},
		{"zero quantity", Cart{Items: []Item{{SKU: "A"}}, Region: "CA"}, 400, CodeInvalidQuantity},
		{"negative quantity", Cart{Items: []Item{{SKU: "A", Quantity: -1}}, Region: "CA"}, 400, CodeInvalidQuantity},
		{"quantity above cap", Cart{Items: []Item{{SKU: "A", Quantity: MaxQuantity + 1}}, Region: "CA"}, 400, CodeInvalidQuantity},
		{"negative price", Cart{Items: []Item{{SKU: "A", Quantity: 1, UnitPriceCents: -1}}, Region: "CA"}, 400, CodeInvalidPrice},
		{"empty sku", Cart{Items: []Item{{Quantity: 1}}, Region: "CA"}, 400, CodeInvalidSKU},
		{"sku with space", Cart{Items: []Item{{SKU: "A B", Quantity: 1}}, Region: "CA"}, 400, CodeInvalidSKU},
		{"too many lines", Cart{Items: make([]Item, MaxLines+1), Region: "CA"}, 400, CodeTooManyLines},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PriceCart(tt.cart)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("PriceCart error = %v, want *Error", err)
			}
			if e.Status != tt.status || e.Code != tt.code {
				t.Errorf("got %d %s (%s), want %d %s", e.Status, e.Code, e.Message, tt.status, tt.code)
			}
		})
	}
}

func TestPercentHalfUp(t *testing.T) {
	tests := []struct {
		amount, bp, want int64
		ok               bool
	}{
		{100, 1000, 10, true},
		{5, 1000, 1, true},     // 0.5 → 1: a tie rounds up
		{4, 1000, 0, true},     // 0.4 → 0
		{12, 1250, 2, true},    // 1.5 → 2
		{11, 1250, 1, true},    // 1.375 → 1
		{3103, 725, 225, true}, // 224.9675 → 225
		{2000, 725, 145, true}, // exactly 145
		{0, 725, 0, true},
		{math.MaxInt64, 10000, math.MaxInt64, true}, // 100% of the largest amount
		{math.MaxInt64, 5000, 1 << 62, true},        // (2^63-1)/2 = 2^62 - 0.5 → 2^62
		{math.MaxInt64, 10001, 0, false},            // beyond int64
		{math.MaxInt64, math.MaxInt64, 0, false},    // quotient beyond 64 bits: no Div64 panic
	}
	for _, tt := range tests {
		got, ok := percentHalfUp(tt.amount, tt.bp)
		if got != tt.want || ok != tt.ok {
			t.Errorf("percentHalfUp(%d, %d) = %d, %v; want %d, %v", tt.amount, tt.bp, got, ok, tt.want, tt.ok)
		}
	}
}
