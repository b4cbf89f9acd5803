package app

import (
	"context"
	"errors"
	"net/http"
)

// CodeDatabaseUnavailable is the code of the app's one deliberate 5xx: the
// order store (a database) refused or dropped the connection.
const CodeDatabaseUnavailable = "database_unavailable"

// ErrStoreUnavailable is what an OrderStore wraps when the database cannot
// be reached or refuses a connection (e.g. PostgreSQL's "sorry, too many
// clients already"). POST /orders answers it with 503.
var ErrStoreUnavailable = errors.New("order store unavailable")

// OrderID identifies a stored order.
type OrderID string

// Order is what POST /orders stores: the cart and its priced total.
type Order struct {
	Cart       Cart
	TotalCents int64
	Currency   string
}

// OrderStore keeps orders. The app declares only this interface and imports
// no database driver: the driver is an adapter's business (the adapters
// wire one when DATABASE_URL is set).
type OrderStore interface {
	// PlaceOrder stores o and returns its id. When the database cannot be
	// reached or refuses a connection, the error wraps ErrStoreUnavailable.
	PlaceOrder(ctx context.Context, o Order) (OrderID, error)
}

// OrderReceipt is the body of a 201 from POST /orders.
type OrderReceipt struct {
	OrderID    OrderID `json:"order_id"`
	TotalCents int64   `json:"total_cents"`
	Currency   string  `json:"currency"`
}

// orders prices a cart like /checkout and stores it as an order.
func (s *server) orders(w http.ResponseWriter, r *http.Request) {
	cart, q, ok := readQuote(w, r)
	if !ok {
		return
	}
	id, err := s.cfg.Orders.PlaceOrder(r.Context(), Order{Cart: cart, TotalCents: q.TotalCents, Currency: q.Currency})
	if errors.Is(err, ErrStoreUnavailable) {
		// The one 5xx the app gives on purpose: the input was fine, the
		// downstream database was not. 503 tells the client (and a load
		// balancer) that retrying later may work; Retry-After says when.
		w.Header().Set("Retry-After", "1")
		writeError(w, errorf(http.StatusServiceUnavailable, CodeDatabaseUnavailable,
			"the order database refused the connection; retry in a second"))
		return
	}
	if err != nil {
		// Any other store failure is a bug (a query the database rejects):
		// log it and answer the generic 500 that leaks nothing.
		s.log.Error("place order", "err", err.Error())
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, OrderReceipt{OrderID: id, TotalCents: q.TotalCents, Currency: q.Currency})
}
