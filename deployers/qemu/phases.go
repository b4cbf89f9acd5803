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
// later); the last two dated by the guest's own clock when their lines
// carry it (appMoments). An adapter that prints no markers just leaves
// them out. It returns how long after the answered moment the probe saw
// the 200 (on this machine's clock; negative when the console line came
// in later than the answer), and whether that marker came.
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
	listeningAt, answeredAt := appMoments(listening, answered)
	if listening != nil {
		mark(PhaseListening, listeningAt)
	}
	if answered != nil {
		mark(PhaseAnswered, answeredAt)
		return ready.Sub(answeredAt), true
	}
	return 0, false
}

// appMoments dates the listening and answered markers. A line arrives
// after its event by the time the guest took to format it and send it
// through the emulated UART: a few ms under TCG, more while the guest is
// busy, and not the same for both lines. When both carry the guest's own
// clock they are dated by it, on this machine's clock through the line
// that arrived with the least delay (the smallest arrival − uptime): so
// the interval between them is the guest's own, and each is dated no
// earlier than its line could show. Only these two lines, tens of ms
// apart, are used: a guest clock that runs a little off this machine's
// does not matter over that span (the started line, ~0.3 s earlier, is
// left out for that reason). Otherwise each is dated by its arrival.
func appMoments(listening, answered *seenMarker) (listeningAt, answeredAt time.Time) {
	if listening != nil {
		listeningAt = listening.at
	}
	if answered != nil {
		answeredAt = answered.at
	}
	if listening == nil || answered == nil || !listening.hasUptime || !answered.hasUptime {
		return listeningAt, answeredAt
	}
	// base: this machine's clock at guest uptime 0, through the line with
	// the least delay.
	base := listening.at.Add(-listening.uptime)
	if b := answered.at.Add(-answered.uptime); b.Before(base) {
		base = b
	}
	return base.Add(listening.uptime), base.Add(answered.uptime)
}
