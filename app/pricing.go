package app

import (
	"math"
	"math/bits"
	"net/http"
	"sort"
	"strings"
)

// Currency is the only currency the service prices in.
const Currency = "USD"

// discount is one entry of the fixed table of discount codes: either a
// percentage (in basis points, 1000 = 10%) or a fixed amount, applicable
// from a minimum subtotal.
type discount struct {
	PercentBP        int64
	AmountCents      int64
	MinSubtotalCents int64
}

// discountCodes is the fixed table of codes (matched case-insensitively).
var discountCodes = map[string]discount{
	"SAVE10":  {PercentBP: 1000},
	"SAVE25":  {PercentBP: 2500, MinSubtotalCents: 10000},
	"FIVEOFF": {AmountCents: 500, MinSubtotalCents: 2500},
}

// taxRegions maps a region (matched case-insensitively) to its sales-tax
// rate in basis points (725 = 7.25%).
var taxRegions = map[string]int64{
	"CA": 725,
	"NY": 400,
	"TX": 625,
	"WA": 650,
	"OR": 0,
}

// Quote is the priced cart, the body of a 200 from POST /checkout.
type Quote struct {
	Currency      string `json:"currency"`
	Region        string `json:"region"`
	TaxRateBP     int64  `json:"tax_rate_bp"`
	DiscountCode  string `json:"discount_code,omitempty"`
	Lines         []Line `json:"lines"`
	SubtotalCents int64  `json:"subtotal_cents"`
	DiscountCents int64  `json:"discount_cents"`
	TaxCents      int64  `json:"tax_cents"`
	TotalCents    int64  `json:"total_cents"`
}

// Line is one priced cart line.
type Line struct {
	SKU            string `json:"sku"`
	Quantity       int64  `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
	LineTotalCents int64  `json:"line_total_cents"`
}

// PriceCart prices a valid cart in integer cents:
//
//	line total = quantity × unit price
//	subtotal   = Σ line totals
//	discount   = subtotal × percent, or the fixed amount (never more than
//	             the subtotal), if subtotal ≥ the code's minimum
//	tax        = (subtotal − discount) × region rate
//	total      = subtotal − discount + tax
//
// Rounding: percentages are computed exactly on 128-bit integers and
// rounded once, half up (x.5 cents → x+1; amounts are never negative, so
// this is also half away from zero). Every step is overflow-checked: an
// amount beyond int64 cents is a 422 amount_overflow.
//
// Discount codes (case-insensitive): SAVE10 10% off; SAVE25 25% off from a
// 100.00 subtotal; FIVEOFF 5.00 off from a 25.00 subtotal. A code below its
// minimum is a 422 discount_not_applicable, an unknown one a 400.
//
// Tax regions (required, case-insensitive), in basis points: CA 725, NY 400,
// TX 625, WA 650, OR 0. An unknown region is a 400 unknown_region.
func PriceCart(c Cart) (Quote, error) {
	if err := c.Validate(); err != nil {
		return Quote{}, err
	}
	region := strings.ToUpper(strings.TrimSpace(c.Region))
	rate, ok := taxRegions[region]
	if !ok {
		return Quote{}, errorf(http.StatusBadRequest, CodeUnknownRegion,
			"unknown region %q; use one of %s", truncate(c.Region, 32), regionList())
	}
	q := Quote{Currency: Currency, Region: region, TaxRateBP: rate, Lines: make([]Line, len(c.Items))}
	for i, it := range c.Items {
		total, ok := mul(it.Quantity, it.UnitPriceCents)
		if !ok {
			return Quote{}, overflow("items[%d]: %d × %d cents", i, it.Quantity, it.UnitPriceCents)
		}
		if q.SubtotalCents, ok = add(q.SubtotalCents, total); !ok {
			return Quote{}, overflow("the subtotal at items[%d]", i)
		}
		q.Lines[i] = Line{SKU: it.SKU, Quantity: it.Quantity, UnitPriceCents: it.UnitPriceCents, LineTotalCents: total}
	}
	if err := q.applyDiscount(c.DiscountCode); err != nil {
		return Quote{}, err
	}
	taxable := q.SubtotalCents - q.DiscountCents
	if q.TaxCents, ok = percentHalfUp(taxable, rate); !ok {
		return Quote{}, overflow("the tax on %d cents", taxable)
	}
	if q.TotalCents, ok = add(taxable, q.TaxCents); !ok {
		return Quote{}, overflow("the total: %d + %d tax cents", taxable, q.TaxCents)
	}
	return q, nil
}

// applyDiscount sets the discount of a code (none when blank) on the subtotal.
func (q *Quote) applyDiscount(raw string) error {
	code := strings.ToUpper(strings.TrimSpace(raw))
	if code == "" {
		return nil
	}
	d, ok := discountCodes[code]
	if !ok {
		return errorf(http.StatusBadRequest, CodeUnknownDiscount,
			"unknown discount code %q; use one of %s or leave it out", truncate(raw, 32), codeList())
	}
	if q.SubtotalCents < d.MinSubtotalCents {
		return errorf(http.StatusUnprocessableEntity, CodeDiscountNotApplicable,
			"discount code %s needs a subtotal of at least %d cents; the subtotal is %d", code, d.MinSubtotalCents, q.SubtotalCents)
	}
	q.DiscountCode = code
	q.DiscountCents = d.AmountCents
	if d.PercentBP > 0 {
		if q.DiscountCents, ok = percentHalfUp(q.SubtotalCents, d.PercentBP); !ok {
			return overflow("the discount")
		}
	}
	// A discount never makes the price negative.
	q.DiscountCents = min(q.DiscountCents, q.SubtotalCents)
	return nil
}

func overflow(format string, args ...any) *Error {
	e := errorf(http.StatusUnprocessableEntity, CodeAmountOverflow, format, args...)
	e.Message += " exceeds the largest amount this service prices; split the order"
	return e
}

// mul multiplies two non-negative amounts, reporting overflow.
func mul(a, b int64) (int64, bool) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	return int64(lo), true
}

// add adds two non-negative amounts, reporting overflow.
func add(a, b int64) (int64, bool) {
	s, carry := bits.Add64(uint64(a), uint64(b), 0)
	if carry != 0 || s > math.MaxInt64 {
		return 0, false
	}
	return int64(s), true
}

// percentHalfUp returns amount × bp / 10000 rounded half up, for
// non-negative amount and bp, reporting overflow. The product is kept in
// 128 bits, so only a result beyond int64 can overflow.
func percentHalfUp(amount, bp int64) (int64, bool) {
	hi, lo := bits.Mul64(uint64(amount), uint64(bp))
	// Adding half the divisor before dividing rounds half up.
	lo, carry := bits.Add64(lo, 5000, 0)
	hi += carry
	if hi >= 10000 { // the quotient would not fit 64 bits (and Div64 would panic)
		return 0, false
	}
	q, _ := bits.Div64(hi, lo, 10000)
	if q > math.MaxInt64 {
		return 0, false
	}
	return int64(q), true
}

func regionList() string { return keyList(taxRegions) }
func codeList() string   { return keyList(discountCodes) }

func keyList[V any](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}
