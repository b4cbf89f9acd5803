package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/computeladder/computeladder/app"
)

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name, url, size string
		wantStore       bool
		wantErr         string
	}{
		{"unset: no store, no route", "", "", false, ""},
		{"default pool", "postgres://u:secret@127.0.0.1:1/db", "", true, ""},
		{"pool size", "postgres://u:secret@127.0.0.1:1/db", "1", true, ""},
		{"pool size not a number", "postgres://u:secret@127.0.0.1:1/db", "five", false, "DB_POOL_SIZE"},
		{"pool size zero", "postgres://u:secret@127.0.0.1:1/db", "0", false, "DB_POOL_SIZE"},
		{"bad URL", "postgres://u:secret@[::1/db", "", false, "not a valid PostgreSQL URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvURL, tt.url)
			t.Setenv(EnvPoolSize, tt.size)
			store, closeFn, err := FromEnv(context.Background())
			t.Cleanup(closeFn)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "secret") {
					t.Fatalf("err %v, want %q without the password", err, tt.wantErr)
				}
				return
			}
			if err != nil || (store != nil) != tt.wantStore {
				t.Fatalf("FromEnv = %v, %v; want store %v", store, err, tt.wantStore)
			}
		})
	}
}

// A database that refuses the connection is ErrStoreUnavailable (the app's
// 503), not a bug.
func TestPlaceOrderRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: connections are refused
	s, err := New(context.Background(), "postgres://u:p@"+addr+"/db?connect_timeout=2", 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = s.PlaceOrder(ctx, app.Order{Cart: app.Cart{Region: "CA"}, TotalCents: 1, Currency: "USD"})
	if !errors.Is(err, app.ErrStoreUnavailable) {
		t.Errorf("PlaceOrder on a refused port: %v, want ErrStoreUnavailable", err)
	}
}

func TestUnavailable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "53300", Message: "sorry, too many clients already"}, true},
		{fmt.Errorf("acquire: %w", &pgconn.PgError{Code: "08006"}), true},
		{&pgconn.PgError{Code: "57P01"}, true},
		{&pgconn.PgError{Code: "42P01"}, false}, // undefined table: a bug
		{&pgconn.PgError{Code: "23505"}, false},
		{errors.New("boom"), false},
	}
	for _, tt := range tests {
		if got := Unavailable(tt.err); got != tt.want {
			t.Errorf("Unavailable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
