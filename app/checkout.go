package app

import (
	"io"
	"net/http"
	"strings"
)

// Limits on a cart. They keep a request's cost small and bounded; amounts
// are not capped (beyond int64), so overflow is checked when pricing.
const (
	MaxCheckoutBytes = 64 << 10 // request body
	MaxLines         = 100
	MaxQuantity      = 10000
	MaxSKULength     = 64
)

// Cart is the body of POST /checkout.
type Cart struct {
	Items []Item `json:"items"`
	// DiscountCode is optional; see PriceCart for the codes.
	DiscountCode string `json:"discount_code,omitempty"`
	// Region is required: tax depends on it, and guessing a default
	// would silently misprice. See PriceCart for the regions.
	Region string `json:"region"`
}

// Item is one cart line. Amounts are integer cents.
type Item struct {
	SKU            string `json:"sku"`
	Quantity       int64  `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
}

// ParseCart reads a cart from r: at most MaxCheckoutBytes of one JSON object,
// nested at most MaxJSONDepth deep, with no unknown fields and no trailing
// data, then validated (see Cart.Validate). Every problem is an *Error.
func ParseCart(r io.Reader) (Cart, error) {
	b, err := readLimited(r, MaxCheckoutBytes)
	if err != nil {
		return Cart{}, err
	}
	var c Cart
	if err := decodeStrict(b, &c); err != nil {
		return Cart{}, err
	}
	if err := c.Validate(); err != nil {
		return Cart{}, err
	}
	return c, nil
}

// Validate checks the cart's shape: 1..MaxLines items, each with a SKU of
// letters, digits, '-', '_' or '.', a quantity of 1..MaxQuantity and a
// non-negative price; and a region. Codes and regions are looked up by
// PriceCart.
func (c Cart) Validate() error {
	if len(c.Items) == 0 {
		return errorf(http.StatusBadRequest, CodeEmptyCart, "the cart has no items; send at least one in \"items\"")
	}
	if len(c.Items) > MaxLines {
		return errorf(http.StatusBadRequest, CodeTooManyLines, "the cart has %d lines; at most %d are allowed", len(c.Items), MaxLines)
	}
	for i, it := range c.Items {
		if !validSKU(it.SKU) {
			return errorf(http.StatusBadRequest, CodeInvalidSKU,
				"items[%d].sku %q: use 1 to %d letters, digits, '-', '_' or '.'", i, truncate(it.SKU, MaxSKULength), MaxSKULength)
		}
		if it.Quantity < 1 || it.Quantity > MaxQuantity {
			return errorf(http.StatusBadRequest, CodeInvalidQuantity,
				"items[%d].quantity is %d; use 1 to %d", i, it.Quantity, MaxQuantity)
		}
		if it.UnitPriceCents < 0 {
			return errorf(http.StatusBadRequest, CodeInvalidPrice,
				"items[%d].unit_price_cents is %d; prices cannot be negative", i, it.UnitPriceCents)
		}
	}
	if strings.TrimSpace(c.Region) == "" {
		return errorf(http.StatusBadRequest, CodeMissingRegion,
			"\"region\" is required; use one of %s", regionList())
	}
	return nil
}

func validSKU(s string) bool {
	if len(s) == 0 || len(s) > MaxSKULength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

func (s *server) checkout(w http.ResponseWriter, r *http.Request) {
	if _, q, ok := readQuote(w, r); ok {
		writeJSON(w, http.StatusOK, q)
	}
}

// readQuote reads a cart from a JSON request body and prices it, the first
// half of both /checkout and /orders. On bad input it writes the 4xx and
// returns false.
func readQuote(w http.ResponseWriter, r *http.Request) (Cart, Quote, bool) {
	if err := requireMediaType(r, "application/json"); err != nil {
		writeError(w, err)
		return Cart{}, Quote{}, false
	}
	body, err := limitBody(w, r, MaxCheckoutBytes)
	if err != nil {
		writeError(w, err)
		return Cart{}, Quote{}, false
	}
	cart, err := ParseCart(body)
	if err != nil {
		writeError(w, err)
		return Cart{}, Quote{}, false
	}
	q, err := PriceCart(cart)
	if err != nil {
		writeError(w, err)
		return Cart{}, Quote{}, false
	}
	return cart, q, true
}
