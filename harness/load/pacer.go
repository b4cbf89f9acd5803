package load

import (
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// pacer is a constant-rate vegeta.Pacer that catches up at once when it
// falls behind. vegeta's ConstantPacer only counts whole seconds when it
// decides whether it is behind, so at high rates, where a sleep overshoots
// the gap between two requests, it sends less than asked until the next
// second starts. Hit k (from 0) is due at (k+1) intervals, as in vegeta.
type pacer struct {
	interval time.Duration
}

var _ vegeta.Pacer = pacer{}

func newPacer(rate int) pacer { return pacer{interval: time.Second / time.Duration(rate)} }

// Pace returns how long to wait before hit number hits, given the time
// since the start; never stops on its own (the attack's duration does).
func (p pacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	due := time.Duration(hits+1) * p.interval
	if due <= elapsed {
		return 0, false
	}
	return due - elapsed, false
}

// Rate is requests per second.
func (p pacer) Rate(time.Duration) float64 { return float64(time.Second) / float64(p.interval) }
