// Package pgstore is the PostgreSQL driver of the app's OrderStore (pgx and
// its pool). It lives under app/adapters because a driver is an adapter's
// business: the portable app declares only the app.OrderStore interface.
//
// Each instance (a container, a VM, one Lambda execution environment) opens
// its own pool of DB_POOL_SIZE connections. The pool is fixed-size: it opens
// all its connections at start, as HikariCP's default (minimumIdle =
// maximumPoolSize) and many ORMs do. That is what makes N function
// environments want N × DB_POOL_SIZE connections from one database.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/computeladder/computeladder/app"
)

// DefaultPoolSize is the pool size when DB_POOL_SIZE is unset.
const DefaultPoolSize = 5

// Environment variables read by FromEnv.
const (
	EnvURL      = "DATABASE_URL"
	EnvPoolSize = "DB_POOL_SIZE"
)

const schema = `CREATE TABLE IF NOT EXISTS orders (
	id          bigserial PRIMARY KEY,
	created_at  timestamptz NOT NULL DEFAULT now(),
	region      text NOT NULL,
	lines       int NOT NULL,
	total_cents bigint NOT NULL,
	currency    text NOT NULL
)`

// Store is an app.OrderStore over a pgx pool.
type Store struct {
	pool   *pgxpool.Pool
	schema atomic.Bool // the table is known to exist
}

var _ app.OrderStore = (*Store)(nil)

// FromEnv returns a store for $DATABASE_URL with a pool of $DB_POOL_SIZE
// (default 5) connections, and the function that closes it; a nil store
// when DATABASE_URL is unset (the app then has no /orders route). It does
// not wait for the database: an adapter starts even when the database is
// down, and /orders answers 503 until it is up.
func FromEnv(ctx context.Context) (app.OrderStore, func(), error) {
	url := os.Getenv(EnvURL)
	if url == "" {
		return nil, func() {}, nil
	}
	size := DefaultPoolSize
	if v := os.Getenv(EnvPoolSize); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, func() {}, fmt.Errorf("%s=%q: use a whole number from 1 to 1000", EnvPoolSize, v)
		}
		size = n
	}
	s, err := New(ctx, url, size)
	if err != nil {
		return nil, func() {}, err
	}
	return s, s.Close, nil
}

// New returns a store with a fixed pool of size connections to url.
func New(ctx context.Context, url string, size int) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error may quote the URL, password included.
		return nil, fmt.Errorf("%s: not a valid PostgreSQL URL; use postgres://user:password@host:port/db", EnvURL)
	}
	cfg.MaxConns, cfg.MinConns = int32(size), int32(size)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close closes the pool's connections.
func (s *Store) Close() { s.pool.Close() }

// PlaceOrder inserts o. Errors that mean the database cannot be reached or
// refuses the connection wrap app.ErrStoreUnavailable.
func (s *Store) PlaceOrder(ctx context.Context, o app.Order) (app.OrderID, error) {
	if !s.schema.Load() {
		// Concurrent CREATE TABLE IF NOT EXISTS can still collide on the
		// catalog; the loser's error is harmless, the table exists.
		if _, err := s.pool.Exec(ctx, schema); err != nil && !isDuplicate(err) {
			return "", classify("create table", err)
		}
		s.schema.Store(true)
	}
	var id int64
	err := s.pool.QueryRow(ctx,
		`INSERT INTO orders (region, lines, total_cents, currency) VALUES ($1, $2, $3, $4) RETURNING id`,
		o.Cart.Region, len(o.Cart.Items), o.TotalCents, o.Currency).Scan(&id)
	if err != nil {
		return "", classify("insert order", err)
	}
	return app.OrderID(strconv.FormatInt(id, 10)), nil
}

// classify wraps connection failures with app.ErrStoreUnavailable: a
// refused or failed connect, the server's "too many clients" (53300) and
// other connection-exception (08) or shutdown (57P) errors.
func classify(step string, err error) error {
	if Unavailable(err) {
		return fmt.Errorf("%s: %w: %w", step, app.ErrStoreUnavailable, err)
	}
	return fmt.Errorf("%s: %w", step, err)
}

// Unavailable reports whether err means the database refused or lost the
// connection, rather than rejected a query.
func Unavailable(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		c := pe.Code
		return c == "53300" || len(c) == 5 && (c[:2] == "08" || c[:3] == "57P")
	}
	return false
}

func isDuplicate(err error) bool {
	var pe *pgconn.PgError
	// 23505 unique_violation (pg_type), 42P07 duplicate_table.
	return errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P07")
}
