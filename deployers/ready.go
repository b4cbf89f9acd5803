package deployers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// DefaultPollInterval is how often WaitReady polls: fast enough that the
// detected moment is within a few milliseconds of the real one.
const DefaultPollInterval = 2 * time.Millisecond

// WaitReady polls GET url until it answers 200 and returns the moment the 200
// arrived. Before each poll it calls alive (when not nil); an error from alive
// (say, the container or VM exited) ends the wait at once, so a dead process
// fails fast instead of at the deadline. ctx bounds the wait. Each poll uses
// a fresh connection: a kept-alive connection to a port forwarder can look
// healthy while nothing listens behind it.
func WaitReady(ctx context.Context, url string, interval time.Duration, alive func() error) (time.Time, error) {
	client := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	}
	return WaitReadyVia(ctx, client, url, interval, alive)
}

// WaitReadyVia is WaitReady with the caller's client (e.g. one that signs
// its requests). When the wait ends, the last probe's error is wrapped in
// the one returned; a probe answered with another status is a *StatusError.
func WaitReadyVia(ctx context.Context, client *http.Client, url string, interval time.Duration, alive func() error) (time.Time, error) {
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	var lastErr error
	for {
		if alive != nil {
			if err := alive(); err != nil {
				return time.Time{}, err
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return time.Time{}, fmt.Errorf("readiness probe: %w", err)
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Now(), nil
			}
			lastErr = &StatusError{URL: url, Code: resp.StatusCode, Status: resp.Status}
		} else if ctx.Err() == nil || lastErr == nil {
			// A probe the deadline cut short says less than the one before.
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if lastErr == nil {
				lastErr = ctx.Err()
			}
			return time.Time{}, fmt.Errorf("not ready: %w (last probe: %w)", ctx.Err(), lastErr)
		case <-time.After(interval):
		}
	}
}

// StatusError is a readiness probe answered with a status other than 200.
type StatusError struct {
	URL    string
	Code   int
	Status string // e.g. "503 Service Unavailable"
}

func (e *StatusError) Error() string { return fmt.Sprintf("GET %s: %s", e.URL, e.Status) }

// ErrNotFound may be wrapped by backends for resources that are already gone;
// Teardown and Sweep treat it as success.
var ErrNotFound = errors.New("not found")
