package deployers

import (
	"context"
	"errors"
	"time"
)

// WaiterMaxDelay caps the backoff of the AWS SDK waiters that teardowns use
// (instance terminated, tasks stopped, function updated). Left to their
// defaults they sleep up to minutes between checks, and a teardown's
// duration is reported: it should not hold more than one such sleep.
const WaiterMaxDelay = 5 * time.Second

// Poll calls check every interval until it reports done or fails, or the
// wait's deadline passes: within from now, or ctx's own deadline when
// within is 0. A wait with neither is refused, so that every wait ends.
// The first check runs at once; check gets the bounded context. When the
// deadline passes (or ctx ends) Poll returns ctx's error, which the caller
// wraps with what it waited for.
//
// Poll is for the waits that have no SDK waiter and for startup waits,
// which must not use one: a waiter's backoff is no clock. A startup wait
// notes time.Now() inside check, when it sees the state, so that the
// moment is the observation's, late by at most one interval.
func Poll(ctx context.Context, interval, within time.Duration, check func(context.Context) (done bool, err error)) error {
	if interval <= 0 {
		return errors.New("poll: the interval must be positive")
	}
	if within > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, within)
		defer cancel()
	} else if _, ok := ctx.Deadline(); !ok {
		return errors.New("poll: no deadline: give the wait one")
	}
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		done, err := check(ctx)
		if err != nil || done {
			return err
		}
		t.Reset(interval)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
