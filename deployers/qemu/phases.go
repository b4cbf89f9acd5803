package qemu

import (
	"time"

	"github.com/computeladder/computeladder/deployers"
)

// markerGrace is how long to wait, after the first 200, for marker lines
// still on their way through the emulated UART.
const markerGrace = 250 * time.Millisecond

// markBootPhases adds the phases the console shows: kernel (when the kernel
// started: the started marker's arrival minus the uptime it reports, never
// before QEMU started), init (the started marker), listening, and answered
// (the app served its first request, the probe's: the independent account
// that the first 200 was seen when the app gave it, not a probe timeout
// later). An adapter that prints no markers just leaves them out. It
// returns how long after the answered marker the probe saw the 200 (on
// this machine's clock; negative when the console line came in later than
// the answer), and whether that marker came.
//
// The kernel's uptime starts only once its clock is set up, after the
// decompressor (~1.1 s of a TCG boot of this zstd kernel) and the early
// setup: "qemu-started → kernel" holds those too, and "kernel" is when the
// kernel's clock started, not when QEMU jumped into the kernel.
func markBootPhases(t *deployers.Timeline, c *console, ready time.Time) (answeredTo200 time.Duration, answeredSeen bool) {
	deadline := time.NewTimer(markerGrace)
	defer deadline.Stop()
	started, listening, answered, changed := c.markers()
wait:
	for started == nil || listening == nil || answered == nil {
		select {
		case <-changed:
			started, listening, answered, changed = c.markers()
		case <-deadline.C:
			break wait
		}
	}
	last := (*t)[len(*t)-1].At
	mark := func(name string, at time.Time) {
		// Lines arrive late, but never claim a phase after first-200 or
		// before the previous one: the timeline stays ordered.
		if at.After(ready) {
			at = ready
		}
		if at.Before(last) {
			at = last
		}
		t.Mark(name, at)
		last = at
	}
	if started != nil {
		if started.hasUptime {
			mark("kernel", started.at.Add(-started.uptime))
		}
		mark("init", started.at)
	}
	if listening != nil {
		mark(PhaseListening, listening.at)
	}
	if answered != nil {
		mark(PhaseAnswered, answered.at)
		return ready.Sub(answered.at), true
	}
	return 0, false
}
