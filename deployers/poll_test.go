package deployers_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
)

func TestPoll(t *testing.T) {
	bg := context.Background()
	t.Run("checks until done", func(t *testing.T) {
		n := 0
		err := deployers.Poll(bg, time.Millisecond, time.Minute, func(context.Context) (bool, error) {
			n++
			return n == 3, nil
		})
		if err != nil || n != 3 {
			t.Errorf("Poll = %v after %d checks, want nil after 3", err, n)
		}
	})
	t.Run("first check at once", func(t *testing.T) {
		start := time.Now()
		err := deployers.Poll(bg, time.Hour, time.Minute, func(context.Context) (bool, error) { return true, nil })
		if err != nil || time.Since(start) > 10*time.Second {
			t.Errorf("Poll = %v after %s, want nil at once", err, time.Since(start))
		}
	})
	t.Run("check error ends it", func(t *testing.T) {
		boom := errors.New("boom")
		n := 0
		err := deployers.Poll(bg, time.Millisecond, time.Minute, func(context.Context) (bool, error) {
			n++
			return false, boom
		})
		if !errors.Is(err, boom) || n != 1 {
			t.Errorf("Poll = %v after %d checks, want boom after 1", err, n)
		}
	})
	t.Run("within bounds it", func(t *testing.T) {
		var deadline time.Time
		err := deployers.Poll(bg, time.Millisecond, 30*time.Millisecond, func(ctx context.Context) (bool, error) {
			deadline, _ = ctx.Deadline()
			return false, nil
		})
		if !errors.Is(err, context.DeadlineExceeded) || deadline.IsZero() {
			t.Errorf("Poll = %v (check saw deadline %v), want DeadlineExceeded and a bounded context", err, deadline)
		}
	})
	t.Run("ctx deadline bounds it", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(bg, 30*time.Millisecond)
		defer cancel()
		err := deployers.Poll(ctx, time.Millisecond, 0, func(context.Context) (bool, error) { return false, nil })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Poll = %v, want DeadlineExceeded", err)
		}
	})
	t.Run("cancel ends it", func(t *testing.T) {
		ctx, cancel := context.WithCancel(bg)
		n := 0
		err := deployers.Poll(ctx, time.Millisecond, time.Minute, func(context.Context) (bool, error) {
			if n++; n == 2 {
				cancel()
			}
			return false, nil
		})
		if !errors.Is(err, context.Canceled) || n != 2 {
			t.Errorf("Poll = %v after %d checks, want Canceled after 2", err, n)
		}
	})
	for name, tc := range map[string]struct {
		interval, within time.Duration
	}{
		"no deadline":   {time.Millisecond, 0},
		"zero interval": {0, time.Minute},
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			called := false
			err := deployers.Poll(bg, tc.interval, tc.within, func(context.Context) (bool, error) {
				called = true
				return true, nil
			})
			if err == nil || called {
				t.Errorf("Poll = %v (check called: %v), want an error before any check", err, called)
			}
		})
	}
}
