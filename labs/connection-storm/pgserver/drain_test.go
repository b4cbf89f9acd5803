package pgserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestDrainReportsTheLastCountWhenTheDeadlineCutsOne: on a busy machine a
// count's connection may still be authenticating when the wait's deadline
// passes; Drain must say how many connections its last count saw, not that
// the cut-short connection failed (CI saw "failed SASL auth: timeout").
func TestDrainReportsTheLastCountWhenTheDeadlineCutsOne(t *testing.T) {
	counts := 0
	count := func(ctx context.Context) (int, error) {
		counts++
		if counts == 1 {
			return 4, nil
		}
		<-ctx.Done() // authenticating until the deadline
		return 0, fmt.Errorf("pgserver: count the app's connections: failed SASL auth: %w", ctx.Err())
	}
	err := drain(context.Background(), 300*time.Millisecond, count)
	if err == nil || err.Error() != "pgserver: 4 app connections still open after 300ms" {
		t.Errorf("drain = %v, want the last count (4) in the error", err)
	}
}

func TestDrain(t *testing.T) {
	refused := errors.New("connection refused")
	for _, tc := range []struct {
		name   string
		counts []int // then 0 forever; -1: refused
		want   string
	}{
		{"already empty", []int{0}, ""},
		{"empties", []int{3, 1, 0}, ""},
		{"stays open", []int{2, 2, 2, 2, 2, 2, 2, 2}, "pgserver: 2 app connections still open after 300ms"},
		{"count fails", []int{-1}, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := 0
			count := func(ctx context.Context) (int, error) {
				n := 0
				if i < len(tc.counts) {
					n = tc.counts[i]
				}
				i++
				if n < 0 {
					return 0, refused
				}
				return n, nil
			}
			err := drain(context.Background(), 300*time.Millisecond, count)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("drain = %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("never counted", func(t *testing.T) {
		err := drain(context.Background(), 50*time.Millisecond, func(ctx context.Context) (int, error) {
			<-ctx.Done()
			return 0, ctx.Err()
		})
		if err == nil || !strings.Contains(err.Error(), "could not be counted within 50ms") || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("drain = %v, want that nothing was counted", err)
		}
	})
	t.Run("the caller's context ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := drain(ctx, time.Second, func(ctx context.Context) (int, error) { return 1, nil }); !errors.Is(err, context.Canceled) {
			t.Errorf("drain = %v, want context.Canceled", err)
		}
	})
}
