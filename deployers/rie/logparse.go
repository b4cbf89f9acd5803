package rie

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LogFacts is what one execution environment's emulator log says about it.
//
// The emulator prints two init figures and only one of them is real:
//
//   - "INIT REPORT(durationMs: 57.045000)" (stderr, from rapid): measured
//     from INIT START until the runtime asks for its first event, i.e. the
//     bootstrap's own init. It matches the client side (first call minus a
//     warm call) and is the figure this package reports as Init Duration.
//   - "REPORT RequestId: … Init Duration: 0.15 ms" (stdout): the emulator
//     times its call to sandbox.Init, which only starts init in a goroutine,
//     so the figure is the dispatch (~0.1 ms), not the init. It is kept for
//     the cross-check only.
type LogFacts struct {
	// InitReports holds each INIT REPORT duration in order: the first is the
	// environment's cold init; later ones are re-inits after a reset
	// (timeout or crash).
	InitReports []time.Duration
	// ReportInitDurations holds the Init Duration of each REPORT line that
	// carries one (the first invoke of an init).
	ReportInitDurations []time.Duration
	// Reports counts REPORT lines: invocations the emulator finished.
	Reports int
	// InitFailed is true when an init ended with status error.
	InitFailed bool
	// Errors holds the emulator's error messages ("Init failed … error=X",
	// "Invoke failed … error=X"), without duplicates, in order.
	Errors []string
	// Timeouts counts resets caused by the function timeout.
	Timeouts int
}

// maxLogDuration bounds a parsed duration: anything longer than a day is
// not a figure the emulator printed but a corrupt or forged line.
const maxLogDuration = 24 * time.Hour

// ParseLog extracts the init figures and failures from an emulator log
// (stdout and stderr together, in any interleaving). Lines it does not know
// are ignored; it never fails, as a log is evidence, not input to reject.
func ParseLog(log string) LogFacts {
	var f LogFacts
	for line := range strings.Lines(log) {
		line = strings.TrimRight(line, "\r\n")
		switch {
		case strings.Contains(line, "INIT REPORT(durationMs: "):
			if d, ok := msAfter(line, "INIT REPORT(durationMs: ", ")"); ok {
				f.InitReports = append(f.InitReports, d)
			}
		case strings.HasPrefix(line, "REPORT RequestId: "):
			f.Reports++
			if d, ok := msAfter(line, "Init Duration: ", " ms"); ok {
				f.ReportInitDurations = append(f.ReportInitDurations, d)
			}
		case strings.Contains(line, "INIT RTDONE(status: error)"):
			f.InitFailed = true
		case strings.Contains(line, "Reset initiated: Timeout"):
			f.Timeouts++
		case strings.Contains(line, "Init failed ") || strings.Contains(line, "Invoke failed "):
			if _, msg, ok := strings.Cut(line, " error="); ok {
				// logrus puts fields in any order: the message ends
				// where the next " key=" field starts.
				if i := strings.Index(msg, " InvokeID="); i >= 0 {
					msg = msg[:i]
				}
				msg = strings.TrimSpace(msg)
				if msg != "" && !slices.Contains(f.Errors, msg) {
					f.Errors = append(f.Errors, msg)
				}
			}
		}
	}
	return f
}

// msAfter parses the milliseconds between prefix and the next end marker.
func msAfter(line, prefix, end string) (time.Duration, bool) {
	_, rest, ok := strings.Cut(line, prefix)
	if !ok {
		return 0, false
	}
	num, _, ok := strings.Cut(rest, end)
	if !ok {
		return 0, false
	}
	ms, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(ms) || ms < 0 || ms > float64(maxLogDuration/time.Millisecond) {
		return 0, false
	}
	return time.Duration(ms * float64(time.Millisecond)), true
}
